import TSDB

/// AlertingRuleState is the alert instances of one alerting rule, advanced one evaluation at a time.
///
/// It is a value with no clock and no I/O: the caller evaluates the expression, expands templates, and passes the
/// result and the evaluation time to `step`, which applies Prometheus 2.42's rules (`rules/alerting.go`) and returns
/// the transitions. The owning actor logs them and performs side effects. That keeps every rule about `for`,
/// `keep_firing_for` and resolved-alert retention testable as a table.
public struct AlertingRuleState: Sendable, Equatable {
    /// How long a resolved alert is kept, and re-sent to Alertmanager, after it resolves: 15 minutes.
    ///
    /// Keeping it lets Alertmanager hear about the resolution even if a notification was lost.
    public static let resolvedRetention: Int64 = 15 * 60_000

    /// Element is one alert the evaluation produced: its final labels (with `alertname`), annotations and value.
    public struct Element: Sendable, Equatable {
        public var labels: Labels
        public var annotations: Labels
        public var value: Double

        public init(labels: Labels, annotations: Labels = Labels(), value: Double) {
            self.labels = labels
            self.annotations = annotations
            self.value = value
        }

        public static func == (lhs: Element, rhs: Element) -> Bool {
            lhs.labels == rhs.labels && lhs.annotations == rhs.annotations && lhs.value.bitPattern == rhs.value.bitPattern
        }
    }

    /// The current instances by label set, including resolved ones within their retention.
    public private(set) var alerts: [Labels: AlertState]

    public init(alerts: [AlertState] = []) {
        self.alerts = Dictionary(alerts.map { ($0.labels, $0) }, uniquingKeysWith: { $1 })
    }

    /// Advances the rule by one evaluation at `time`, given the alerts whose condition holds.
    ///
    /// - New label sets become pending with `activeAt = time`, and fire in the same evaluation when `for` is 0.
    /// - Pending alerts fire once `time - activeAt >= for`; exactly `for` after activation is enough.
    /// - Pending alerts whose condition clears are forgotten; firing ones resolve (`resolvedAt = time`) unless
    ///   `keep_firing_for` has not yet elapsed since the condition cleared.
    /// - Resolved alerts are forgotten once more than `resolvedRetention` has passed since they resolved, and are
    ///   replaced by a fresh pending alert if the condition holds again.
    ///
    /// Elements with the same labels should not occur (the caller rejects them); the last one wins.
    public mutating func step(active: [Element], at time: Timestamp, for holdDuration: Int64, keepFiringFor: Int64) -> [AlertTransition] {
        var transitions: [AlertTransition] = []
        var current: Set<Labels> = []
        for element in active {
            current.insert(element.labels)
            if var existing = alerts[element.labels], existing.state != .inactive {
                existing.value = element.value
                existing.annotations = element.annotations
                alerts[element.labels] = existing
                continue
            }
            let previous = alerts[element.labels]?.state
            alerts[element.labels] = AlertState(
                labels: element.labels, annotations: element.annotations, state: .pending, value: element.value, activeAt: time)
            transitions.append(AlertTransition(labels: element.labels, from: previous, to: .pending))
        }

        for labels in alerts.keys.sorted(by: Self.order) {
            guard var alert = alerts[labels] else { continue }
            if current.contains(labels) {
                alert.keepFiringSince = nil
            } else {
                var keepFiring = false
                if alert.state == .firing && keepFiringFor > 0 {
                    let since = alert.keepFiringSince ?? time
                    alert.keepFiringSince = since
                    keepFiring = time - since < keepFiringFor
                }
                if alert.state == .pending || (alert.resolvedAt.map { time - $0 > Self.resolvedRetention } ?? false) {
                    alerts[labels] = nil
                    transitions.append(AlertTransition(labels: labels, from: alert.state, to: nil))
                    continue
                }
                if !keepFiring {
                    if alert.state != .inactive {
                        alert.state = .inactive
                        alert.resolvedAt = time
                        transitions.append(AlertTransition(labels: labels, from: .firing, to: .inactive))
                    }
                    alerts[labels] = alert
                    continue
                }
            }
            if alert.state == .pending && time - alert.activeAt >= holdDuration {
                alert.state = .firing
                alert.firedAt = time
                // A brand-new alert that fires at once reports one transition, from nothing to firing.
                if let last = transitions.last, last.labels == labels, last.to == .pending, last.from == nil || last.from == .inactive {
                    transitions[transitions.count - 1].to = .firing
                } else {
                    transitions.append(AlertTransition(labels: labels, from: .pending, to: .firing))
                }
            }
            alerts[labels] = alert
        }
        return transitions.sorted { $0.labels != $1.labels ? Self.order($0.labels, $1.labels) : false }
    }

