import Foundation
import Testing
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

    func waitFor(_ state: String, _ server: ServerProcess, within seconds: Int) async throws -> Duration {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(seconds) {
            if try await alertState(server) == state { return ContinuousClock.now - started }
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
        _ = try await waitFor("pending", first, within: 15)
        let toFiring = try await waitFor("firing", first, within: 30)
        #expect(toFiring >= .seconds(4), "the for duration must be waited out the first time")

        let rules = try JSONSerialization.jsonObject(with: Data(try await first.get("/api/v1/rules", web: true).body.utf8)) as? [String: Any]
        let rule = (((rules?["data"] as? [String: Any])?["groups"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]])?.first
        #expect(rule?["state"] as? String == "firing")
        #expect(rule?["duration"] as? Double == 8)
        #expect(rule?["health"] as? String == "ok")

        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)

        // Same storage, same ports: the alert's for state comes back from ALERTS_FOR_STATE.
        let second = try ServerProcess(arguments: arguments, scrapeInterval: "500ms", rules: Self.rules, reuse: first)
        try await second.waitUntilListening()
        let refiring = try await waitFor("firing", second, within: 30)
        #expect(refiring < .seconds(6), "a restored alert fires without waiting its 8 s for again (took \(refiring))")
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }
}
