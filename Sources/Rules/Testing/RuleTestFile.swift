import Config
import Foundation
import PromQL
import TSDB
import Yams

/// RuleTestFile is a promtool rule unit-test file: rule files to load and test groups to run against them.
///
/// Durations are milliseconds. `ruleFiles` are the patterns as written; the runner resolves them against the
/// test file's directory and expands globs, as promtool does.
public struct RuleTestFile: Sendable {
    public var ruleFiles: [String]
    /// The step of the fake clock at which every rule group is evaluated; 1m unless given.
    public var evaluationInterval: Int64
    /// Group names in the order they are evaluated at each step; unlisted groups come first, in file order.
    public var groupEvalOrder: [String]
    public var tests: [RuleTestGroup]

    /// Parses the YAML of a test file (anchors and merge keys included), rejecting unknown fields as promtool's
    /// strict decoding does: all of them at once, one `line N: field x not found in type main.T` line each.
    public init(yaml: String) throws(RuleTestFileError) {
        let document: YAMLDocument
        do {
            document = try YAMLDocument(yaml: yaml, file: "")
        } catch {
            throw RuleTestFileError("yaml: " + (error.line.map { "line \($0): " } ?? "") + error.message)
        }
        guard let node = document.root else {
            self.init(ruleFiles: [], evaluationInterval: 60_000, groupEvalOrder: [], tests: [])
            return
        }
        let unknown = RuleTestFileFormat.shape.unknownKeys(in: node)
        if !unknown.isEmpty {
            let lines = unknown.map { "\n  line \($0.line): field \($0.name) not found in type \($0.type)" }
            throw RuleTestFileError("yaml: unmarshal errors:" + lines.joined())
        }
        do {
            let format = try YAMLDecoder().decode(RuleTestFileFormat.self, from: node)
            self.init(
                ruleFiles: format.rule_files ?? [],
                evaluationInterval: try format.evaluation_interval.map(RuleTestFileFormat.duration) ?? 0,
                groupEvalOrder: format.group_eval_order ?? [],
                tests: []
            )
            if evaluationInterval == 0 { evaluationInterval = 60_000 }
            for test in format.tests ?? [] { tests.append(try RuleTestGroup(test, defaultInterval: evaluationInterval)) }
        } catch let error as RuleTestFileError {
            throw error
        } catch let DecodingError.dataCorrupted(context) where context.underlyingError is RuleTestFileError {
            throw context.underlyingError as! RuleTestFileError
        } catch {
            throw RuleTestFileError("yaml: unmarshal errors:\n  \(Self.describe(error))")
        }
    }

    public init(ruleFiles: [String], evaluationInterval: Int64, groupEvalOrder: [String], tests: [RuleTestGroup]) {
        self.ruleFiles = ruleFiles
        self.evaluationInterval = evaluationInterval
        self.groupEvalOrder = groupEvalOrder
        self.tests = tests
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String { keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined() }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)): cannot unmarshal into \(type)"
        case .valueNotFound(let type, let context): return "\(path(context.codingPath)): missing \(type)"
        case .keyNotFound(let key, let context): return "\(path(context.codingPath)): missing field \(key.stringValue)"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// RuleTestGroup is one `tests[]` entry: input series on their own clock, and the alerts and queries to check.
public struct RuleTestGroup: Sendable {
    public var name: String
    /// The step between consecutive values of every input series.
    public var interval: Int64
    public var inputSeries: [(series: String, values: String)]
    public var externalLabels: Labels
    public var externalURL: String
    public var alertRuleTests: [AlertRuleTest]
    public var promqlExprTests: [PromQLExprTest]

    init(_ format: RuleTestFileFormat.Test, defaultInterval: Int64) throws {
        name = format.name ?? ""
        let interval = try format.interval.map(RuleTestFileFormat.duration) ?? 0
        self.interval = interval == 0 ? defaultInterval : interval
        inputSeries = (format.input_series ?? []).map { ($0.series ?? "", $0.values ?? "") }
        externalLabels = Labels(format.external_labels ?? [:])
        externalURL = format.external_url ?? ""
        alertRuleTests = try (format.alert_rule_test ?? []).map { test in
            AlertRuleTest(
                evalTime: try test.eval_time.map(RuleTestFileFormat.duration) ?? 0,
                alertname: test.alertname ?? "",
                expectedAlerts: (test.exp_alerts ?? []).map { ($0.exp_labels ?? [:], $0.exp_annotations ?? [:]) }
            )
        }
        promqlExprTests = try (format.promql_expr_test ?? []).map { test in
            PromQLExprTest(
                expr: test.expr ?? "",
                evalTime: try test.eval_time.map(RuleTestFileFormat.duration) ?? 0,
                expectedSamples: (test.exp_samples ?? []).map { ($0.labels ?? "", $0.value ?? 0) }
            )
        }
    }

    /// The latest time any check of this group looks at, which is where the fake clock stops.
    public var maxEvalTime: Int64 {
        max(alertRuleTests.map(\.evalTime).max() ?? 0, promqlExprTests.map(\.evalTime).max() ?? 0)
    }
}

/// AlertRuleTest expects exactly these firing alerts of one alerting rule at one time.
public struct AlertRuleTest: Sendable {
    public var evalTime: Int64
    public var alertname: String
    /// Expected labels (without `alertname`, which is implied) and expanded annotations of each firing alert.
    public var expectedAlerts: [(labels: [String: String], annotations: [String: String])]
}

