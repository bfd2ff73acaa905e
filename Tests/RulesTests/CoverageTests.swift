import Foundation
import Rules
import Testing

/// CoverageTests checks which rules `test rules --coverage` counts as exercised, and the coloured failure diff.
struct CoverageTests {
    static let rules = """
        groups:
          - name: api
            rules:
              - record: job:errors:rate5m
                expr: sum by (job) (rate(errors_total[5m]))
              - record: job:requests:rate5m
                expr: sum by (job) (rate(requests_total[5m]))
              - record: instance:up:count
                expr: count by (instance) (up)
              - alert: APIDown
                expr: up == 0
                for: 1m
              - alert: HighErrorRate
                expr: job:errors:rate5m > 1
          - name: disk
            rules:
              - alert: DiskFull
                expr: disk_free == 0
        """

    static let tests = """
        rule_files: [rules.yml]
        tests:
          - name: down
            interval: 1m
            input_series:
              - series: 'up{job="api", instance="a"}'
                values: '0x5'
            alert_rule_test:
              - eval_time: 3m
                alertname: APIDown
                exp_alerts:
                  - exp_labels: {job: api, instance: a}
          - name: recorded
            interval: 1m
            input_series:
              - series: 'errors_total{job="api"}'
                values: '0+60x10'
            promql_expr_test:
              - expr: 'count(job:errors:rate5m) or {__name__=~"instance:up:.*"}'
                eval_time: 10m
                exp_samples:
                  - labels: ''
                    value: 1
        """

    /// Writes the rule and test files into a fresh directory and returns the test file's path.
    static func writeFiles(tests: String = tests) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-coverage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try rules.write(to: directory.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        try tests.write(to: directory.appendingPathComponent("tests.yml"), atomically: true, encoding: .utf8)
        return directory.appendingPathComponent("tests.yml").path
    }

    @Test func countsNamedAlertsAndSelectedRecordingRulesAsTested() async throws {
        let result = await RuleTestRunner(coverage: true).test(file: try Self.writeFiles())
        #expect(result.passed, "\(result.errors.map(\.message))")
        let coverage = try #require(result.coverage)
        #expect(coverage.rules.filter(\.tested).map(\.name) == ["job:errors:rate5m", "instance:up:count", "APIDown"])
        #expect(coverage.rules.filter { !$0.tested }.map(\.name) == ["job:requests:rate5m", "HighErrorRate", "DiskFull"])
        #expect(coverage.percent == 50)
    }

