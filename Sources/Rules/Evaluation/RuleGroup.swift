import Foundation
import PromQL
import TSDB

/// Evaluates an instant query for the rules; supplied by whoever owns the engine, so Rules never imports it.
public typealias QueryFunc = @Sendable (_ expr: Expr, _ at: Timestamp) async throws -> [(labels: Labels, value: Double)]

/// How one rule fared at its last evaluation, for `/api/v1/rules`.
public struct RuleHealth: Sendable, Equatable {
    public enum Status: String, Sendable { case ok, err, unknown }
    public var status: Status = .unknown
    public var lastError: String = ""
    public var lastEvaluation: Timestamp?
    public var evaluationSeconds: Double = 0

    public init(status: Status = .unknown, lastError: String = "", lastEvaluation: Timestamp? = nil, evaluationSeconds: Double = 0) {
        self.status = status
        self.lastError = lastError
        self.lastEvaluation = lastEvaluation
        self.evaluationSeconds = evaluationSeconds
    }
}

/// A rule at run time: its spec, and for alerting rules the templates and the alert state.
public struct RuntimeRule: Sendable {
    public let spec: RuleSpec
    public let file: String
    let expander: AlertExpander?
    public internal(set) var alertState = AlertingRuleState()
    public internal(set) var health = RuleHealth()
    /// Whether `for` state was restored after a start; `ALERTS` is written only from then on, as Prometheus does.
    var restored = false

    public init(spec: RuleSpec, file: String) throws(TemplateError) {
        self.spec = spec
        self.file = file
        if case .alerting = spec.kind { expander = try AlertExpander(spec: spec) } else { expander = nil }
    }

    public var name: String {
        switch spec.kind {
        case .alerting(let name), .recording(let name): return name
        }
    }

    public var isAlerting: Bool { expander != nil }

    /// A rule keeps its alert state across a reload only when nothing about it changed.
    func sameDefinition(as other: RuntimeRule) -> Bool { spec == other.spec }
}

/// One rule group with its rules' state, evaluated in order at each interval slot.
public struct RuleGroup: Sendable {
    public let name: String
    public let file: String
    public let interval: Int64
    public let limit: Int
    public internal(set) var rules: [RuntimeRule]
    public internal(set) var lastEvaluation: Timestamp?
    public internal(set) var evaluationSeconds: Double = 0
    public internal(set) var evaluations = 0
    public internal(set) var failures = 0
    public internal(set) var missedIterations = 0
    /// Whether alerting rules write `ALERTS` and `ALERTS_FOR_STATE` before their `for` state is restored.
    ///
    /// A server restores state after a start and writes neither series until then, as Prometheus does:
    /// a first evaluation's not-yet-restored `activeAt` must never be what the next restart reads back.
    /// Offline evaluation (rule tests, backtests) has nothing to restore and writes from the start.
    public var writesAlertSeriesBeforeRestore = true

    public init(spec: RuleGroupSpec, file: String, defaultInterval: Int64) throws(TemplateError) {
        name = spec.name
        self.file = file
        interval = (spec.interval ?? 0) > 0 ? spec.interval! : defaultInterval
        limit = spec.limit
        var rules: [RuntimeRule] = []
        for rule in spec.rules { rules.append(try RuntimeRule(spec: rule, file: file)) }
        self.rules = rules
    }

    /// Identifies a group across reloads: Prometheus keys groups by file and name.
    public var key: String { file + ";" + name }

    /// What one evaluation produced: samples to store and alerts to send.
    public struct Evaluation: Sendable {
        public var samples: [(labels: Labels, value: Double)] = []
        public var alertsToSend: [(rule: String, expr: String, alert: AlertState)] = []
        public var transitions: [(rule: String, transition: AlertTransition)] = []
    }