/// PromQLExprTest expects an instant query to return exactly these samples.
public struct PromQLExprTest: Sendable {
    public var expr: String
    public var evalTime: Int64
    /// Each expected sample's series in metric notation (`name{a="b"}`), and its value.
    public var expectedSamples: [(labels: String, value: Double)]
}

/// RuleTestFileError is a test file that cannot be read or decoded.
public struct RuleTestFileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// RuleTestFileFormat mirrors the YAML keys of a test file; `shape` lists them for the unknown-key check.
struct RuleTestFileFormat: Decodable {
    var rule_files: [String]?
    var evaluation_interval: String?
    var group_eval_order: [String]?
    var tests: [Test]?

    struct Test: Decodable {
        var name: String?
        var interval: String?
        var input_series: [InputSeries]?
        var alert_rule_test: [AlertTest]?
        var promql_expr_test: [ExprTest]?
        var external_labels: [String: String]?
        var external_url: String?

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            interval = try c.decodeIfPresent(String.self, forKey: .interval)
            input_series = try c.decodeIfPresent([InputSeries].self, forKey: .input_series)
            alert_rule_test = try c.decodeIfPresent([AlertTest].self, forKey: .alert_rule_test)
            promql_expr_test = try c.decodeIfPresent([ExprTest].self, forKey: .promql_expr_test)
            external_labels = try c.decodeIfPresent([String: String].self, forKey: .external_labels)
            external_url = try c.decodeIfPresent(String.self, forKey: .external_url)
        }
        enum Keys: String, CodingKey, CaseIterable {
            case name, interval, input_series, alert_rule_test, promql_expr_test, external_labels, external_url
        }
    }

    struct InputSeries: Decodable {
        var series: String?
        var values: String?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            series = try c.decodeIfPresent(String.self, forKey: .series)
            values = try c.decodeIfPresent(String.self, forKey: .values)
        }
        enum Keys: String, CodingKey, CaseIterable { case series, values }
    }

    struct AlertTest: Decodable {
        var eval_time: String?
        var alertname: String?
        var exp_alerts: [Alert]?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            eval_time = try c.decodeIfPresent(String.self, forKey: .eval_time)
            alertname = try c.decodeIfPresent(String.self, forKey: .alertname)
            exp_alerts = try c.decodeIfPresent([Alert].self, forKey: .exp_alerts)
        }
        enum Keys: String, CodingKey, CaseIterable { case eval_time, alertname, exp_alerts }
    }

    struct Alert: Decodable {
        var exp_labels: [String: String]?
        var exp_annotations: [String: String]?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            exp_labels = try c.decodeIfPresent([String: String].self, forKey: .exp_labels)
            exp_annotations = try c.decodeIfPresent([String: String].self, forKey: .exp_annotations)
        }
        enum Keys: String, CodingKey, CaseIterable { case exp_labels, exp_annotations }
    }

    struct ExprTest: Decodable {
        var expr: String?
        var eval_time: String?
        var exp_samples: [Sample]?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            expr = try c.decodeIfPresent(String.self, forKey: .expr)
            eval_time = try c.decodeIfPresent(String.self, forKey: .eval_time)
            exp_samples = try c.decodeIfPresent([Sample].self, forKey: .exp_samples)
        }
        enum Keys: String, CodingKey, CaseIterable { case expr, eval_time, exp_samples }
    }

    struct Sample: Decodable {
        var labels: String?
        var value: Double?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            labels = try c.decodeIfPresent(String.self, forKey: .labels)
            value = try c.decodeIfPresent(Double.self, forKey: .value)
        }
        enum Keys: String, CodingKey, CaseIterable { case labels, value }
    }

    enum Keys: String, CodingKey, CaseIterable { case rule_files, evaluation_interval, group_eval_order, tests }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        rule_files = try c.decodeIfPresent([String].self, forKey: .rule_files)
        evaluation_interval = try c.decodeIfPresent(String.self, forKey: .evaluation_interval)
        group_eval_order = try c.decodeIfPresent([String].self, forKey: .group_eval_order)
        tests = try c.decodeIfPresent([Test].self, forKey: .tests)
    }

    /// The keys of promtool's test-file types, named as promtool names them in `field x not found in type T`.
    static let shape: YAMLShape = {
        func mapping(_ type: String, _ keys: [String], _ children: [String: YAMLShape] = [:]) -> YAMLShape {
            .mapping(type: "main." + type, fields: Dictionary(uniqueKeysWithValues: keys.map { ($0, children[$0] ?? .any) }))
        }
        let series = mapping("series", InputSeries.Keys.allCases.map(\.rawValue))
        let alert = mapping("alert", Alert.Keys.allCases.map(\.rawValue))
        let alertTest = mapping("alertTestCase", AlertTest.Keys.allCases.map(\.rawValue), ["exp_alerts": .list(alert)])
        let sample = mapping("sample", Sample.Keys.allCases.map(\.rawValue))
        let exprTest = mapping("promqlTestCase", ExprTest.Keys.allCases.map(\.rawValue), ["exp_samples": .list(sample)])
        let group = mapping("testGroup", Test.Keys.allCases.map(\.rawValue), [
            "input_series": .list(series), "alert_rule_test": .list(alertTest), "promql_expr_test": .list(exprTest),
        ])
        return mapping("unitTestFile", Keys.allCases.map(\.rawValue), ["tests": .list(group)])
    }()

    /// duration parses a Prometheus duration such as `5m` or `1d`; a bare `0` is zero.
    static func duration(_ text: String) throws -> Int64 {
        if text == "0" { return 0 }
        do { return try parseDuration(text) } catch {
            throw RuleTestFileError("yaml: unmarshal errors:\n  not a valid duration string: \(quoted(text))")
        }
    }
}
