import AsyncHTTPClient
import CSQLite
import Foundation
import Testing

/// `vigil serve` behind a web configuration, checked with Debian's Prometheus, promtool and openssl as the peers.
@Suite(.serialized) struct SecureServeTests {
    /// Debian's Prometheus scrapes Vigil over TLS with basic auth, promtool queries it the same way, a wrong
    /// password is refused, and a broken file on reload keeps the running settings.
    @Test(.enabled(if: securityPeersInstalled || ProcessInfo.processInfo.environment["CI"] == "true", "openssl, prometheus or promtool missing"))
    func prometheusAndPromtoolReachVigilOverTLSWithBasicAuth() async throws {
        requirePeersUnderCI()
        let scratch = try ScratchFiles()
        let certificates = try await TestCertificates.make(in: scratch.url)
        let hash = try await hashPassword("s3cret")
        let webConfig = try scratch.write("web.yml", """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
            http_server_config:
              headers:
                X-Frame-Options: deny
            basic_auth_users:
              prometheus: \(hash)
            """)
        let server = try ServerProcess(arguments: ["--web.config.file", webConfig])
        let client = try certificates.client()
        let web = "https://127.0.0.1:\(server.webPort)"
        let api = "https://127.0.0.1:\(server.port)"
        do {
            try await eventually("the monitoring listener answering over TLS") {
                try await client.exchange("\(web)/-/healthy", user: "prometheus", password: "s3cret").status == 200
            }
            // Every path needs credentials, health included, on both listeners (the API defaults to the same file).
            for url in ["\(web)/-/healthy", "\(web)/metrics", "\(web)/api/v1/status/config", "\(api)/health"] {
                let anonymous = try await client.exchange(url)
                #expect(anonymous.status == 401, "\(url)")
                #expect(anonymous.header("WWW-Authenticate") == "Basic", "\(url)")
                #expect(anonymous.header("X-Frame-Options") == "deny", "\(url)")
                #expect(try await client.exchange(url, user: "prometheus", password: "wrong").status == 401, "\(url)")
            }
            #expect(try await client.exchange("\(api)/health", user: "prometheus", password: "s3cret").status == 200)
            // Lifecycle and admin are off by default, on both listeners, with Prometheus's answers.
            for url in ["\(web)/-/reload", "\(api)/-/reload", "\(web)/-/quit", "\(api)/-/quit"] {
                let refused = try await client.exchange(url, post: true, user: "prometheus", password: "s3cret")
                #expect(refused.status == 403 && refused.body == "Lifecycle API is not enabled.\n", "\(url): \(refused.body)")
            }
            let admin = try await client.exchange("\(web)/api/v1/admin/tsdb/snapshot", post: true, user: "prometheus", password: "s3cret")
            #expect(admin.status == 500 && admin.body == #"{"status":"error","errorType":"unavailable","error":"admin APIs disabled"}"#)

            // Debian's Prometheus scrapes /metrics with its own tls_config and basic_auth.
            let prometheusPort = try freePort()
            let prometheusConfig = try scratch.write("prometheus.yml", """
                global: {scrape_interval: 1s, scrape_timeout: 1s}
                scrape_configs:
                  - job_name: vigil-tls
                    scheme: https
                    tls_config: {ca_file: \(certificates.caCert)}
                    basic_auth: {username: prometheus, password: s3cret}
                    static_configs: [{targets: ["127.0.0.1:\(server.webPort)"]}]
                """)
            let prometheus = Process()
            prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
            prometheus.arguments = ["--config.file=\(prometheusConfig)", "--web.listen-address=127.0.0.1:\(prometheusPort)",
                                    "--storage.tsdb.path=\(scratch.url.appendingPathComponent("prometheus-data").path)"]
            prometheus.standardOutput = FileHandle.nullDevice
            prometheus.standardError = FileHandle.nullDevice
            try prometheus.run()
            defer { prometheus.terminate(); prometheus.waitUntilExit() }
            let plain = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                try await eventually("Prometheus's up for Vigil to be 1") {
                    let answer = try await plain.exchange("http://127.0.0.1:\(prometheusPort)/api/v1/query?query=up%7Bjob%3D%22vigil-tls%22%7D")
                    return answer.body.contains(#""value":["#) && answer.body.contains(#","1"]"#)
                }
            } catch {
                let targets = try? await plain.exchange("http://127.0.0.1:\(prometheusPort)/api/v1/targets")
                try? await plain.shutdown()
                throw CLITestError("\(error); targets: \(targets?.body ?? "")")
            }
            try await plain.shutdown()

            // promtool queries Vigil's API over TLS with basic auth. Debian's promtool 2.42 has no --http.config.file
            // (2.43 added it), so it gets the credentials in the URL and trusts the test CA through SSL_CERT_FILE,
            // both of which Go's HTTP client honours.
            let trustCA = ["SSL_CERT_FILE": certificates.caCert]
            let queried = try #require(try await runPeer("/usr/bin/promtool", ["query", "instant", "https://prometheus:s3cret@127.0.0.1:\(server.webPort)", "vector(42)"],
                                                         environment: trustCA))
            #expect(queried.status == 0, "\(queried.stderr)")
            #expect(queried.stdout.contains("42"), "\(queried.stdout)")
            let refused = try #require(try await runPeer("/usr/bin/promtool", ["query", "instant", "https://prometheus:nope@127.0.0.1:\(server.webPort)", "vector(42)"],
                                                         environment: trustCA))
            #expect(refused.status != 0)
            #expect((refused.stdout + refused.stderr).contains("401"), "\(refused.stdout) \(refused.stderr)")

            // A broken file on reload (SIGHUP) keeps the running users; a fixed one takes effect.
            try Data("basic_auth_users:\n  prometheus: \(hash)\n  eve: short\n".utf8).write(to: URL(fileURLWithPath: webConfig))
            server.signal(SIGHUP)
            try await eventually("the failed reload to be logged") { server.log.contains("web configuration reload failed") }
            #expect(server.log.contains("web.yml:3:8: basic_auth_users.eve: invalid bcrypt hash"), "\(server.log)")
            #expect(try await client.exchange("\(web)/-/healthy", user: "prometheus", password: "s3cret").status == 200)
            let newHash = try await hashPassword("n3w")
            try Data("tls_server_config: {cert_file: server.crt, key_file: server.key}\nbasic_auth_users:\n  prometheus: \(newHash)\n".utf8)
                .write(to: URL(fileURLWithPath: webConfig))
            server.signal(SIGHUP)
            try await eventually("the new password to be accepted") {
                try await client.exchange("\(web)/-/healthy", user: "prometheus", password: "n3w").status == 200
            }
            #expect(try await client.exchange("\(web)/-/healthy", user: "prometheus", password: "s3cret").status == 401)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    /// With `RequireAndVerifyClientCert`, a client without a certificate from the CA is refused during the handshake.
    @Test(.enabled(if: securityPeersInstalled || ProcessInfo.processInfo.environment["CI"] == "true", "openssl, prometheus or promtool missing"))
    func clientCertificatesAreRequiredWhenConfigured() async throws {
        requirePeersUnderCI()
        let scratch = try ScratchFiles()
        let certificates = try await TestCertificates.make(in: scratch.url)
        let webConfig = try scratch.write("web.yml", """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
              min_version: TLS12
            """)
        let server = try ServerProcess(arguments: ["--web.config.file", webConfig])
        let withCertificate = try certificates.client(presentingCertificate: true)
        let withoutCertificate = try certificates.client()
        let url = "https://127.0.0.1:\(server.webPort)/-/healthy"
        do {
            try await eventually("the listener to accept the client certificate") { try await withCertificate.exchange(url).status == 200 }
            await #expect(throws: (any Error).self) { _ = try await withoutCertificate.exchange(url) }
            // openssl's client without a certificate: the server ends the handshake.
            let handshake = try #require(try await runPeer("/usr/bin/timeout", ["20", "/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:\(server.webPort)",
                                                                                "-CAfile", certificates.caCert, "-tls1_3", "-ign_eof"],
                                                           input: "GET /-/healthy HTTP/1.0\r\n\r\n"))
            #expect(!handshake.stdout.contains("Vigil is Healthy"), "\(handshake.stdout)")
            #expect(handshake.stderr.contains("alert") || handshake.stderr.contains("certificate required"), "\(handshake.stderr)")
        } catch {
            try? await withCertificate.shutdown()
            try? await withoutCertificate.shutdown()
            throw error
        }
        try await withCertificate.shutdown()
        try await withoutCertificate.shutdown()
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    /// Broken web configuration files stop `vigil serve` at start with the file, line and field.
    @Test func brokenWebConfigurationsAreStartErrors() async throws {
        let scratch = try ScratchFiles()
        let cases: [(yaml: String, expected: String)] = [
            ("basic_auth_users: {}\nfoo: 1\n", "web.yml:2:1: field foo not found in web configuration"),
            ("tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n", "web.yml:2:14: cannot load cert_file"),
            ("basic_auth_users:\n  admin: $2b$10$tooshort\n", "web.yml:2:10: basic_auth_users.admin: invalid bcrypt hash"),
        ]
        for (yaml, expected) in cases {
            let path = try scratch.write("web.yml", yaml)
            let result = try await runVigil(["serve", "--web.config.file", path, "--config.file", try scratch.write("vigil.yml", "{}\n"),
                                             "--storage.path", scratch.url.appendingPathComponent("v.db").path,
                                             "--api.listen-address", "127.0.0.1:\(try freePort())",
                                             "--web.listen-address", "127.0.0.1:\(try freePort())"])
            #expect(result.status == 1)
            #expect(result.stderr.contains(expected) || result.stdout.contains(expected), "\(result.stderr)")
        }
    }
}

