import Rules
import Testing

/// RuleTestFileUnknownFieldsTests: a test file with fields promtool does not know fails with one line per field,
/// each with the line of the field, as Go's strict YAML decoding reports them.
struct RuleTestFileUnknownFieldsTests {
    @Test func everyUnknownFieldIsListedWithItsLine() {
        let yaml = """
            rule_files: [rules.yml]
            fuzzy_compare: true
            tests:
              - interval: 1m
                start_timestamp: 0
                input_series:
                  - series: up
                    values: '1'
                    comment: x
                promql_expr_test:
                  - expr: up
                    exp_samples:
                      - labels: up
                        value: 1
                        histogram: '{{}}'
              - interval: 1m
                alert_rule_test:
                  - alertname: A
                    exp_alerts:
                      - exp_labels: {}
                        severity: page
            """
        #expect(throws: RuleTestFileError.self) { try RuleTestFile(yaml: yaml) }
        do {
            _ = try RuleTestFile(yaml: yaml)
        } catch {
            #expect(error.message == """
                yaml: unmarshal errors:
                  line 2: field fuzzy_compare not found in type main.unitTestFile
                  line 5: field start_timestamp not found in type main.testGroup
                  line 9: field comment not found in type main.series
                  line 15: field histogram not found in type main.sample
                  line 21: field severity not found in type main.alert
                """)
        }
    }
}
