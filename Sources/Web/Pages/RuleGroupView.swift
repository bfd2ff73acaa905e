import Foundation
import Rules
import TSDB

/// RuleGroupView is what the `/alerts` and `/rules` pages show about one rule group, copied out of a `RuleGroup`.
///
/// Plain values, so tests can build any page state by hand, including states the rule manager rarely reaches.
public struct RuleGroupView: Sendable {
    public var name: String
    public var file: String
    /// Evaluation interval in milliseconds.
    public var interval: Int64
    public var lastEvaluation: Timestamp?
    public var evaluationSeconds: Double
    public var rules: [RuleView]

    public init(name: String, file: String, interval: Int64, lastEvaluation: Timestamp? = nil, evaluationSeconds: Double = 0,
                rules: [RuleView]) {
        self.name = name
        self.file = file
        self.interval = interval
        self.lastEvaluation = lastEvaluation
        self.evaluationSeconds = evaluationSeconds
        self.rules = rules
    }

    public init(_ group: RuleGroup) {
        self.init(name: group.name, file: group.file, interval: group.interval, lastEvaluation: group.lastEvaluation,
                  evaluationSeconds: group.evaluationSeconds, rules: group.rules.map(RuleView.init))
    }
}

/// RuleView is one alerting or recording rule with its health and, for alerting rules, its alerts.
public struct RuleView: Sendable {
    public var name: String
    public var isAlerting: Bool
    public var exprText: String
    /// `for`, in milliseconds.
    public var holdDuration: Int64
    /// `keep_firing_for`, in milliseconds.
    public var keepFiringFor: Int64
    public var labels: Labels
    /// Annotation templates as written in the rule file.
    public var annotations: Labels
    public var alerts: [AlertState]
    public var health: RuleHealth.Status
    public var lastError: String
    /// When the rule was last evaluated; nil before its first evaluation.
    public var lastEvaluation: Timestamp?
    public var evaluationSeconds: Double
    /// Firing episodes of this alerting rule over the last 24 hours, from stored `ALERTS`; nil when not known.
    public var firedLast24h: Int?

    public init(name: String, isAlerting: Bool, exprText: String, holdDuration: Int64 = 0, keepFiringFor: Int64 = 0,
                labels: Labels = Labels(), annotations: Labels = Labels(), alerts: [AlertState] = [],
                health: RuleHealth.Status = .unknown, lastError: String = "", lastEvaluation: Timestamp? = nil,
                evaluationSeconds: Double = 0) {
        self.name = name
        self.isAlerting = isAlerting
        self.exprText = exprText
        self.holdDuration = holdDuration
        self.keepFiringFor = keepFiringFor
        self.labels = labels
        self.annotations = annotations
        self.alerts = alerts
        self.health = health
        self.lastError = lastError
        self.lastEvaluation = lastEvaluation
        self.evaluationSeconds = evaluationSeconds
    }

    public init(_ rule: RuntimeRule) {
        self.init(name: rule.name, isAlerting: rule.isAlerting, exprText: rule.spec.exprText, holdDuration: rule.spec.holdDuration,
                  keepFiringFor: rule.spec.keepFiringFor, labels: Labels(rule.spec.labels), annotations: Labels(rule.spec.annotations),
                  alerts: rule.alertState.allAlerts, health: rule.health.status, lastError: rule.health.lastError,
                  lastEvaluation: rule.health.lastEvaluation, evaluationSeconds: rule.health.evaluationSeconds)
    }

    /// The rule's state: the highest state of its alerts (firing > pending > inactive).
    public var state: AlertState.State { alerts.map(\.state).max() ?? .inactive }

    /// How many of the rule's alerts are in `state`.
    public func count(_ state: AlertState.State) -> Int { alerts.count { $0.state == state } }
}