/// A temporary directory for one test's files.
final class ScratchFiles {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-secure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The admin API and the lifecycle endpoints when their flags are on.
@Suite(.serialized) struct AdminAPIServeTests {
    /// A snapshot taken while scraping is a consistent SQLite file that a second `vigil serve` serves; deleted series
    /// leave queries and the series and label APIs; `/-/quit` stops the server.
    @Test func snapshotsDeletionsAndQuit() async throws {
        let server = try ServerProcess(arguments: ["--web.enable-admin-api", "--web.enable-lifecycle"])
        try await server.waitUntilListening()
        try await eventually("both self-scrapes to be stored") {
            let answer = try await server.get("/api/v1/query?query=count(up)", web: true)
            return answer.body.contains(#""2"]"#)
        }
        let snapshot = try await server.request("/api/v1/admin/tsdb/snapshot", method: "POST", body: nil, web: true)
        #expect(snapshot.status == 200)
        let name = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.body.utf8)) as? [String: Any])
            .flatMap { ($0["data"] as? [String: Any])?["name"] as? String }
        #expect(name?.range(of: #"^\d{8}T\d{6}Z-[0-9a-f]{16}$"#, options: .regularExpression) != nil, "\(snapshot.body)")
        let copy = server.directory.appendingPathComponent("snapshots/\(name ?? "")/vigil.db").path
        #expect(FileManager.default.fileExists(atPath: copy))
        #expect(try integrityCheck(copy) == "ok")

