import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import Config
@testable import Model
@testable import Scraper
@testable import TSDB

/// Scraping over HTTPS with credentials, against Debian's node exporter behind its own TLS and basic-auth web config,
/// with Debian's Prometheus scraping the same exporter as the oracle.
@Suite(.enabled(
    if: Peers.available(Peers.openssl, Peers.nodeExporter, Peers.python),
    "needs openssl, prometheus-node-exporter and python3 (Debian packages)"))
struct HTTPSScrapeTests {
    static let password = "correct horse"

    /// A node exporter serving TLS with the test CA's certificate and requiring basic auth, on a free port.
    struct SecuredExporter {
        let directory: TemporaryDirectory
        let certificates: TestCertificates
        let port: Int
        let process: PeerProcess
    }

    static func startExporter(
        requireClientCertificate: Bool = false, nameOnlyCertificate: Bool = false
    ) async throws -> SecuredExporter? {
        guard let openssl = Peers.require(Peers.openssl, "openssl"),
              let exporter = Peers.require(Peers.nodeExporter, "prometheus-node-exporter"),
              let python = Peers.require(Peers.python, "python3") else { return nil }
        let directory = try TemporaryDirectory("vigil-https")
        let certificates = try await TestCertificates.make(in: directory, openssl: openssl)
        let hash = try await bcryptHash(password, python: python)
        // The exporter refuses a client CA without a policy that uses it, so both lines come together.
        let clientAuthentication = requireClientCertificate
            ? "\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: \(certificates.caFile)" : ""
        try directory.write("web.yml", """
            tls_server_config:
              cert_file: \(nameOnlyCertificate ? certificates.nameOnlyCertFile : certificates.serverCertFile)
              key_file: \(certificates.serverKeyFile)\(clientAuthentication)
            basic_auth_users:
              vigil: '\(hash)'

            """)
        let port = try freeLoopbackPort()
        let process = try PeerProcess(exporter, [
            "--web.listen-address=127.0.0.1:\(port)", "--web.config.file=\(directory.path("web.yml"))",
            "--web.disable-exporter-metrics", "--collector.disable-defaults",
            "--collector.uname", "--collector.meminfo", "--collector.loadavg",
        ])
        return SecuredExporter(directory: directory, certificates: certificates, port: port, process: process)
    }

    /// A prometheus.yml both Vigil and Prometheus load unchanged: one HTTPS job with a CA file and basic auth.
    static func configuration(
        _ exporter: SecuredExporter, password: String = password, caFile: String? = nil, tlsExtra: String = ""
    ) -> String {
        """
        global:
          scrape_interval: 2s
          scrape_timeout: 2s
        scrape_configs:
          - job_name: node
            scheme: https
            tls_config:
              ca_file: \(caFile ?? exporter.certificates.caFile)\(tlsExtra)
            basic_auth:
              username: vigil
              password: '\(password)'
            static_configs:
              - targets: ['127.0.0.1:\(exporter.port)']

        """
    }

    /// A scrape loop for the configuration's only job, loaded from YAML as `vigil serve` loads it.
    static func harness(_ yaml: String, port: Int) throws -> LoopHarness {
        let loaded = try PrometheusConfiguration(yaml: yaml, file: "prometheus.yml")
        return try LoopHarness(port: port) { $0 = loaded.scrapeConfigs[0] }
    }

    /// Scrapes at increasing times until `done` holds for the last status or 30 seconds pass (a loaded machine is slow).
    static func scrapeUntil(
        _ harness: LoopHarness, from start: Timestamp = 1_000_000, _ done: (TargetStatus) -> Bool
    ) async throws -> TargetStatus? {
        var t = start
        return try await pollUntil(seconds: 30) {
            t += 1000
            await harness.loop.scrapeOnce(at: t)
            return harness.lastStatus.flatMap { done($0) ? $0 : nil }
        }
    }

