import TSDB

/// AlertState is one alert instance of an alerting rule: the series that matched, and where it is in its life.
///
/// Times are milliseconds since the epoch, like everything inside Vigil; nil stands for Prometheus's zero time
/// ("never"). `activeAt` is when the condition started holding, which decides when a pending alert fires.
public struct AlertState: Sendable, Equatable {
    /// State is Prometheus's alert state: inactive (resolved), pending (waiting out `for`) or firing.
    ///
    /// Ordered as Prometheus orders them for a rule's overall state: firing > pending > inactive.
    public enum State: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
        case inactive, pending, firing

        public static func < (lhs: State, rhs: State) -> Bool { lhs.rawValue < rhs.rawValue }

        /// The `alertstate` label value and API spelling.
        public var description: String {
            switch self {
            case .inactive: "inactive"
            case .pending: "pending"
            case .firing: "firing"
            }
        }
    }

    /// The alert's identity: the matched series' labels without `__name__`, plus the rule's labels and `alertname`.
    public var labels: Labels
    /// Expanded annotations, refreshed at every evaluation in which the condition holds.
    public var annotations: Labels
    public var state: State
    /// The expression's value at the last evaluation in which the condition held.
    public var value: Double
    /// When the condition started to hold; a pending alert fires once `for` has elapsed since.
    public var activeAt: Timestamp
    public var firedAt: Timestamp?
    /// When a firing alert stopped firing; nil while the alert is pending or firing.
    public var resolvedAt: Timestamp?
    /// When the alert was last handed to the notifier.
    public var lastSentAt: Timestamp?
    /// Until when Alertmanager should consider the last notification current (its `endsAt` while firing).
    public var validUntil: Timestamp?
    /// When the condition stopped holding while `keep_firing_for` keeps the alert firing.
    public var keepFiringSince: Timestamp?

    public init(
        labels: Labels, annotations: Labels = Labels(), state: State, value: Double, activeAt: Timestamp,
        firedAt: Timestamp? = nil, resolvedAt: Timestamp? = nil, lastSentAt: Timestamp? = nil, validUntil: Timestamp? = nil,
        keepFiringSince: Timestamp? = nil
    ) {
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.value = value
        self.activeAt = activeAt
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.lastSentAt = lastSentAt
        self.validUntil = validUntil
        self.keepFiringSince = keepFiringSince
    }

    /// Compares values bit for bit, so an alert whose value is NaN equals itself.
    public static func == (lhs: AlertState, rhs: AlertState) -> Bool {
        lhs.labels == rhs.labels && lhs.annotations == rhs.annotations && lhs.state == rhs.state
            && lhs.value.bitPattern == rhs.value.bitPattern && lhs.activeAt == rhs.activeAt && lhs.firedAt == rhs.firedAt
            && lhs.resolvedAt == rhs.resolvedAt && lhs.lastSentAt == rhs.lastSentAt && lhs.validUntil == rhs.validUntil
            && lhs.keepFiringSince == rhs.keepFiringSince
    }

    /// Whether the notifier should get this alert now, as Prometheus's `needsSending` decides.
    ///
    /// Pending alerts are never sent. A resolution not yet sent goes out at once; otherwise an alert is re-sent once
    /// `resendDelay` has passed since the last send, so Alertmanager does not time it out.
    public func needsSending(at time: Timestamp, resendDelay: Int64) -> Bool {
        if state == .pending { return false }
        if let resolvedAt, resolvedAt > (lastSentAt ?? .min) { return true }
        guard let lastSentAt else { return true }
        return lastSentAt + resendDelay < time
    }
}

/// AlertTransition is one change of an alert instance's state, for logs and tests.
///
/// `from` is nil for an instance that did not exist before; `to` is nil for an instance that is forgotten (a
/// pending alert whose condition cleared, or a resolved alert past its retention).
public struct AlertTransition: Sendable, Hashable, CustomStringConvertible {
    public var labels: Labels
    public var from: AlertState.State?
    public var to: AlertState.State?

    public init(labels: Labels, from: AlertState.State?, to: AlertState.State?) {
        self.labels = labels
        self.from = from
        self.to = to
    }

    /// vmalert's notation: `PENDING => FIRING {alertname="X", …}`, with `NONE` for a missing side.
    public var description: String {
        let from = self.from.map { "\($0)".uppercased() } ?? "NONE"
        let to = self.to.map { "\($0)".uppercased() } ?? "NONE"
        return "\(from) => \(to) \(labels)"
    }
}