        // Restoring is serving the copy: the second server has the first one's series.
        let restored = try ServerProcess(arguments: [], storagePathOverride: copy)
        try await restored.waitUntilListening()
        let before = try await restored.get("/api/v1/series?match%5B%5D=up&end=\(unixNow())", web: true)
        // The first server's targets (its ports), which the second one never scraped.
        #expect(before.body.contains(#""instance":"127.0.0.1:\#(server.port)","job":"ml-api""#), "\(before.body)")
        #expect(before.body.contains(#""instance":"127.0.0.1:\#(server.webPort)","job":"vigil""#), "\(before.body)")
        restored.signal(SIGTERM)
        #expect(try await restored.waitForExit() == 0)

        // Deleting the vigil job's series up to now: nothing of it is left at or before that time.
        let deletedAt = unixNow()
        let deleted = try await server.request("/api/v1/admin/tsdb/delete_series?match%5B%5D=%7Bjob%3D%22vigil%22%7D&end=\(deletedAt)",
                                               method: "POST", body: nil, web: true)
        #expect(deleted.status == 204)
        let series = try await server.get("/api/v1/series?match%5B%5D=%7Bjob%3D%22vigil%22%7D&end=\(deletedAt)", web: true)
        #expect(series.body == #"{"status":"success","data":[]}"#, "\(series.body)")
        let values = try await server.get("/api/v1/label/job/values?match%5B%5D=up&end=\(deletedAt)", web: true)
        #expect(values.body.contains("ml-api") && !values.body.contains(#""vigil""#), "\(values.body)")
        let range = try await server.get("/api/v1/query_range?query=up%7Bjob%3D%22vigil%22%7D&start=\(Int(Date().timeIntervalSince1970) - 600)&end=\(deletedAt)&step=1", web: true)
        #expect(range.body == #"{"status":"success","data":{"resultType":"matrix","result":[]}}"#, "\(range.body)")
        let noMatch = try await server.request("/api/v1/admin/tsdb/delete_series", method: "POST", body: nil, web: true)
        #expect(noMatch.status == 400 && noMatch.body.contains("no match[] parameter provided"))
        let clean = try await server.request("/api/v1/admin/tsdb/clean_tombstones", method: "POST", body: nil, web: true)
        #expect(clean.status == 204)

        let reload = try await server.request("/-/reload", method: "POST", body: nil, web: true)
        #expect(reload.status == 200)
        let quit = try await server.request("/-/quit", method: "POST", body: nil, web: true)
        #expect(quit.status == 200 && quit.body == "Requesting termination... Goodbye!\n")
        #expect(try await server.waitForExit() == 0)
    }
}

/// The time now in Unix seconds with milliseconds, as the API's time parameters take it.
func unixNow() -> String { String(format: "%.3f", Date().timeIntervalSince1970) }

/// `PRAGMA integrity_check` on a database file, read-only.
func integrityCheck(_ path: String) throws -> String {
    var handle: OpaquePointer?
    defer { sqlite3_close_v2(handle) }
    guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw CLITestError("cannot open \(path)") }
    var statement: OpaquePointer?
    defer { sqlite3_finalize(statement) }
    guard sqlite3_prepare_v2(handle, "PRAGMA integrity_check", -1, &statement, nil) == SQLITE_OK,
          sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0)
    else { throw CLITestError("integrity_check failed to run on \(path)") }
    return String(cString: text)
}
