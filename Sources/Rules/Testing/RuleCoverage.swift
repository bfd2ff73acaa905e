import Foundation
import PromQL
import TSDB

/// RuleCoverage is which rules of the loaded rule files some unit test exercised.
///
/// An alerting rule is exercised when an `alert_rule_test` names it; a recording rule when a `promql_expr_test`
/// expression selects its metric name (by name, `__name__="…"` or a `__name__=~` regex that matches it). Rules used
/// only indirectly, such as a recording rule read by a tested alert, do not count: nothing checks their output.
public struct RuleCoverage: Sendable, Equatable {
    /// Rule is one rule of a rule file and whether a test exercised it.
    public struct Rule: Sendable, Hashable {
        public var file: String
        public var group: String
        public var name: String
        public var isAlerting: Bool
        public var tested: Bool

        public init(file: String, group: String, name: String, isAlerting: Bool, tested: Bool) {
            self.file = file
            self.group = group
            self.name = name
            self.isAlerting = isAlerting
            self.tested = tested
        }

        /// The rule's identity, ignoring whether it was tested, for merging coverage across test files.
        var key: String { "\(file)\u{0}\(group)\u{0}\(name)\u{0}\(isAlerting)" }
    }

    /// Every rule, in file order.
    public var rules: [Rule]

    public init(rules: [Rule]) { self.rules = rules }

    /// The coverage of `ruleFiles` by the alert and expression tests of `tests`.
    ///
    /// Test expressions that do not parse select nothing; the run reports them as failures already.
    public init(ruleFiles: [LoadedRuleFile], tests: [RuleTestGroup]) {
        let alertNames = Set(tests.flatMap { $0.alertRuleTests.map(\.alertname) })
        var selectors: [VectorSelector] = []
        for test in tests {
            for exprTest in test.promqlExprTests {
                if let expr = try? parseExpr(exprTest.expr) { selectors += Self.vectorSelectors(in: expr) }
            }
        }
        var rules: [Rule] = []
        for file in ruleFiles {
            for group in file.groups {
                for spec in group.rules {
                    let tested: Bool
                    switch spec.kind {
                    case .alerting(let name): tested = alertNames.contains(name)
                    case .recording(let name): tested = selectors.contains { Self.selector($0, selectsMetric: name) }
                    }
                    rules.append(Rule(file: file.path, group: group.name, name: spec.name, isAlerting: spec.kind.isAlerting, tested: tested))
                }
            }
        }
        self.rules = rules
    }

    /// Coverage over several test runs: a rule loaded by more than one test file is tested when any of them tested it.
    public static func merged(_ coverages: [RuleCoverage]) -> RuleCoverage {
        var order: [String] = []
        var byKey: [String: Rule] = [:]
        for rule in coverages.flatMap(\.rules) {
            if var existing = byKey[rule.key] {
                existing.tested = existing.tested || rule.tested
                byKey[rule.key] = existing
            } else {
                order.append(rule.key)
                byKey[rule.key] = rule
            }
        }
        return RuleCoverage(rules: order.map { byKey[$0]! })
    }

    public var testedCount: Int { rules.count { $0.tested } }

    /// The share of rules tested, in percent; 100 when there are no rules.
    public var percent: Double {
        rules.isEmpty ? 100 : Double(testedCount) * 100 / Double(rules.count)
    }

    /// Whether coverage is below `threshold` percent.
    public func isBelow(_ threshold: Double) -> Bool { percent < threshold }

    /// The summary line and, per rule file, the rules no test exercised.
    ///
    /// ```
    /// Rule coverage: 7 of 9 rules (77.8%)
    ///   rules.yml: 2 untested
    ///     alert HighLatency (group api)
    ///     record job:errors:rate5m (group api)
    /// ```
    public var summary: String {
        var out = "Rule coverage: \(testedCount) of \(rules.count) rules (\(String(format: "%.1f", percent))%)\n"
        var files: [String] = []
        for rule in rules where !files.contains(rule.file) { files.append(rule.file) }
        for file in files {
            let untested = rules.filter { $0.file == file && !$0.tested }
            guard !untested.isEmpty else { continue }
            out += "  \(file): \(untested.count) untested\n"
            for rule in untested { out += "    \(rule.isAlerting ? "alert" : "record") \(rule.name) (group \(rule.group))\n" }
        }
        return out
    }

    /// Every vector selector in `expr`, including those inside range selectors and subqueries.
    static func vectorSelectors(in expr: Expr) -> [VectorSelector] {
        if case .vectorSelector(let selector) = expr { return [selector] }
        return expr.children.flatMap(vectorSelectors(in:))
    }

    /// Whether `selector` can select series of the metric `name`, judged by its `__name__` matchers alone.
    static func selector(_ selector: VectorSelector, selectsMetric name: String) -> Bool {
        if selector.name == name { return true }
        let nameMatchers = selector.matchers.filter { $0.name == Labels.metricName }
        return !nameMatchers.isEmpty && nameMatchers.allSatisfy { $0.matches(name) }
    }
}
