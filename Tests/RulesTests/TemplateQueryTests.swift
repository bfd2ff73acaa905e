import Foundation
import Rules
import Testing

/// TemplateQueryTests: the `query` template function runs through the rule's own query function, at the time
/// the alert is evaluated, and sees what earlier rules of the group wrote at that time.
struct TemplateQueryTests {
    static let rules = """
        groups:
          - name: fleet
            interval: 1m
            rules:
              - record: fleet:down:count
                expr: count(up == 0)
              - alert: InstanceDown
                expr: up == 0
                annotations:
                  summary: >-
                    {{ with query "fleet:down:count" }}{{ . | first | value }}{{ end }} of
                    {{ query "count(up)" | first | value }} down:
                    {{ range query "up == 0" | sortByLabel "instance" }}{{ .Labels.instance }} {{ end }}
                  broken: '{{ query "sum(" }}'
        """

    static let tests = """
        rule_files: [rules.yml]
        tests:
          - interval: 1m
            input_series:
              - series: 'up{instance="c"}'
                values: '1 0 0'
              - series: 'up{instance="a"}'
                values: '0 0 1'
              - series: 'up{instance="b"}'
                values: '1 1 1'
            alert_rule_test:
              - alertname: InstanceDown
                eval_time: 1m
                exp_alerts:
                  - exp_labels: {instance: a}
                    exp_annotations:
                      summary: '2 of 3 down: a c '
                      broken: 'x'
                  - exp_labels: {instance: c}
                    exp_annotations:
                      summary: '2 of 3 down: a c '
                      broken: 'x'
        """

    @Test func queryAnswersAtTheAlertsEvaluationTimeAndReportsItsErrors() async throws {
        let files = try RuleUnitTestFiles(rules: Self.rules, tests: Self.tests)
        defer { files.remove() }
        let report = await files.run()
        // Everything but the broken annotation matches; that one carries the parse error of its query.
        let errors = try #require(report.results.first?.errors)
        #expect(errors.count == 1)
        let failure = try #require(errors.first?.message)
        let got = try #require(failure.components(separatedBy: "got:").last)
        #expect(got.components(separatedBy: "summary=\"2 of 3 down: a c \"").count == 3)
        #expect(got.contains("at <query \\\"sum(\\\">: error calling query: 1:5: parse error: "))
        #expect(!got.contains("query function not supported"))
        if let promtool = try await files.runPromtool() {
            #expect(promtool.status == 1)
            #expect(report.stderr == promtool.stderr)
        }
    }
}
