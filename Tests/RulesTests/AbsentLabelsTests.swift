import Foundation
import Rules
import Testing

/// AbsentLabelsTests: `absent` keeps a label only with one equality matcher and no later matcher for it, and
/// rules evaluate their printed expression, whose matchers are sorted (`a!~…` before `a=…`).
struct AbsentLabelsTests {
    static let rules = """
        groups:
          - name: absence
            interval: 1m
            rules:
              - alert: JobMissing
                expr: absent(job_up{job="api", job!~".*-canary"})
              - record: job:absent:written_order
                expr: absent(job_up{job="api", job!~".*-canary", env="prod"})
        """

    static let tests = """
        rule_files: [rules.yml]
        tests:
          - interval: 1m
            input_series:
              - series: 'other{job="api"}'
                values: '1 1'
            alert_rule_test:
              - alertname: JobMissing
                eval_time: 1m
                exp_alerts:
                  - exp_labels: {job: api}
            promql_expr_test:
              - expr: 'absent(job_up{job="api", job!~".*-canary"})'
                eval_time: 1m
                exp_samples:
                  - labels: '{}'
                    value: 1
              - expr: 'absent(job_up{job!~".*-canary", job="api"})'
                eval_time: 1m
                exp_samples:
                  - labels: '{job="api"}'
                    value: 1
              - expr: 'absent(job_up{job="api", job="web", env="prod"})'
                eval_time: 1m
                exp_samples:
                  - labels: '{env="prod"}'
                    value: 1
              - expr: job:absent:written_order
                eval_time: 1m
                exp_samples:
                  - labels: 'job:absent:written_order{env="prod", job="api"}'
                    value: 1
        """

    @Test func labelsDependOnMatcherOrderAndRulesUseTheSortedOrder() async throws {
        let files = try RuleUnitTestFiles(rules: Self.rules, tests: Self.tests)
        defer { files.remove() }
        let report = await files.run()
        #expect(report.passed, "\(report.stderr)")
        if let promtool = try await files.runPromtool() {
            #expect(promtool.status == 0, "promtool disagrees: \(promtool.stderr)")
        }
    }
}