    @Test func scrapesTheExporterOverTLSWithBasicAuthAsPrometheusDoes() async throws {
        guard let exporter = try await Self.startExporter(),
              let prometheusBinary = Peers.require(Peers.prometheus, "prometheus") else { return }
        let yaml = Self.configuration(exporter)
        try exporter.directory.write("prometheus.yml", yaml)
        let prometheusPort = try freeLoopbackPort()
        let prometheus = try PeerProcess(prometheusBinary, [
            "--config.file=\(exporter.directory.path("prometheus.yml"))",
            "--storage.tsdb.path=\(exporter.directory.path("data"))",
            "--web.listen-address=127.0.0.1:\(prometheusPort)",
        ])
        let harness = try Self.harness(yaml, port: exporter.port)
        let status = try await Self.scrapeUntil(harness) { $0.health == .up }
        #expect(status?.health == .up, "last error: \(harness.lastStatus?.lastError ?? "none")")
        #expect(try await harness.value("up").last == 1)

        // Prometheus's view of the same exporter once it has scraped it.
        let theirs = try await pollUntil(seconds: 40) { () -> [[String: String]: String]? in
            guard let up = try? await Self.query(port: prometheusPort, #"up{job="node"}"#), up.values.first == "1",
                  let all = try? await Self.query(port: prometheusPort, #"{job="node"}"#) else { return nil }
            return all
        }
        let prometheusSeries = try #require(theirs, "Prometheus never scraped the exporter successfully")
        await harness.loop.scrapeOnce(at: 2_000_000)
        var ours: [[String: String]: Double] = [:]
        for series in try await harness.store.select([try Matcher(.equal, "job", "node")], mint: .min, maxt: .max) {
            var labels: [String: String] = [:]
            for label in series.labels { labels[label.name] = label.value }
            ours[labels] = series.samples.last?.v
        }
        #expect(ours.count > 20, "the exporter's uname, meminfo and loadavg series were stored: \(ours.count)")
        let missing = Set(prometheusSeries.keys).subtracting(ours.keys)
        let extra = Set(ours.keys).subtracting(prometheusSeries.keys)
        #expect(missing.isEmpty, "series Prometheus stores and Vigil does not: \(missing)")
        #expect(extra.isEmpty, "series Vigil stores and Prometheus does not: \(extra)")
        // Values of metrics that do not change while the machine runs.
        var compared = 0
        for (labels, value) in prometheusSeries
        where ["node_uname_info", "node_memory_MemTotal_bytes", "node_memory_SwapTotal_bytes"].contains(labels["__name__"] ?? "") {
            #expect(ours[labels].map { Self.goFormat($0) } == value, "\(labels)")
            compared += 1
        }
        #expect(compared == 3, "each static metric was compared")
        try await harness.shutdown()
        _ = prometheus
    }

    @Test func aWrongPasswordIsDownWithThe401() async throws {
        guard let exporter = try await Self.startExporter() else { return }
        let harness = try Self.harness(Self.configuration(exporter, password: "wrong"), port: exporter.port)
        let status = try await Self.scrapeUntil(harness) { $0.lastError.contains("401") }
        #expect(status?.health == .down)
        #expect(status?.lastError == "server returned HTTP status 401 Unauthorized")
        #expect(try await harness.value("up").last == 0)
        try await harness.shutdown()
    }

    @Test func anUntrustedCertificateIsDownWithTheTLSErrorUntilTheCAFileIsFixed() async throws {
        guard let exporter = try await Self.startExporter() else { return }
        let trusted = exporter.directory.path("trusted-ca.crt")
        try FileManager.default.copyItem(atPath: exporter.certificates.otherCAFile, toPath: trusted)
        let harness = try Self.harness(Self.configuration(exporter, caFile: trusted), port: exporter.port)
        let refused = try await Self.scrapeUntil(harness) { $0.lastError.contains("CERTIFICATE_VERIFY_FAILED") }
        #expect(refused?.health == .down, "last error: \(harness.lastStatus?.lastError ?? "none")")
        #expect(try await harness.value("up").last == 0)

        // The CA file is re-read when it changes: trusting the right CA brings the target up without a reload.
        try FileManager.default.removeItem(atPath: trusted)
        try FileManager.default.copyItem(atPath: exporter.certificates.caFile, toPath: trusted)
        let fixed = try await Self.scrapeUntil(harness, from: 3_000_000) { $0.health == .up }
        #expect(fixed?.health == .up, "last error: \(harness.lastStatus?.lastError ?? "none")")
        try await harness.shutdown()
    }

    @Test func serverNameIsWhatTheCertificateIsVerifiedAgainstAndInsecureSkipVerifySkipsIt() async throws {
        // The exporter's certificate names only exporter.vigil.test, so its address alone cannot be verified.
        guard let exporter = try await Self.startExporter(nameOnlyCertificate: true) else { return }
        func refusal(_ tlsExtra: String, mentioning text: String) async throws -> TargetStatus? {
            let harness = try Self.harness(Self.configuration(exporter, tlsExtra: tlsExtra), port: exporter.port)
            // Until the exporter listens, scrapes fail for other reasons; wait for the verification failure.
            let refused = try await Self.scrapeUntil(harness) { $0.lastError.contains(text) }
            #expect(refused?.health == .down, "last error: \(harness.lastStatus?.lastError ?? "none")")
            try await harness.shutdown()
            return refused
        }
        _ = try await refusal("", mentioning: "failedToValidateHostname")
        _ = try await refusal("\n      server_name: wrong.example", mentioning: "wrong.example")

        let rightName = try Self.harness(
            Self.configuration(exporter, tlsExtra: "\n      server_name: exporter.vigil.test"), port: exporter.port)
        #expect(try await Self.scrapeUntil(rightName) { $0.health == .up } != nil, "\(rightName.lastStatus?.lastError ?? "")")
        #expect(rightName.lastStatus?.labels["instance"] == "127.0.0.1:\(exporter.port)", "the target keeps its address")
        try await rightName.shutdown()

        let untrustedButSkipped = try Self.harness(
            Self.configuration(exporter, caFile: exporter.certificates.otherCAFile, tlsExtra: "\n      insecure_skip_verify: true"),
            port: exporter.port)
        #expect(try await Self.scrapeUntil(untrustedButSkipped) { $0.health == .up } != nil,
                "\(untrustedButSkipped.lastStatus?.lastError ?? "")")
        try await untrustedButSkipped.shutdown()
    }

    @Test func aClientCertificateIsPresentedWhenTheTargetRequiresOne() async throws {
        guard let exporter = try await Self.startExporter(requireClientCertificate: true) else { return }
        let withoutCertificate = try Self.harness(Self.configuration(exporter), port: exporter.port)
        // Until the exporter listens, scrapes fail as refused; then the server ends the TLS session, during the
        // handshake (TLS 1.2) or right after it (TLS 1.3, where the client's certificate is checked late).
        let refused = try await Self.scrapeUntil(withoutCertificate) { status in
            ["remoteConnectionClosed", "handshake", "SSL"].contains { status.lastError.contains($0) }
        }
        #expect(refused?.health == .down, "\(withoutCertificate.lastStatus?.lastError ?? "")")
        try await withoutCertificate.shutdown()

        let certificates = exporter.certificates
        let withCertificate = try Self.harness(
            Self.configuration(exporter, tlsExtra: "\n      cert_file: \(certificates.clientCertFile)\n      key_file: \(certificates.clientKeyFile)"),
            port: exporter.port)
        #expect(try await Self.scrapeUntil(withCertificate) { $0.health == .up } != nil, "\(withCertificate.lastStatus?.lastError ?? "")")
        try await withCertificate.shutdown()
    }

    /// The result of an instant query: each series' labels and its value as Prometheus prints it.
    static func query(port: Int, _ expression: String) async throws -> [[String: String]: String] {
        var components = URLComponents(string: "http://127.0.0.1:\(port)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: expression)]
        let url = components.url!.absoluteString.replacingOccurrences(of: "+", with: "%2B")
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 16 << 20)
        let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        let results = (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        var series: [[String: String]: String] = [:]
        for result in results {
            guard let metric = result["metric"] as? [String: String], let value = result["value"] as? [Any],
                  value.count == 2, let text = value[1] as? String else { continue }
            series[metric] = text
        }
        return series
    }

    /// A sample value as Prometheus's API prints it.
    static func goFormat(_ value: Double) -> String { GoFloatFormat.shortest(value, format: "f") }
}

/// Bearer tokens from a file, against a target in the test that accepts one token at a time.
@Suite struct BearerTokenFileTests {
    @Test func aChangedTokenFileTakesEffectOnTheNextScrapeAndAMissingOneIsDown() async throws {
        let seen = Mutex<[String]>([])
        let router = Router()
        router.get("/metrics") { request, _ -> Response in
            let authorization = request.headers[.authorization] ?? ""
            seen.withLock { $0.append(authorization) }
            guard authorization == "Bearer two" else { return Response(status: .unauthorized) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: .init(string: "m 1\n")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        let directory = try TemporaryDirectory("vigil-bearer")
        try directory.write("token", "one\n")
        try await app.test(.live) { client in
            let yaml = """
                scrape_configs:
                  - job_name: api
                    bearer_token_file: \(directory.path("token"))
                    static_configs: [{targets: ['127.0.0.1:\(client.port!)']}]
                """
            let loaded = try PrometheusConfiguration(yaml: yaml, file: "prometheus.yml")
            let harness = try LoopHarness(port: client.port!) { $0 = loaded.scrapeConfigs[0] }
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(harness.lastStatus?.lastError == "server returned HTTP status 401 Unauthorized")
            try directory.write("token", "two\n")
            await harness.loop.scrapeOnce(at: 1_015_000)
            #expect(harness.lastStatus?.health == .up)
            #expect(seen.withLock { $0 } == ["Bearer one", "Bearer two"], "the file is re-read and trimmed on each scrape")
            try FileManager.default.removeItem(atPath: directory.path("token"))
            await harness.loop.scrapeOnce(at: 1_030_000)
            #expect(harness.lastStatus?.health == .down)
            #expect(harness.lastStatus?.lastError.hasPrefix("unable to read authorization credentials file \(directory.path("token"))") == true)
            #expect(try await harness.value("up") == [0, 1, 0])
            #expect(seen.withLock { $0.count } == 2, "no request is sent without the credentials")
            try await harness.shutdown()
        }
    }
}

/// `follow_redirects`: followed by default, as in Prometheus; refused when turned off.
@Suite struct FollowRedirectsTests {
    @Test func redirectsAreFollowedUnlessTurnedOff() async throws {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in Response(status: .found, headers: [.location: "/moved"]) }
        router.get("/moved") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: .init(string: "m 1\n")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await app.test(.live) { client in
            for (setting, expectedError) in [("", ""), ("follow_redirects: false", "server returned HTTP status 302 Found")] {
                let yaml = """
                    scrape_configs:
                      - job_name: api
                        \(setting)
                        static_configs: [{targets: ['127.0.0.1:\(client.port!)']}]
                    """
                let loaded = try PrometheusConfiguration(yaml: yaml, file: "prometheus.yml")
                let harness = try LoopHarness(port: client.port!) { $0 = loaded.scrapeConfigs[0] }
                await harness.loop.scrapeOnce(at: 1_000_000)
                #expect(harness.lastStatus?.lastError == expectedError, "with \(setting.isEmpty ? "defaults" : setting)")
                #expect(try await harness.value("up") == [expectedError.isEmpty ? 1 : 0])
                try await harness.shutdown()
            }
        }
    }
}

/// Credentials and TLS files that are missing or malformed fail the scrape with the file named, never a crash.
@Suite struct UnusableClientFilesTests {
    @Test(arguments: [
        ("tls_config: {ca_file: missing.crt}", "unable to read CA file DIR/missing.crt: no such file or directory"),
        ("tls_config: {ca_file: garbage.crt}", "unable to use specified CA cert CA file DIR/garbage.crt: "),
        ("tls_config: {cert_file: garbage.crt, key_file: missing.key}", "unable to read client key file DIR/missing.key: no such file or directory"),
        ("basic_auth: {username: u, password_file: missing-password}",
         "unable to read basic auth password file DIR/missing-password: no such file or directory"),
        ("authorization: {credentials_file: /dev/zero}", "unable to read authorization credentials file /dev/zero: larger than 1048576 bytes"),
        ("authorization: {credentials_file: /}", "unable to read authorization credentials file /: "),
    ])
    func fileProblemsAreTheLastError(setting: String, expected: String) async throws {
        let directory = try TemporaryDirectory("vigil-client-files")
        try directory.write("garbage.crt", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        try directory.write("prometheus.yml", """
            scrape_configs:
              - job_name: api
                scheme: https
                \(setting)
                static_configs: [{targets: ['127.0.0.1:1']}]
            """)
        let loaded = try loadConfiguration(file: directory.url.appendingPathComponent("prometheus.yml"))
        let harness = try LoopHarness(port: 1) { $0 = loaded.scrapeConfigs[0] }
        await harness.loop.scrapeOnce(at: 1_000_000)
        let lastError = harness.lastStatus?.lastError ?? ""
        #expect(lastError.hasPrefix(expected.replacingOccurrences(of: "DIR", with: directory.url.path)), "\(lastError)")
        #expect(harness.lastStatus?.health == .down)
        #expect(try await harness.value("up") == [0])
        try await harness.shutdown()
    }
}