    /// `step` for alerts with no annotations, given as label sets and values.
    @_disfavoredOverload
    public mutating func step(
        active: [(labels: Labels, value: Double)], at time: Timestamp, for holdDuration: Int64, keepFiringFor: Int64
    ) -> [AlertTransition] {
        step(active: active.map { Element(labels: $0.labels, value: $0.value) }, at: time, for: holdDuration, keepFiringFor: keepFiringFor)
    }

    /// Drops every alert and throws when more than `limit` alerts are pending or firing, as a group's `limit` demands.
    ///
    /// Prometheus forgets all of the rule's alerts in that case (no resolutions are sent), and the evaluation fails.
    public mutating func enforceLimit(_ limit: Int) throws(AlertLimitExceeded) {
        guard limit > 0 else { return }
        let count = alerts.values.count { $0.state != .inactive }
        if count > limit {
            alerts = [:]
            throw AlertLimitExceeded(limit: limit, count: count)
        }
    }

    /// The pending and firing alerts, sorted by labels.
    public var activeAlerts: [AlertState] {
        alerts.values.filter { $0.state != .inactive }.sorted { Self.order($0.labels, $1.labels) }
    }

    /// Every alert including resolved ones, sorted by labels.
    public var allAlerts: [AlertState] {
        alerts.values.sorted { Self.order($0.labels, $1.labels) }
    }

    /// The rule's state: the highest state of its alerts (firing > pending > inactive).
    public var state: AlertState.State {
        alerts.values.map(\.state).max() ?? .inactive
    }

    /// The alerts to hand to the notifier at `time`, marking them sent.
    ///
    /// Each sent alert gets `validUntil = time + 4 × max(resendDelay, interval)`, which allows two failed
    /// evaluations or sends before Alertmanager would consider it resolved.
    public mutating func alertsToSend(at time: Timestamp, resendDelay: Int64, interval: Int64 = 0) -> [AlertState] {
        var sent: [AlertState] = []
        for labels in alerts.keys.sorted(by: Self.order) {
            guard var alert = alerts[labels], alert.needsSending(at: time, resendDelay: resendDelay) else { continue }
            alert.lastSentAt = time
            alert.validUntil = time + 4 * max(resendDelay, interval)
            alerts[labels] = alert
            sent.append(alert)
        }
        return sent
    }

    /// Replaces an alert's `activeAt`, for restoring `for` state after a restart.
    public mutating func setActiveAt(_ activeAt: Timestamp, for labels: Labels) {
        alerts[labels]?.activeAt = activeAt
    }

    /// A stable order for label sets: by their pairs, lexicographically.
    static func order(_ lhs: Labels, _ rhs: Labels) -> Bool {
        lhs.pairs.lexicographicallyPrecedes(rhs.pairs)
    }
}

/// AlertLimitExceeded is an evaluation that produced more alerts than its group's `limit` allows.
public struct AlertLimitExceeded: Error, Sendable, Hashable, CustomStringConvertible {
    public var limit: Int
    public var count: Int

    public init(limit: Int, count: Int) {
        self.limit = limit
        self.count = count
    }

    public var description: String { "exceeded limit of \(limit) with \(count) alerts" }
}
