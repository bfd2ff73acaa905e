import Foundation
import Rules
import Testing

/// ExpectedSampleLabelsTests: `exp_samples[].labels` is a series in metric notation, where `{}` is the empty set.
struct ExpectedSampleLabelsTests {
    static let rules = """
        groups:
          - name: totals
            rules:
              - record: job:requests:sum
                expr: sum by (job) (requests)
        """

    static let tests = """
        rule_files: [rules.yml]
        tests:
          - interval: 1m
            input_series:
              - series: 'requests{job="api", path="/a"}'
                values: '1 2'
              - series: 'requests{job="api", path="/b"}'
                values: '3 4'
            promql_expr_test:
              - expr: sum(requests)
                eval_time: 1m
                exp_samples:
                  - labels: '{}'
                    value: 6
              - expr: sum(requests)
                eval_time: 1m
                exp_samples:
                  - value: 6
              - expr: job:requests:sum
                eval_time: 1m
                exp_samples:
                  - labels: 'job:requests:sum{job="api"}'
                    value: 6
              - expr: job:requests:sum
                eval_time: 1m
                exp_samples:
                  - labels: '{__name__="job:requests:sum", job="api",}'
                    value: 6
              - expr: max(requests) by (path)
                eval_time: 0m
                exp_samples:
                  - labels: '{path="/a"}'
                    value: 1
                  - labels: "{path='/b'}"
                    value: 3
        """

    @Test func everyMetricNotationPromtoolAcceptsMatches() async throws {
        let files = try RuleUnitTestFiles(rules: Self.rules, tests: Self.tests)
        defer { files.remove() }
        let report = await files.run()
        #expect(report.passed, "\(report.stderr)")
        if let promtool = try await files.runPromtool() {
            #expect(promtool.status == 0, "promtool disagrees: \(promtool.stderr)")
        }
    }

    @Test func aSelectorIsNotASeriesAndFailsWithItsPosition() async throws {
        let tests = Self.tests.replacingOccurrences(of: "'job:requests:sum{job=\"api\"}'", with: "'job:requests:sum{job=~\"api\"}'")
        let files = try RuleUnitTestFiles(rules: Self.rules, tests: tests)
        defer { files.remove() }
        let report = await files.run()
        #expect(!report.passed)
        #expect(report.stderr.contains(#"err: labels "job:requests:sum{job=~\"api\"}": 1:21: parse error: unexpected <op:=~> in label set, expected "=""#))
        if let promtool = try await files.runPromtool() {
            #expect(report.stderr == promtool.stderr)
        }
    }
}
