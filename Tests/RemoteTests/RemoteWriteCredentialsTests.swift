import Config
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
@testable import Remote
import Synchronization
import Testing
import TSDB

/// `remote_write` takes the same HTTP client settings as scrape jobs: credentials go on every request, and
/// password files are re-read for each one, so a rotated password needs no reload.
/// The Authorization headers a test receiver saw, in order.
final class HeaderLog: Sendable {
    let headers = Mutex<[String]>([])
}

@Suite struct RemoteWriteCredentialsTests {
    /// A receiver that records the Authorization header of every push and accepts it.
    func recordingReceiver(_ seen: HeaderLog) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/api/v1/write") { request, _ -> HTTPResponse.Status in
            let header = request.headers[.authorization] ?? ""
            seen.headers.withLock { $0.append(header) }
            return .noContent
        }
        return router
    }

    func commit(_ store: TimeSeriesStore, at t: Timestamp) async throws {
        var batch = AppendBatch()
        batch.append(labels: ["__name__": "m", "job": "j"], t: t, v: 1)
        _ = try await store.commit(batch)
    }

    @Test func basicAuthFromAPasswordFileIsSentAndRereadOnEachRequest() async throws {
        let directory = try TemporaryDirectory()
        let passwordFile = directory.path("password")
        try Data("first\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        let sender = try await TimeSeriesStore(path: directory.path("sender.db"))
        let seen = HeaderLog()
        let app = Application(router: recordingReceiver(seen), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await app.test(.live) { client in
            let configuration = try PrometheusConfiguration(yaml: """
                remote_write:
                  - url: http://127.0.0.1:\(client.port!)/api/v1/write
                    name: peer
                    basic_auth: {username: vigil, password_file: \(passwordFile)}
                    queue_config: {batch_send_deadline: 20ms, min_backoff: 10ms, max_backoff: 50ms}
                """, file: "t.yml")
            let manager = RemoteWriteManager(storePath: sender.path, registry: PrometheusCollectorRegistry(), logger: quietLogger) { [:] }
            try await manager.apply(configuration)
            let now = Timestamp(Date().timeIntervalSince1970 * 1000)
            try await commit(sender, at: now)
            #expect(await eventually { !seen.headers.withLock { $0 }.isEmpty })
            #expect(seen.headers.withLock { $0.first } == "Basic " + Data("vigil:first".utf8).base64EncodedString())

            try Data("second\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
            try await commit(sender, at: now + 1000)
            let rotated = "Basic " + Data("vigil:second".utf8).base64EncodedString()
            #expect(await eventually { seen.headers.withLock { $0 }.contains(rotated) })
            await manager.shutdown()
        }
    }

    @Test func clientSettingsAreCheckedWithPrometheussMessages() throws {
        #expect(throws: ConfigError.self) {
            try PrometheusConfiguration(yaml: """
                remote_write:
                  - url: http://127.0.0.1:1/api/v1/write
                    basic_auth: {username: u, password: p, password_file: f}
                """, file: "t.yml")
        }
        let parsed = try PrometheusConfiguration(yaml: """
            remote_write:
              - url: https://receiver.example/api/v1/write
                authorization: {credentials: tok3n}
                tls_config: {insecure_skip_verify: true}
            """, file: "t.yml")
        #expect(parsed.remoteWriteConfigs.first?.httpClient.authorization?.credentials.exposedValue == "tok3n")
        #expect(parsed.remoteWriteConfigs.first?.httpClient.authorization?.credentials.description == "<secret>")
        #expect(parsed.remoteWriteConfigs.first?.httpClient.tlsConfig.insecureSkipVerify == true)
        do {
            _ = try PrometheusConfiguration(yaml: "remote_write:\n  - url: http://a:1/w\n    sigv4: {region: x}\n", file: "t.yml")
            Issue.record("sigv4 must be refused")
        } catch {
            #expect("\(error)".contains("sigv4"), "\(error)")
        }
    }
}
