import Foundation
import Hummingbird
import HummingbirdTesting
import Rules
@testable import Config
import Scraper
import Synchronization
import TSDB
import Testing

@Suite struct AlertingConfigTests {
    private func configuration(_ yaml: String) throws -> PrometheusConfiguration {
        try PrometheusConfiguration(yaml: yaml, file: "alerting.yml")
    }

    @Test func relabelConfigsRewriteAndDropAlertmanagers() throws {
        let config = try configuration("""
            alerting:
              alertmanagers:
                - path_prefix: /am/
                  static_configs:
                    - targets: [keep-me, drop-me:9093]
                      labels: {team: a}
                  relabel_configs:
                    - source_labels: [__address__]
                      regex: drop-me.*
                      action: drop
                    - target_label: __alerts_path__
                      replacement: /custom/alerts
                    - source_labels: [team]
                      target_label: __address__
                      replacement: ${1}-am:9093
            """)
        let (targets, failures) = config.alerting.staticAlertmanagers
        #expect(failures.isEmpty)
        #expect(targets.map(\.postURL.absoluteString) == ["http://a-am:9093/custom/alerts"])
        #expect(targets.first?.labels["team"] == "a")
    }

    @Test func withoutRelabelingThePathComesFromPrefixAndAPIVersion() throws {
        let config = try configuration("""
            alerting:
              alertmanagers:
                - static_configs: [{targets: ["am1"]}]
                  path_prefix: proxy/
                - static_configs: [{targets: ["am2:9093"]}]
                  api_version: v1
                  timeout: 3s
            """)
        let (targets, _) = config.alerting.staticAlertmanagers
        #expect(targets.map(\.postURL.absoluteString) == ["http://am1:80/proxy/api/v2/alerts", "http://am2:9093/api/v1/alerts"])
        #expect(targets.map(\.timeout) == [.seconds(10), .seconds(3)])
    }

    @Test func alertRelabelConfigsDropAndRewriteAlerts() throws {
        let config = try configuration("""
            alerting:
              alert_relabel_configs:
                - source_labels: [severity]
                  regex: info
                  action: drop
                - source_labels: [cluster]
                  target_label: region
                  regex: (..)-.*
                  replacement: $1
                - regex: cluster
                  action: labeldrop
            """)
        let alerting = config.alerting
        #expect(alerting.relabelAlert(["alertname": "A", "severity": "info"]) == nil)
        #expect(alerting.relabelAlert(["alertname": "B", "severity": "page", "cluster": "eu-west"])
            == ["alertname": "B", "severity": "page", "region": "eu"])
    }

    @Test func alertmanagerFileSDIsRejectedNamingTheKey() {
        #expect {
            _ = try configuration("alerting:\n  alertmanagers:\n    - file_sd_configs: [{files: [am.json]}]\n")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("alerting.yml:3:7: ") && text.contains("file_sd_configs")
        }
    }

    /// Keys Prometheus has but Vigil would not apply are errors naming the key, never silently ignored.
    @Test(arguments: [
        ("global:\n  query_log_file: q.log\n", "alerting.yml:2:3: field query_log_file in global config is not supported"),
        ("scrape_configs:\n  - job_name: a\n    target_limit: 5\n",
         "alerting.yml:3:5: field target_limit in scrape config is not supported"),
    ])
    func unappliedKeysAreRejectedByName(yaml: String, prefix: String) {
        #expect {
            _ = try configuration(yaml)
        } throws: { error in
            "\(error)".hasPrefix(prefix)
        }
    }

    @Test func mergeKeysShareSettingsBetweenAlertmanagerSets() throws {
        let config = try configuration("""
            alerting:
              alertmanagers:
                - &defaults
                  timeout: 4s
                  path_prefix: /shared
                  static_configs: [{targets: ["one:9093"]}]
                - <<: *defaults
                  static_configs: [{targets: ["two:9093"]}]
            """)
        let (targets, _) = config.alerting.staticAlertmanagers
        #expect(targets.map(\.postURL.absoluteString) == ["http://one:9093/shared/api/v2/alerts", "http://two:9093/shared/api/v2/alerts"])
        #expect(targets.map(\.timeout) == [.seconds(4), .seconds(4)])
    }

    /// The notifier built from a configuration posts relabeled alerts to the relabeled Alertmanager path.
    @Test(.timeLimit(.minutes(1))) func notifierPostsRelabeledAlertsToTheRelabeledPath() async throws {
        let received = Mutex<[(path: String, body: String)]>([])
        let router = Router()
        router.post("/**") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            received.withLock { $0.append((request.uri.path, String(buffer: body))) }
            return .ok
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let config = try configuration("""
                global:
                  external_labels: {cluster: eu-1}
                alerting:
                  alert_relabel_configs:
                    - source_labels: [severity]
                      regex: info
                      action: drop
                    - source_labels: [cluster]
                      target_label: origin
                  alertmanagers:
                    - static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                      relabel_configs:
                        - target_label: __alerts_path__
                          replacement: /relabeled/alerts
                """)
            let alerting = config.alerting
            let endpoints = alerting.staticAlertmanagers.targets.map {
                Notifier.Endpoint(url: $0.postURL, timeout: $0.timeout.duration)
            }
            let notifier = Notifier(
                endpoints: endpoints, externalLabels: config.global.externalLabels,
                relabel: { alerting.relabelAlert($0) }, logger: quietLogger)
            await notifier.enqueue([
                OutgoingAlert(labels: ["alertname": "Quiet", "severity": "info"], startsAt: 0, endsAt: nil),
                OutgoingAlert(labels: ["alertname": "Loud", "severity": "page"], startsAt: 0, endsAt: nil),
            ])
            #expect(await notifier.queuedAlerts().map(\.labels) == [
                ["alertname": "Loud", "severity": "page", "cluster": "eu-1", "origin": "eu-1"],
            ])
            let run = Task { try await notifier.run() }
            defer { run.cancel() }
            let posts = try await poll("a post to reach the Alertmanager") {
                let posts = received.withLock { $0 }
                return posts.isEmpty ? nil : posts
            }
            #expect(posts.map(\.path) == ["/relabeled/alerts"])
            #expect(posts.first?.body.contains("\"origin\":\"eu-1\"") == true)
            #expect(posts.first?.body.contains("Quiet") == false)
        }
    }
}

/// Polls `check` every 50 ms until it returns a value, failing after `seconds`.
private func poll<T>(
    _ what: String, seconds: Double = 15, sourceLocation: SourceLocation = #_sourceLocation,
    _ check: () async throws -> T?
) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if let value = try await check() { return value }
        if Date() > deadline {
            Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}
