import Foundation
import Rules
import Testing

/// Anchors, merge keys and unknown-field reports in rule files and rule test files, as Prometheus's YAML reads them.
@Suite struct RuleFileYAMLTests {
    @Test func mergeKeysApplyToRulesLabelsAndAnnotations() throws {
        let file = try RuleFile(yaml: """
            groups:
              - name: g
                rules:
                  - &page
                    alert: First
                    expr: up == 0
                    for: 5m
                    labels: &labels
                      severity: page
                      team: a
                    annotations: &annotations
                      summary: first summary
                  - <<: *page
                    alert: Second
                    labels:
                      <<: *labels
                      team: b
                    annotations:
                      <<: [*annotations, {summary: ignored, runbook: r}]
            """, file: "merge.yml")
        let rules = try #require(file.groups.first?.rules)
        #expect(rules.map(\.name) == ["First", "Second"])
        let second = rules[1]
        #expect(second.exprText == "up == 0")
        #expect(second.holdDuration == 300_000)
        #expect(Dictionary(uniqueKeysWithValues: second.labels.map { ($0.name, $0.value) }) == ["severity": "page", "team": "b"])
        #expect(Dictionary(uniqueKeysWithValues: second.annotations.map { ($0.name, $0.value) })
            == ["summary": "first summary", "runbook": "r"])
    }

    @Test func unknownFieldsAreListedTheWayPromtoolListsThem() {
        let yaml = """
            groups:
              - name: g
                foo: 1
                bar: 2
                rules:
                  - alert: A
                    expr: up == 0
                    baz: 3
            """
        #expect {
            _ = try RuleFile(yaml: yaml, file: "r.yml")
        } throws: { error in
            guard let errors = error as? RuleErrors else { return false }
            let positions = errors.errors.map { "\($0.line ?? 0):\($0.column ?? 0)" }
            return errors.promtoolDescription == """
                r.yml: yaml: unmarshal errors:
                  line 3: field foo not found in type rulefmt.RuleGroup
                  line 4: field bar not found in type rulefmt.RuleGroup
                  line 8: field baz not found in type rulefmt.RuleNode
                """ && positions == ["3:5", "4:5", "8:9"]
        }
    }

    /// Each unknown key is reported once with its own position; the check must not rescan the mapping per key.
    @Test func twentyThousandUnknownKeysAreAllReported() throws {
        let count = 20_000
        var yaml = "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n"
        for index in 0..<count { yaml += "        unknown_\(index): x\n" }
        do {
            _ = try RuleFile(yaml: yaml, file: "big.yml")
            Issue.record("a rule with unknown keys loaded")
        } catch {
            #expect(error.errors.count == count)
            #expect(error.errors.first?.message == "field unknown_0 not found in type rulefmt.RuleNode")
            #expect(error.errors.last?.line == count + 5)
            #expect(error.errors.allSatisfy { $0.group == "g" && $0.rule == 1 && $0.ruleName == "r" })
        }
    }

    @Test func testFilesAcceptAnchorsAndMergeKeys() throws {
        let file = try RuleTestFile(yaml: """
            rule_files: [rules.yml]
            tests:
              - &base
                interval: 1m
                input_series:
                  - series: up{job="a"}
                    values: 1x5
                promql_expr_test:
                  - expr: up
                    eval_time: 1m
                    exp_samples: [{labels: 'up{job="a"}', value: 1}]
              - <<: *base
                interval: 30s
            """)
        #expect(file.tests.count == 2)
        #expect(file.tests.map(\.interval) == [60_000, 30_000])
        #expect(file.tests[1].inputSeries.map(\.series) == ["up{job=\"a\"}"])
        #expect(file.tests[1].promqlExprTests.map(\.expr) == ["up"])
    }

    @Test func unknownTestFileFieldsAreListedWithLines() {
        #expect {
            _ = try RuleTestFile(yaml: """
                rule_files: [r.yml]
                foo: 1
                tests:
                  - interval: 1m
                    bar: 2
                    input_series:
                      - series: up
                        values: 1x10
                        qux: 1
                """)
        } throws: { error in
            "\(error)" == """
                yaml: unmarshal errors:
                  line 2: field foo not found in type main.unitTestFile
                  line 5: field bar not found in type main.testGroup
                  line 9: field qux not found in type main.series
                """
        }
    }
}
