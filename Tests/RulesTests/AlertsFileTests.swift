import Foundation
import Rules
import TSDB
import Testing

/// `config/alerts.yml`, the alerts Vigil ships for the ML API: it must load, and its annotations must read well.
///
/// `scenarios` lists, per alert, a series that makes it fire and the labels and annotations that result. The same
/// table drives `promtool test rules` in `promtoolFiresTheAlertsWithTheseAnnotations`, so the expectations are
/// Prometheus's, and `annotationsExpand` checks Vigil's templates produce them too.
struct AlertsFileTests {
    static let path = Repository.path("config/alerts.yml")
    static let instance = "127.0.0.1:8002"

    struct Scenario: CustomTestStringConvertible {
        var alert: String
        /// The input series of the promtool test, in its notation.
        var series: [String]
        /// The labels and value of the expression's result at the evaluation time.
        var resultLabels: [String: String]
        var value: Double
        var labels: [String: String]
        var annotations: [String: String]
        var testDescription: String { alert }
    }

    static let target = ["job": "ml-api", "instance": instance]

    static let scenarios: [Scenario] = [
        Scenario(
            alert: "APIDown", series: [#"up{job="ml-api", instance="127.0.0.1:8002"} 0x10"#],
            resultLabels: target, value: 0, labels: target.merging(["severity": "critical"]) { $1 },
            annotations: [
                "summary": "ML API 127.0.0.1:8002 is down",
                "description": "Scrapes of 127.0.0.1:8002 (job ml-api) have failed for more than 1 minute (up = 0).",
                "action": "Check that the API process on 127.0.0.1:8002 is running and listening (see the `vigil serve` logs); restart it if it exited.",
            ]),
        Scenario(
            alert: "ModelNotLoaded", series: [#"model_loaded{job="ml-api", instance="127.0.0.1:8002"} 0x10"#],
            resultLabels: target, value: 0, labels: target.merging(["severity": "critical"]) { $1 },
            annotations: [
                "summary": "No model loaded on 127.0.0.1:8002",
                "description": "model_loaded has been 0 on 127.0.0.1:8002 for more than 2 minutes, so every prediction request fails.",
                "action": "Check that the model artifact exists and is readable (run `vigil train` to rebuild it), look for load errors in the API logs, then restart the API.",
            ]),
        Scenario(
            alert: "HighErrorRate",
            series: [#"api_errors_total{job="ml-api", instance="127.0.0.1:8002", endpoint="/predict", error_type="validation"} 0+60x10"#],
            resultLabels: target.merging(["endpoint": "/predict", "error_type": "validation"]) { $1 }, value: 1,
            labels: target.merging(["endpoint": "/predict", "error_type": "validation", "severity": "warning"]) { $1 },
            annotations: [
                "summary": "High error rate on /predict (validation)",
                "description": "127.0.0.1:8002 has returned 1 validation errors per second on /predict over the last 5 minutes (threshold 0.1/s).",
                "action": "Inspect the API logs for the failing requests on /predict; if the errors began with a deployment or a new model, roll it back.",
            ]),
        Scenario(
            alert: "HighLatency",
            series: ["0.5": "0x10", "1": "0x10", "2.5": "0+60x10", "+Inf": "0+60x10"].sorted { $0.key < $1.key }.map {
                #"api_request_duration_seconds_bucket{job="ml-api", instance="127.0.0.1:8002", method="POST", endpoint="/predict", le="\#($0.key)"} \#($0.value)"#
            },
            resultLabels: target.merging(["method": "POST", "endpoint": "/predict"]) { $1 }, value: 2.425,
            labels: target.merging(["method": "POST", "endpoint": "/predict", "severity": "warning"]) { $1 },
            annotations: [
                "summary": "Slow responses on POST /predict",
                "description": "The 95th percentile latency of POST /predict on 127.0.0.1:8002 is 2.425s (threshold 1s) over the last 5 minutes.",
                "action": "Check CPU and memory on 127.0.0.1:8002 and the request rate; if inference is also slow see SlowInference, otherwise scale out or shed load.",
            ]),
        Scenario(
            alert: "SlowInference",
            series: ["0.5": "0x10", "1": "0+60x10", "+Inf": "0+60x10"].sorted { $0.key < $1.key }.map {
                #"model_inference_duration_seconds_bucket{job="ml-api", instance="127.0.0.1:8002", le="\#($0.key)"} \#($0.value)"#
            },
            resultLabels: target, value: 0.975, labels: target.merging(["severity": "warning"]) { $1 },
            annotations: [
                "summary": "Slow model inference on 127.0.0.1:8002",
                "description": "The 95th percentile model inference time on 127.0.0.1:8002 is 975ms (threshold 500ms) over the last 5 minutes.",
                "action": "Check whether the host is CPU-starved or swapping, and whether a larger model was deployed; roll back the model or add capacity.",
            ]),
        Scenario(
            alert: "HighConcurrentRequests", series: [#"api_active_requests{job="ml-api", instance="127.0.0.1:8002"} 12x10"#],
            resultLabels: target, value: 12, labels: target.merging(["severity": "warning"]) { $1 },
            annotations: [
                "summary": "Many concurrent requests on 127.0.0.1:8002",
                "description": "127.0.0.1:8002 has had 12 requests in flight for more than 2 minutes (threshold 10).",
                "action": "Look for a traffic spike or slow downstream calls (see HighLatency); scale out or rate-limit clients if the load is legitimate.",
            ]),
    ]

    @Test func loadsWithSixAlertsAndTheirSettings() throws {
        let file = try RuleFile(contentsOf: Self.path)
        #expect(file.groups.map(\.name) == ["ml-api-alerts", "ml-model-alerts"])
        #expect(file.groups[1].rules.map(\.name) == ["ModelInputDrift", "ModelRegistryUnreachable"])
        #expect(file.groups[1].rules.map(\.holdDuration) == [900_000, 300_000])
        let rules = file.groups[0].rules
        #expect(rules.map(\.name) == ["APIDown", "ModelNotLoaded", "HighErrorRate", "HighLatency", "SlowInference", "HighConcurrentRequests"])
        #expect(rules.map(\.exprText) == [
            #"up{job="ml-api"} == 0"#, "model_loaded == 0", "rate(api_errors_total[5m]) > 0.1",
            "histogram_quantile(0.95, rate(api_request_duration_seconds_bucket[5m])) > 1",
            "histogram_quantile(0.95, rate(model_inference_duration_seconds_bucket[5m])) > 0.5", "api_active_requests > 10",
        ])
        #expect(rules.map(\.holdDuration) == [60_000, 120_000, 300_000, 300_000, 300_000, 120_000])
        #expect(rules.map { $0.labels.first { $0.name == "severity" }?.value } == ["critical", "critical", "warning", "warning", "warning", "warning"])
        for rule in rules {
            #expect(rule.kind.isAlerting)
            #expect(rule.annotations.map(\.name) == ["action", "description", "summary"], "\(rule.name)")
        }
        #expect(file.duplicateRules.isEmpty)
    }

    @Test("annotations expand", arguments: scenarios)
    func annotationsExpand(_ scenario: Scenario) throws {
        let file = try RuleFile(contentsOf: Self.path)
        let rule = try #require(file.groups[0].rules.first { $0.name == scenario.alert })
        let expander = try AlertExpander(spec: rule)
        let elements = try expander.elements(for: [(Labels(scenario.resultLabels), scenario.value)])
        #expect(elements.count == 1)
        #expect(elements.first?.labels == Labels(scenario.labels.merging(["alertname": scenario.alert]) { $1 }))
        #expect(elements.first?.annotations == Labels(scenario.annotations))
    }

    @Test(.enabled(if: Promtool.shouldRun, "promtool is not installed"))
    func promtoolAcceptsTheFile() async throws {
        guard let result = try await Promtool.run(["check", "rules", Self.path]) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Checking \(Self.path)\n  SUCCESS: 8 rules found\n\n")
    }

    @Test(.enabled(if: Promtool.shouldRun, "promtool is not installed"))
    func promtoolFiresTheAlertsWithTheseAnnotations() async throws {
        func quoted(_ text: String) -> String {
            "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        }
        var yaml = "rule_files: [\(quoted(Self.path))]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
        for scenario in Self.scenarios {
            for series in scenario.series {
                let split = series.lastIndex(of: " ")!
                yaml += "      - series: \(quoted(String(series[..<split])))\n        values: \(quoted(String(series[series.index(after: split)...])))\n"
            }
        }
        yaml += "    alert_rule_test:\n"
        for scenario in Self.scenarios {
            yaml += "      - eval_time: 10m\n        alertname: \(scenario.alert)\n        exp_alerts:\n          - exp_labels:\n"
            for (name, value) in scenario.labels.sorted(by: { $0.key < $1.key }) { yaml += "              \(name): \(quoted(value))\n" }
            yaml += "            exp_annotations:\n"
            for (name, value) in scenario.annotations.sorted(by: { $0.key < $1.key }) { yaml += "              \(name): \(quoted(value))\n" }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-alerts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try yaml.write(to: directory.appendingPathComponent("alerts_test.yml"), atomically: true, encoding: .utf8)
        guard let result = try await Promtool.run(["test", "rules", "alerts_test.yml"], in: directory.path) else { return }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
