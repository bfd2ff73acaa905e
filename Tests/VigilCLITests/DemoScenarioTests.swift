import Foundation
import Testing
@testable import vigil

/// `vigil loadgen --scenario` against a real `vigil serve`: the fault goes on through `/-/demo`, the alert goes
/// pending and fires, and the fault is off again when loadgen exits.
@Suite struct DemoScenarioTests {
    /// HighErrorRate as config/alerts.yml has it, with a `for` short enough for a test.
    static let rules = """
        groups:
          - name: demo
            rules:
              - alert: HighErrorRate
                expr: rate(api_errors_total[5m]) > 0.1
                for: 2s
        """

    @Test func errorsScenarioFiresHighErrorRateAndSwitchesTheFaultOff() async throws {
        let server = try ServerProcess(arguments: ["--web.enable-lifecycle"], scrapeInterval: "1s", rules: Self.rules)
        try await server.waitUntilListening()
        let result = try await runVigil([
            "loadgen", "--scenario", "errors", "--url", "http://127.0.0.1:\(server.port)",
            "--monitoring-url", "http://127.0.0.1:\(server.webPort)", "--config.file", server.configPath, "--seed", "1",
        ])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)\n\(server.log)")
        // The expectation comes from the server's own files: two 1 s scrapes and a 1 s evaluation, then `for: 2s`.
        #expect(result.stdout.contains("expect HighErrorRate (rate(api_errors_total[5m]) > 0.1, for 2s) pending in about 3s and firing in about 5s"),
                "\(result.stdout)")
        #expect(result.stdout.contains("] HighErrorRate firing"), "\(result.stdout)")
        #expect(!result.stdout.contains("firing after:  not seen"), "\(result.stdout)")
        #expect(result.stdout.contains("status 500:"), "half the requests fail on purpose: \(result.stdout)")
        let health = try await server.get("/health")
        #expect(health.status == 200)
        #expect(!health.body.contains("demo_faults"), "loadgen switches its fault off at exit: \(health.body)")
        #expect(server.log.contains("demo fault injection on") && server.log.contains("demo fault injection off"), "\(server.log)")
    }

    @Test func scenarioNeedsTheLifecycleAPI() async throws {
        let server = try ServerProcess(arguments: [])
        try await server.waitUntilListening(monitoring: false)
        let refused = try await server.request("/-/demo?error_share=1", method: "POST", body: nil)
        #expect(refused.status == 403)
        let result = try await runVigil([
            "loadgen", "--scenario", "high-latency", "--url", "http://127.0.0.1:\(server.port)",
            "--monitoring-url", "http://127.0.0.1:\(server.webPort)", "--config.file", server.configPath,
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("403") && result.stderr.contains("--web.enable-lifecycle"), "\(result.stderr)")
        #expect(!result.stderr.contains("Usage:"))
    }

    @Test func faultsGivenAtStartShowInHealth() async throws {
        let server = try ServerProcess(arguments: ["--demo.fault-injection", "request_latency=50ms,error_share=0"])
        try await server.waitUntilListening(monitoring: false)
        let health = try await server.get("/health")
        #expect(health.body.contains(#""demo_faults":{"request_latency_seconds":0.05"#), "\(health.body)")
        let bad = try await runVigil(["serve", "--demo.fault-injection", "error_share=2"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--demo.fault-injection: error_share must be a number from 0 to 1"), "\(bad.stderr)")
    }

    @Test func eachScenarioNamesAnAlertOfTheSeedRules() throws {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("config/alerts.yml"), encoding: .utf8)
        for scenario in LoadScenario.allCases {
            #expect(text.contains("alert: \(scenario.alertName)\n"), "\(scenario.rawValue) → \(scenario.alertName)")
        }
        let expectation = ScenarioExpectation.load(.errors, configFile: Repository.root.appendingPathComponent("config/vigil.yml").path, rate: 5)
        let hold: Int64 = 5 * 60_000, pending: Int64 = 45_000
        #expect(expectation.holdMillis == hold)
        #expect(expectation.pendingMillis == pending, "two 15 s scrapes and a 15 s evaluation")
    }
}
