import Foundation
import PromQL
import TSDB

/// RuleTestRunner runs promtool-style rule unit tests: each test group on a fresh in-memory store and a fake clock.
///
/// The clock starts at 0 and steps by the file's `evaluation_interval` up to the group's last `eval_time`. At every
/// step each rule group is evaluated, in `group_eval_order`, and its results are stored; alert expectations are
/// checked at the step that covers their `eval_time`, and PromQL expectations once the clock has stopped.
public struct RuleTestRunner: Sendable {
    /// A regular expression: only test groups whose name it matches run; nil runs all of them.
    public var run: String?
    /// Whether to work out which rules the selected tests exercised, into each result's `coverage`.
    public var coverage: Bool

    public init(run: String? = nil, coverage: Bool = false) {
        self.run = run
        self.coverage = coverage
    }

    /// Runs one test file; problems with the file itself are reported as its single error.
    public func test(file path: String) async -> RuleTestFileResult {
        var result = RuleTestFileResult(file: path)
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            result.errors.append(.init(test: "", message: "open \(path): no such file or directory"))
            return result
        }
        let file: RuleTestFile
        do { file = try RuleTestFile(yaml: text) } catch {
            result.errors.append(.init(test: "", message: error.message))
            return result
        }
        // Rule files are relative to the test file, and may be globs.
        let base = (path as NSString).deletingLastPathComponent
        var ruleFiles: [String] = []
        for pattern in file.ruleFiles {
            let resolved = pattern.hasPrefix("/") || base.isEmpty ? pattern : base + "/" + pattern
            let matches = (try? expandRuleFilePatterns([resolved])) ?? []
            let existing = matches.filter { FileManager.default.fileExists(atPath: $0) }
            if existing.isEmpty { result.warnings.append("  WARNING: no file match pattern \(resolved)") }
            ruleFiles += existing
        }
        var order: [String: Int] = [:]
        for (index, name) in file.groupEvalOrder.enumerated() {
            if order[name] != nil {
                result.errors.append(.init(test: "", message: "group name repeated in evaluation order: \(name)"))
                return result
            }
            order[name] = index
        }
        let selection = run.flatMap { try? GoRegex.cached(unanchored: $0) }
        var selected: [RuleTestGroup] = []
        for group in file.tests {
            if let selection, !selection.matches(group.name) { continue }
            selected.append(group)
            result.testNames.append(group.name)
            let errors = await test(group, ruleFiles: ruleFiles, evaluationInterval: file.evaluationInterval, order: order)
            result.errors += errors.map { .init(test: group.name, message: $0.plain, coloredMessage: $0.colored) }
        }
        // Rule files that do not load have no rules to cover; the run has reported them already.
        if coverage, let loaded = try? loadRuleFiles(ruleFiles) {
            result.coverage = RuleCoverage(ruleFiles: loaded, tests: selected)
        }
        return result
    }

    /// Runs one test group and returns its failures, each formatted as promtool prints it.
    func test(_ group: RuleTestGroup, ruleFiles: [String], evaluationInterval: Int64, order: [String: Int]) async -> [FailureText] {
        let store = TimeSeriesStore(options: .init(retentionMillis: nil))
        if let error = await load(group, into: store) { return [FailureText(error)] }
        let engine = PromQLEngine(querier: store, options: QueryOptions(defaultSubqueryStep: evaluationInterval))

        var groups: [RuleGroup] = []
        do {
            let loaded = try loadRuleFiles(ruleFiles)
            for file in loaded {
                for spec in file.groups { groups.append(try RuleGroup(spec: spec, file: file.path, defaultInterval: group.interval)) }
            }
        } catch let errors as RuleErrors {
            return errors.promtoolEntries.map { FailureText($0) }
        } catch {
            return [FailureText("\(error)")]
        }
        // Groups named in group_eval_order run in that order; the others (position 0, as in promtool) keep file order.
        groups = groups.enumerated().sorted { lhs, rhs in
            let (a, b) = (order[lhs.element.name] ?? 0, order[rhs.element.name] ?? 0)
            return a != b ? a < b : lhs.offset < rhs.offset
        }.map(\.element)

        for test in group.alertRuleTests where test.alertname.isEmpty {
            let suffix = group.name.isEmpty ? "" : " (in TestGroup \(group.name))"
            return [FailureText("an item under alert_rule_test misses required attribute alertname at eval_time \(formatDuration(test.evalTime))\(suffix)")]
        }
        let alertTimes = Array(Set(group.alertRuleTests.map(\.evalTime))).sorted()
        var nextAlertTime = 0

        let query: QueryFunc = { expr, time in try Self.vector(try await engine.instantQuery(expr, at: time)) }
        let append: @Sendable ([(labels: Labels, value: Double)], Timestamp) async -> Void = { samples, time in
            var batch = AppendBatch()
            for sample in samples { batch.append(labels: sample.labels, t: time, v: sample.value) }
            _ = try? await store.commit(batch)
        }
        var errors: [FailureText] = []
        let maxTime = group.maxEvalTime
        var time: Int64 = 0
        while time <= maxTime {
            var evaluationErrors: [String] = []
            for index in groups.indices {
                _ = await groups[index].evaluate(
                    at: time, query: query, externalLabels: group.externalLabels, externalURL: group.externalURL,
                    appendNow: append)
                for rule in groups[index].rules where rule.health.status == .err {
                    evaluationErrors.append("    rule: \(rule.name), time: \(Self.goDuration(time)), err: \(rule.health.lastError)")
                }
            }
            errors += evaluationErrors.map(FailureText.init)
            if !evaluationErrors.isEmpty { return errors }

            // An eval_time in [time, time + interval) is checked against this step's alerts.
            while nextAlertTime < alertTimes.count, alertTimes[nextAlertTime] >= time,
                alertTimes[nextAlertTime] < time + evaluationInterval
            {
                let at = alertTimes[nextAlertTime]
                for test in group.alertRuleTests where test.evalTime == at {
                    var got: [TestAlert] = []
                    for ruleGroup in groups {
                        for rule in ruleGroup.rules where rule.isAlerting && rule.name == test.alertname {
                            for alert in rule.alertState.activeAlerts where alert.state == .firing {
                                got.append(TestAlert(labels: alert.labels, annotations: alert.annotations))
                            }
                        }
                    }
                    let expected = test.expectedAlerts.map { expected in
                        TestAlert(
                            labels: Labels(expected.labels.merging([Labels.alertName: test.alertname]) { $1 }),
                            annotations: Labels(expected.annotations))
                    }
                    got.sort(by: TestAlert.order)
                    let sortedExpected = expected.sorted(by: TestAlert.order)
                    if got != sortedExpected {
                        let name = group.name.isEmpty ? "" : "    name: \(group.name),\n"
                        let indent = "            "
                        let (expText, gotText) = (TestAlert.describe(sortedExpected), TestAlert.describe(got))
                        func message(_ exp: String, _ got: String) -> String {
                            "\(name)    alertname: \(test.alertname), time: \(formatDuration(test.evalTime)), \n"
                                + "        exp:\(Self.indentLines(exp, indent)), \n"
                                + "        got:\(Self.indentLines(got, indent))"
                        }
                        let colored = TestDiff.highlight(
                            expected: expText.components(separatedBy: "\n"), got: gotText.components(separatedBy: "\n"))
                        errors.append(FailureText(
                            plain: message(expText, gotText),
                            colored: message(colored.expected.joined(separator: "\n"), colored.got.joined(separator: "\n"))))
                    }
                }
                nextAlertTime += 1
            }
            time += evaluationInterval
        }

        for test in group.promqlExprTests {
            let prefix = "    expr: \(quoted(test.expr)), time: \(formatDuration(test.evalTime))"
            let got: [(labels: Labels, value: Double)]
            do {
                let expr = try parseExpr(test.expr)
                got = try Self.vector(try await engine.instantQuery(expr, at: test.evalTime))
            } catch {
                errors.append(FailureText("\(prefix), err: \(error)"))
                continue
            }
            var expected: [(labels: Labels, value: Double)] = []
            var failed = false
            for sample in test.expectedSamples {
                do {
                    expected.append((try parseMetric(sample.labels), sample.value))
                } catch {
                    errors.append(FailureText("\(prefix), err: labels \(quoted(sample.labels)): \(error)"))
                    failed = true
                    break
                }
            }
            if failed { continue }
            let order: ((labels: Labels, value: Double), (labels: Labels, value: Double)) -> Bool = {
                Self.compare($0.labels, $1.labels) < 0
            }
            expected.sort(by: order)
            let sortedGot = got.sorted(by: order)
            let same = expected.count == sortedGot.count
                && zip(expected, sortedGot).allSatisfy { $0.labels == $1.labels && $0.value == $1.value }
            if !same {
                let (expItems, gotItems) = (expected.map(Self.describeSample), sortedGot.map(Self.describeSample))
                let colored = TestDiff.highlight(expected: expItems, got: gotItems)
                func list(_ items: [String]) -> String { items.isEmpty ? "nil" : items.joined(separator: ", ") }
                errors.append(FailureText(
                    plain: "\(prefix),\n        exp: \(Self.describe(expected))\n        got: \(Self.describe(sortedGot))",
                    colored: "\(prefix),\n        exp: \(list(colored.expected))\n        got: \(list(colored.got))"))
            }
        }
        return errors
    }

    /// load puts the group's input series into the store, the i-th value of each at `i * interval`.
    private func load(_ group: RuleTestGroup, into store: TimeSeriesStore) async -> String? {
        guard !group.inputSeries.isEmpty else { return nil }
        var script = "load \(formatDuration(group.interval))\n"
        for input in group.inputSeries { script += "  \(input.series) \(input.values)\n" }
        let parsed: PromQLTestScript
        do { parsed = try PromQLTestScript(source: script, name: "input_series") } catch {
            // promtool reports a malformed series with the PromQL lexer's position, which parseExpr reproduces.
            for input in group.inputSeries {
                if case .failure(let parseError) = Result(catching: { () throws(PromQLParseError) in try parseExpr("\(input.series) \(input.values)") }),
                    parseError.message.contains("inside braces") || parseError.message.contains("unexpected end")
                {
                    return parseError.description
                }
            }
            return error.message
        }
        var batch = AppendBatch()
        for command in parsed.commands {
            guard case .load(let load) = command else { continue }
            for series in load.series {
                for sample in series.samples { batch.append(labels: series.labels, t: sample.t, v: sample.v) }
            }
        }
        do { _ = try await store.commit(batch) } catch { return "\(error)" }
        return nil
    }

    /// vector turns a query result into the samples a rule works with; a scalar becomes one sample without labels.
    static func vector(_ value: QueryValue) throws -> [(labels: Labels, value: Double)] {
        switch value {
        case .vector(let samples): return samples.map { ($0.labels, $0.v) }
        case .scalar(_, let v): return [(Labels(), v)]
        default: throw RuleEvaluationError("rule result is not a vector or scalar")
        }
    }

    /// compare orders label sets as Prometheus's `labels.Compare` does: pair by pair, then the shorter first.
    static func compare(_ a: Labels, _ b: Labels) -> Int {
        for (x, y) in zip(a, b) {
            if x.name != y.name { return x.name < y.name ? -1 : 1 }
            if x.value != y.value { return x.value < y.value ? -1 : 1 }
        }
        return a.count - b.count
    }

    /// goLabels prints labels as Go's `labels.Labels.String()`: `{__name__="x", a="b"}`.
    static func goLabels(_ labels: Labels) -> String {
        "{" + labels.map { "\($0.name)=\(quoted($0.value))" }.joined(separator: ", ") + "}"
    }

    private static func describe(_ samples: [(labels: Labels, value: Double)]) -> String {
        if samples.isEmpty { return "nil" }
        return samples.map(describeSample).joined(separator: ", ")
    }

    private static func describeSample(_ sample: (labels: Labels, value: Double)) -> String {
        goLabels(sample.labels) + " " + goExponent(sample.value)
    }

    static func indentLines(_ text: String, _ indent: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { $0.offset == 0 ? String($0.element) : indent + $0.element }.joined(separator: "\n")
    }

    /// goExponent formats a value as Go's `strconv.FormatFloat(v, 'E', -1, 64)`: `1.5E+00`, `-2E-07`.
    static func goExponent(_ value: Double) -> String { GoFloatFormat.shortest(value, format: "E") }

    /// goDuration prints milliseconds as Go's `time.Duration.String()`: `0s`, `500ms`, `1m30s`, `1h0m0s`.
    static func goDuration(_ milliseconds: Int64) -> String {
        if milliseconds == 0 { return "0s" }
        let sign = milliseconds < 0 ? "-" : ""
        let ms = milliseconds.magnitude
        if ms < 1000 { return sign + "\(ms)ms" }
        let hours = ms / 3_600_000, minutes = ms / 60_000 % 60, seconds = ms / 1000 % 60, fraction = ms % 1000
        var secondsText = "\(seconds)"
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            secondsText += "." + digits
        }
        if hours > 0 { return sign + "\(hours)h\(minutes)m\(secondsText)s" }
        if minutes > 0 { return sign + "\(minutes)m\(secondsText)s" }
        return sign + secondsText + "s"
    }
}

/// TestAlert is a firing alert as a test compares it: labels and expanded annotations.
struct TestAlert: Equatable {
    var labels: Labels
    var annotations: Labels

    static func order(_ a: TestAlert, _ b: TestAlert) -> Bool {
        let byLabels = RuleTestRunner.compare(a.labels, b.labels)
        return byLabels != 0 ? byLabels < 0 : RuleTestRunner.compare(a.annotations, b.annotations) < 0
    }

    /// describe lists alerts as promtool does: `[`, then `i:` with indented labels and annotations, then `]`.
    static func describe(_ alerts: [TestAlert]) -> String {
        if alerts.isEmpty { return "[]" }
        var out = "["
        for (index, alert) in alerts.enumerated() {
            let one = "\nLabels:\(RuleTestRunner.goLabels(alert.labels))\nAnnotations:\(RuleTestRunner.goLabels(alert.annotations))"
            out += (index == 0 ? "\n" : ",\n") + "\(index):" + RuleTestRunner.indentLines(one, "  ")
        }
        return out + "\n]"
    }
}

extension Labels {
    /// The label every alert carries with its rule's name.
    static let alertName = "alertname"
}
