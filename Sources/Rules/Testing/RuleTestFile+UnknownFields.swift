import Yams

extension RuleTestFileFormat {
    /// The fields each mapping of a test file may have, by the Go type promtool decodes it into.
    private static let schema: [String: (fields: Set<String>, children: [String: String])] = [
        "unitTestFile": (Set(Keys.allCases.map(\.stringValue)), ["tests": "testGroup"]),
        "testGroup": (Set(Test.Keys.allCases.map(\.stringValue)),
                      ["input_series": "series", "alert_rule_test": "alertTestCase", "promql_expr_test": "promqlTestCase"]),
        "series": (Set(InputSeries.Keys.allCases.map(\.stringValue)), [:]),
        "alertTestCase": (Set(AlertTest.Keys.allCases.map(\.stringValue)), ["exp_alerts": "alert"]),
        "alert": (Set(Alert.Keys.allCases.map(\.stringValue)), [:]),
        "promqlTestCase": (Set(ExprTest.Keys.allCases.map(\.stringValue)), ["exp_samples": "sample"]),
        "sample": (Set(Sample.Keys.allCases.map(\.stringValue)), [:]),
    ]

    /// Every field the format does not define, in document order, worded as promtool's strict YAML decoding
    /// reports them (`line 7: field x not found in type main.testGroup`); nil when there are none.
    ///
    /// Go's decoder collects all of them before failing, so a file with several unknown fields lists each one.
    static func unknownFieldsMessage(in root: Node) -> String? {
        var found: [String] = []
        func visit(_ node: Node, as type: String) {
            guard case .mapping(let mapping) = node, let entry = schema[type] else { return }
            for (key, value) in mapping {
                guard let name = key.string, name != "<<" else { continue }
                guard entry.fields.contains(name) else {
                    found.append("line \(key.mark?.line ?? 0): field \(name) not found in type main.\(type)")
                    continue
                }
                guard let child = entry.children[name], case .sequence(let items) = value else { continue }
                for item in items { visit(item, as: child) }
            }
        }
        visit(root, as: "unitTestFile")
        return found.isEmpty ? nil : "yaml: unmarshal errors:\n  " + found.joined(separator: "\n  ")
    }
}
