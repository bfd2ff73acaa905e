import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct AlertingEndToEndTests {
    static let rules = """
        groups:
          - name: e2e
            interval: 500ms
            rules:
              - alert: ModelNotLoaded
                expr: model_loaded == 0
                for: 8s
                labels: {severity: critical}
                annotations:
                  summary: ML model not loaded on {{ $labels.instance }}
        """

    /// The state of the first ModelNotLoaded alert in `/api/v1/alerts`, if any.
    func alertState(_ server: ServerProcess) async throws -> String? {
        let body = try await server.get("/api/v1/alerts", web: true).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let alerts = (json?["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
        return alerts.first { ($0["labels"] as? [String: String])?["alertname"] == "ModelNotLoaded" }?["state"] as? String
    }

    /// When the ModelNotLoaded alert became active, as `/api/v1/alerts` reports it.
    func activeAt(_ server: ServerProcess) async throws -> Date? {
        let body = try await server.get("/api/v1/alerts", web: true).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let alerts = (json?["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
        guard let text = alerts.first?["activeAt"] as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// Polls until the alert is in `state` (or a later one: a starved poller may miss a short pending phase).
    func waitFor(_ state: String, _ server: ServerProcess, within seconds: Int) async throws -> Duration {
        let accepted = state == "pending" ? ["pending", "firing"] : [state]
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(seconds) {
            if let current = try await alertState(server), accepted.contains(current) { return ContinuousClock.now - started }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("ModelNotLoaded did not become \(state) within \(seconds) s: \(server.log.suffix(2000))")
        return .seconds(seconds)
    }

    @Test func modelNotLoadedGoesPendingThenFiringAndStaysFiringAcrossARestart() async throws {
        let arguments = ["--model.path", "/nonexistent/model.json", "--rules.alert.for-grace-period", "1s"]
        let first = try ServerProcess(arguments: arguments, scrapeInterval: "500ms", rules: Self.rules)
        first.keepFiles = true
        try await first.waitUntilListening()
        _ = try await waitFor("pending", first, within: 60)
        _ = try await waitFor("firing", first, within: 60)
        // Firing only once `for` has passed since activeAt (checked against the alert's own time, not a stopwatch).
        let firstActiveAt = try #require(try await activeAt(first))
        #expect(Date().timeIntervalSince(firstActiveAt) >= 8, "fired before its 8 s for elapsed")

        let rules = try JSONSerialization.jsonObject(with: Data(try await first.get("/api/v1/rules", web: true).body.utf8)) as? [String: Any]
        let rule = (((rules?["data"] as? [String: Any])?["groups"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]])?.first
        #expect(rule?["state"] as? String == "firing")
        #expect(rule?["duration"] as? Double == 8)
        #expect(rule?["health"] as? String == "ok")

        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)

        // Same storage, same ports: the alert's for state comes back from ALERTS_FOR_STATE.
        let restartedAt = Date()
        let second = try ServerProcess(arguments: arguments, scrapeInterval: "500ms", rules: Self.rules, reuse: first)
        try await second.waitUntilListening()
        _ = try await waitFor("firing", second, within: 60)
        // Restored, the alert keeps the activeAt it had before the restart instead of starting its 8 s again.
        let restored = try #require(try await activeAt(second))
        #expect(restored < restartedAt, "activeAt \(restored) should predate the restart at \(restartedAt)")
        #expect(abs(restored.timeIntervalSince(firstActiveAt)) < 1.0)
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }
}

/// Debian's Alertmanager on a loopback port, for the duration of one test.
final class AlertmanagerProcess {
    let process = Process()
    let port: Int
    let directory: URL

    init?() throws {
        let binary = "/usr/bin/prometheus-alertmanager"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("prometheus-alertmanager is not installed") }
            return nil
        }
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-am-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("alertmanager.yml")
        try Data("route: {receiver: 'null'}\nreceivers: [{name: 'null'}]\n".utf8).write(to: config)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config.file=\(config.path)", "--storage.path=\(directory.path)",
                             "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address="]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Names of the alerts Alertmanager holds as active.
    func activeAlertNames() async -> Set<String> {
        guard let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/api/v2/alerts")!),
              let alerts = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return Set(alerts.compactMap { alert in
            guard (alert["status"] as? [String: Any])?["state"] as? String == "active" else { return nil }
            return (alert["labels"] as? [String: String])?["alertname"]
        })
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}

extension AlertingEndToEndTests {
    @Test func invalidRequestsAndADeadTargetFireAndReachAlertmanager() async throws {
        guard let alertmanager = try AlertmanagerProcess() else { return }
        let deadPort = try freePort()
        let rules = """
            groups:
              - name: e2e
                interval: 500ms
                rules:
                  - alert: HighErrorRate
                    expr: rate(api_errors_total[3s]) > 0.1
                    for: 1s
                    labels: {severity: warning}
                  - alert: APIDown
                    expr: up{job="ml-api-replica"} == 0
                    for: 1s
                    labels: {severity: critical}
            """
        let server = try ServerProcess(
            arguments: [], scrapeInterval: "500ms", rules: rules,
            extraJobs: "\n  - job_name: ml-api-replica\n    static_configs: [{targets: [\"127.0.0.1:\(deadPort)\"]}]\n",
            extraConfig: "\nalerting:\n  alertmanagers:\n    - static_configs: [{targets: [\"127.0.0.1:\(alertmanager.port)\"]}]\n"
        )
        try await server.waitUntilListening()
        // Invalid requests for a few seconds: 422s move api_errors_total.
        let started = ContinuousClock.now
        var fired = Set<String>()
        while ContinuousClock.now - started < .seconds(30) {
            for _ in 0..<5 { _ = try? await server.request("/predict", method: "POST", body: #"{"Glucose":"high"}"#) }
            fired = await alertmanager.activeAlertNames()
            if fired.isSuperset(of: ["HighErrorRate", "APIDown"]) { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(fired.isSuperset(of: ["HighErrorRate", "APIDown"]), "Alertmanager holds \(fired); log: \(server.log.suffix(1500))")
        let metrics = try await server.get("/metrics", web: true).body
        // Labelled by the URL alerts are posted to, as Prometheus labels prometheus_notifications_sent_total.
        #expect(metrics.contains("vigil_notifications_sent_total{alertmanager=\"http://127.0.0.1:\(alertmanager.port)/api/v2/alerts\"}"), "\(metrics)")
        #expect(metrics.contains("vigil_rule_evaluations_total{rule_group="))
        let page = try await server.get("/alerts", web: true)
        #expect(page.status == 200)
        #expect(page.body.contains("HighErrorRate") && page.body.contains("APIDown") && page.body.contains("class=\"badge firing\""))
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}