    /// Evaluates every rule at `time`, feeding each rule's results to the next through `store` as Prometheus does.
    ///
    /// Recording results are appended to `appendNow` before the next rule runs, so a rule may use an
    /// earlier rule's output in the same evaluation.
    public mutating func evaluate(
        at time: Timestamp, query: QueryFunc, externalLabels: Labels = Labels(), externalURL: String = "",
        resendDelay: Int64 = 60_000, appendNow: @Sendable ([(labels: Labels, value: Double)], Timestamp) async -> Void
    ) async -> Evaluation {
        let started = Date()
        var evaluation = Evaluation()
        var groupFailed = false
        for index in rules.indices {
            let ruleStarted = Date()
            var rule = rules[index]
            var produced: [(labels: Labels, value: Double)] = []
            do {
                let result = try await query(rule.spec.expr, time)
                switch rule.spec.kind {
                case .recording(let name):
                    var seen = Set<Labels>()
                    for sample in result {
                        var labels = sample.labels.setting(Labels.metricName, to: name)
                        for label in rule.spec.labels { labels = labels.setting(label.name, to: label.value) }
                        guard seen.insert(labels).inserted else {
                            throw RuleEvaluationError("vector contains metrics with the same labelset after applying rule labels")
                        }
                        produced.append((labels, sample.value))
                    }
                    if limit > 0 && produced.count > limit {
                        throw RuleEvaluationError("exceeded limit of \(limit) with \(produced.count) series")
                    }
                case .alerting(let name):
                    let elements = try rule.expander!.elements(for: result, externalLabels: externalLabels, externalURL: externalURL)
                    let transitions = rule.alertState.step(active: elements, at: time, for: rule.spec.holdDuration, keepFiringFor: rule.spec.keepFiringFor)
                    if limit > 0 { try rule.alertState.enforceLimit(limit) }
                    evaluation.transitions += transitions.map { (name, $0) }
                    let ruleLabels = Labels(rule.spec.labels)
                    if rule.restored || writesAlertSeriesBeforeRestore {
                        produced += rule.alertState.alertsSamples(alertName: name, ruleLabels: ruleLabels)
                        produced += rule.alertState.alertsForStateSamples(alertName: name, ruleLabels: ruleLabels)
                    }
                    let exprText = rule.spec.expr.description
                    evaluation.alertsToSend += rule.alertState.alertsToSend(at: time, resendDelay: resendDelay, interval: interval)
                        .map { (name, exprText, $0) }
                }
                rule.health.status = .ok
                rule.health.lastError = ""
            } catch {
                rule.health.status = .err
                rule.health.lastError = "\(error)"
                groupFailed = true
            }
            rule.health.lastEvaluation = time
            rule.health.evaluationSeconds = Date().timeIntervalSince(ruleStarted)
            rules[index] = rule
            if !produced.isEmpty { await appendNow(produced, time) }
            evaluation.samples += produced
        }
        evaluations += 1
        if groupFailed { failures += 1 }
        lastEvaluation = time
        evaluationSeconds = Date().timeIntervalSince(started)
        return evaluation
    }

    /// Carries alert state over from the group this one replaces, for rules whose definition did not change.
    public mutating func inheritState(from old: RuleGroup) {
        for index in rules.indices {
            if let match = old.rules.first(where: { $0.sameDefinition(as: rules[index]) }) {
                rules[index].alertState = match.alertState
                rules[index].health = match.health
                rules[index].restored = match.restored
            }
        }
        lastEvaluation = old.lastEvaluation
        evaluations = old.evaluations
        failures = old.failures
    }

    /// The start of the slot at or after `time` for this group, aligned as Prometheus aligns groups:
    /// an offset derived from the group's key, so groups with the same interval do not all run at once.
    public func nextSlot(after time: Timestamp) -> Timestamp {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let offset = Int64(hash % UInt64(max(interval, 1)))
        let base = time - ((time - offset) % interval + interval) % interval
        return base >= time ? base : base + interval
    }
}

public struct RuleEvaluationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