    @Test func summaryListsUntestedRulesPerFile() async throws {
        let path = try Self.writeFiles()
        let coverage = try #require(await RuleTestRunner(coverage: true).test(file: path).coverage)
        let rulesPath = (path as NSString).deletingLastPathComponent + "/rules.yml"
        #expect(coverage.summary == """
            Rule coverage: 3 of 6 rules (50.0%)
              \(rulesPath): 3 untested
                record job:requests:rate5m (group api)
                alert HighErrorRate (group api)
                alert DiskFull (group disk)

            """)
    }

    @Test func failUnderComparesWithThePercentage() {
        let coverage = RuleCoverage(rules: [
            .init(file: "r.yml", group: "g", name: "A", isAlerting: true, tested: true),
            .init(file: "r.yml", group: "g", name: "B", isAlerting: true, tested: false),
            .init(file: "r.yml", group: "g", name: "c", isAlerting: false, tested: false),
        ])
        #expect(coverage.isBelow(34))
        #expect(!coverage.isBelow(33))
        #expect(coverage.summary.hasPrefix("Rule coverage: 1 of 3 rules (33.3%)\n"))
    }

    @Test func onlySelectedTestGroupsCount() async throws {
        let result = await RuleTestRunner(run: "^down$", coverage: true).test(file: try Self.writeFiles())
        #expect(try #require(result.coverage).rules.filter(\.tested).map(\.name) == ["APIDown"])
    }

    @Test func mergingAcrossTestFilesKeepsARuleTestedByAny() {
        let untested = RuleCoverage(rules: [.init(file: "r.yml", group: "g", name: "A", isAlerting: true, tested: false)])
        let tested = RuleCoverage(rules: [.init(file: "r.yml", group: "g", name: "A", isAlerting: true, tested: true)])
        let merged = RuleCoverage.merged([untested, tested])
        #expect(merged.rules.count == 1)
        #expect(merged.testedCount == 1)
    }

    @Test func coverageIsNotComputedUnlessAsked() async throws {
        #expect(await RuleTestRunner().test(file: try Self.writeFiles()).coverage == nil)
    }
}

/// TestDiffTests checks the coloured expected-versus-got diff of failures, and when it is used.
struct TestDiffTests {
    static let red = "\u{1B}[31m", green = "\u{1B}[32m"

    @Test func colourIsOnWhenForcedAndOffWhenPiped() {
        #expect(ColorMode.always.enabled(stdoutIsTerminal: false, stderrIsTerminal: false))
        #expect(!ColorMode.auto.enabled(stdoutIsTerminal: false, stderrIsTerminal: true))
        #expect(!ColorMode.auto.enabled(stdoutIsTerminal: true, stderrIsTerminal: false))
        #expect(ColorMode.auto.enabled(stdoutIsTerminal: true, stderrIsTerminal: true))
        #expect(!ColorMode.auto.enabled(stdoutIsTerminal: true, stderrIsTerminal: true, environment: ["NO_COLOR": "1"]))
        #expect(!ColorMode.never.enabled(stdoutIsTerminal: true, stderrIsTerminal: true))
    }

    static let partlyWrong = """
        rule_files: [rules.yml]
        tests:
          - interval: 1m
            input_series:
              - series: 'up{job="api", instance="a"}'
                values: '0x5'
              - series: 'up{job="api", instance="b"}'
                values: '0x5'
            alert_rule_test:
              - eval_time: 3m
                alertname: APIDown
                exp_alerts:
                  - exp_labels: {job: api, instance: a}
                  - exp_labels: {job: api, instance: c}
        """

    @Test func forcedColourMarksOnlyTheDifferingLines() async throws {
        let result = await RuleTestRunner().test(file: try CoverageTests.writeFiles(tests: Self.partlyWrong))
        let colored = RuleTestReport.chunks(for: result, color: true)
        let coloredErr = colored.map { if case .stderr(let text) = $0 { text } else { "" } }.joined()
        #expect(coloredErr.contains(Self.red + #"  Labels:{alertname="APIDown", instance="c", job="api"}"# + "\u{1B}[0m"))
        #expect(coloredErr.contains(Self.green + #"  Labels:{alertname="APIDown", instance="b", job="api"}"# + "\u{1B}[0m"))
        // Lines both sides share stay plain.
        #expect(coloredErr.contains("            " + #"  Labels:{alertname="APIDown", instance="a", job="api"}"#))
        #expect(coloredErr.components(separatedBy: "\u{1B}[3").count == 3)
        // Stripping the colour gives back promtool's text, and standard output is the same either way.
        let stripped = coloredErr.replacing(/\u{1B}\[[0-9]+m/, with: "")
        #expect(stripped == RuleTestReport(results: [result]).stderr)
        let plain = RuleTestReport.chunks(for: result, color: false)
        #expect(colored.filter { if case .stdout = $0 { true } else { false } } == plain.filter { if case .stdout = $0 { true } else { false } })
    }

    @Test func queryResultsColourTheDifferingSamples() async throws {
        let result = await RuleTestRunner().test(file: SharedConformance.directory.appendingPathComponent("promtool/failing.yml").path)
        let coloredErr = RuleTestReport.chunks(for: result, color: true).map { if case .stderr(let text) = $0 { text } else { "" } }.joined()
        #expect(coloredErr.contains("exp: " + Self.red + #"{__name__="test"} 1E+00"#))
        #expect(coloredErr.contains("got: " + Self.green + #"{__name__="test"} 0E+00"#))
    }

    @Test func plainOutputHasNoEscapes() async throws {
        let result = await RuleTestRunner().test(file: SharedConformance.directory.appendingPathComponent("promtool/failing.yml").path)
        #expect(!RuleTestReport(results: [result]).stderr.contains("\u{1B}"))
    }
}
