import AsyncHTTPClient
import Foundation
import Testing
@testable import Config
import OutboundHTTP
import Rules
@testable import Scraper
import TSDB

/// The notifier posts to Debian's Alertmanager behind its own TLS and basic-auth web config, with the
/// `alerting.alertmanagers` client settings of a prometheus.yml.
@Suite(.enabled(
    if: Peers.available(Peers.openssl, Peers.alertmanager, Peers.python),
    "needs openssl, prometheus-alertmanager and python3 (Debian packages)"))
struct NotifierTLSTests {
    static let password = "am-password"

    @Test func alertsReachASecuredAlertmanagerAndAWrongPasswordIsAnError() async throws {
        guard let openssl = Peers.require(Peers.openssl, "openssl"),
              let binary = Peers.require(Peers.alertmanager, "prometheus-alertmanager"),
              let python = Peers.require(Peers.python, "python3") else { return }
        let directory = try TemporaryDirectory("vigil-am-tls")
        let certificates = try await TestCertificates.make(in: directory, openssl: openssl)
        try directory.write("alertmanager.yml", "route: {receiver: 'null'}\nreceivers: [{name: 'null'}]\n")
        try directory.write("web.yml", """
            tls_server_config: {cert_file: \(certificates.serverCertFile), key_file: \(certificates.serverKeyFile)}
            basic_auth_users: {vigil: '\(try await bcryptHash(Self.password, python: python))'}

            """)
        let port = try freeLoopbackPort()
        let alertmanager = try PeerProcess(binary, [
            "--config.file=\(directory.path("alertmanager.yml"))", "--storage.path=\(directory.path("data"))",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=", "--web.config.file=\(directory.path("web.yml"))",
        ])
        defer { _ = alertmanager }

        func notifier(password: String) throws -> (Notifier, HTTPClientConfiguration) {
            let config = try PrometheusConfiguration(yaml: """
                alerting:
                  alertmanagers:
                    - scheme: https
                      tls_config: {ca_file: \(certificates.caFile)}
                      basic_auth: {username: vigil, password: '\(password)'}
                      static_configs: [{targets: ['127.0.0.1:\(port)']}]
                """, file: "prometheus.yml")
            let targets = config.alerting.staticAlertmanagers.targets
            let endpoints = targets.map { Notifier.Endpoint(url: $0.postURL, timeout: .seconds(5), httpClient: $0.httpClient) }
            return (Notifier(endpoints: endpoints, logger: quietLogger), try #require(targets.first?.httpClient))
        }

        let (good, settings) = try notifier(password: Self.password)
        let running = Task { try await good.run() }
        defer { running.cancel() }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let pool = HTTPClientPool(base: HTTPClient.Configuration())
        // Alertmanager may still be starting: enqueue again until it holds the alert.
        let received = try await pollUntil(seconds: 30) { () -> Bool? in
            await good.enqueue([OutgoingAlert(labels: ["alertname": "OverTLS"], startsAt: now, endsAt: nil)])
            let (client, request) = try pool.prepare(url: "https://127.0.0.1:\(port)/api/v2/alerts", settings: settings)
            guard let response = try? await client.execute(request, timeout: .seconds(2)), response.status == .ok else { return nil }
            let body = try await response.body.collect(upTo: 1 << 20)
            return String(buffer: body).contains("OverTLS") ? true : nil
        }
        await pool.shutdown()
        #expect(received == true, "Alertmanager holds the alert posted over TLS with basic auth")

        let (bad, _) = try notifier(password: "wrong")
        let badRunning = Task { try await bad.run() }
        defer { badRunning.cancel() }
        await bad.enqueue([OutgoingAlert(labels: ["alertname": "Refused"], startsAt: now, endsAt: nil)])
        let errors = try await pollUntil(seconds: 30) { () -> Int? in
            let count = await bad.stats().alertmanagers.first?.errorsTotal ?? 0
            return count > 0 ? count : nil
        }
        #expect(errors == 1, "the post answered 401 counts as an error")
        #expect(await bad.stats().droppedTotal == 1)
    }
}
