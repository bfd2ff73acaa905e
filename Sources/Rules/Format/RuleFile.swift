import PromQL
import TSDB

/// RuleFile is a validated rule file in Prometheus's format: a list of rule groups.
///
/// This is the file format only. Runtime rules, which evaluate and keep alert state, are built from it, so that a
/// reload can compare specs and keep the state of rules that did not change.
public struct RuleFile: Sendable, Equatable {
    public var groups: [RuleGroupSpec]

    public init(groups: [RuleGroupSpec] = []) {
        self.groups = groups
    }

    /// The number of rules in all groups, as `promtool check rules` counts them.
    public var ruleCount: Int { groups.reduce(0) { $0 + $1.rules.count } }
}

/// RuleGroupSpec is one `groups[]` entry: rules evaluated in order, at one interval.
public struct RuleGroupSpec: Sendable, Equatable {
    public var name: String
    /// The evaluation interval in milliseconds, or nil to use the global `evaluation_interval`.
    ///
    /// An explicit `0s` is nil too: Prometheus treats a zero interval as unset.
    public var interval: Int64?
    /// The most alerts per alerting rule, or series per recording rule, an evaluation may produce; 0 means no limit.
    public var limit: Int
    public var rules: [RuleSpec]
    /// Where the group starts in its file, for messages about it.
    public var line: Int
    public var column: Int

    public init(name: String, interval: Int64? = nil, limit: Int = 0, rules: [RuleSpec] = [], line: Int = 0, column: Int = 0) {
        self.name = name
        self.interval = interval
        self.limit = limit
        self.rules = rules
        self.line = line
        self.column = column
    }
}

/// RuleSpec is one rule of a group: an alerting rule or a recording rule, with its expression parsed.
public struct RuleSpec: Sendable, Equatable {
    /// Kind says which rule this is and carries its name: the `alert` or the `record` field.
    public enum Kind: Sendable, Hashable {
        case alerting(String)
        case recording(String)

        /// The alert name or the recorded metric name.
        public var name: String {
            switch self {
            case .alerting(let name), .recording(let name): name
            }
        }

        public var isAlerting: Bool {
            if case .alerting = self { return true }
            return false
        }
    }

    public var kind: Kind
    /// The expression as written, kept because rule APIs and `ALERTS` queries show it verbatim.
    public var exprText: String
    public var expr: Expr
    /// How long, in milliseconds, an alert stays pending before it fires (`for`); 0 for recording rules.
    public var holdDuration: Int64
    /// How long, in milliseconds, a firing alert keeps firing after its condition clears (`keep_firing_for`).
    public var keepFiringFor: Int64
    /// Labels added to every alert or recorded series, sorted by name as Prometheus keeps them.
    ///
    /// Values of alerting rules are templates, expanded per alert; values of recording rules are literal.
    public var labels: [Label]
    /// Annotation templates of an alerting rule, sorted by name; always empty for recording rules.
    public var annotations: [Label]
    /// Where the rule starts in its file, for messages about it.
    public var line: Int
    public var column: Int

    public init(
        kind: Kind, exprText: String, expr: Expr, holdDuration: Int64 = 0, keepFiringFor: Int64 = 0,
        labels: [Label] = [], annotations: [Label] = [], line: Int = 0, column: Int = 0
    ) {
        self.kind = kind
        self.exprText = exprText
        self.expr = expr
        self.holdDuration = holdDuration
        self.keepFiringFor = keepFiringFor
        self.labels = labels.sorted()
        self.annotations = annotations.sorted()
        self.line = line
        self.column = column
    }

    /// The name of the alert or recorded metric.
    public var name: String { kind.name }
}

/// LoadedRuleFile is a rule file read from disk, with the path it was read from.
public struct LoadedRuleFile: Sendable, Equatable {
    public var path: String
    public var ruleFile: RuleFile

    public init(path: String, ruleFile: RuleFile) {
        self.path = path
        self.ruleFile = ruleFile
    }

    public var groups: [RuleGroupSpec] { ruleFile.groups }
}
