import TSDB

/// ForStateRestoration restores the `for` progress of pending and firing alerts after a restart.
///
/// Without it, every alert would start its `for` wait from scratch after a restart, and a 1h `for` would delay
/// paging by another hour. Prometheus reads each alert's last `ALERTS_FOR_STATE` sample (its `activeAt`) from
/// before the outage and shifts it forward by the downtime, so time spent down does not count as time pending,
/// but guarantees `gracePeriod` before anything fires. This is that computation as pure functions.
public struct ForStateRestoration: Sendable, Hashable {
    /// `--rules.alert.for-outage-tolerance`: how long Prometheus may have been down for `for` state to be restored.
    public var outageTolerance: Int64
    /// `--rules.alert.for-grace-period`: the least time between restoration and firing.
    public var gracePeriod: Int64

    public static let defaultOutageTolerance: Int64 = 3_600_000
    public static let defaultGracePeriod: Int64 = 600_000

    public init(outageTolerance: Int64 = defaultOutageTolerance, gracePeriod: Int64 = defaultGracePeriod) {
        self.outageTolerance = outageTolerance
        self.gracePeriod = gracePeriod
    }

    /// Whether a rule with this `for` is restored at all: rules whose `for` is shorter than the grace period are not,
    /// since waiting out the grace period would delay them more than starting over.
    public func restores(holdDuration: Int64) -> Bool {
        holdDuration >= gracePeriod
    }

    /// The `activeAt` to give an alert, from the last `ALERTS_FOR_STATE` sample before the restart; nil to leave it.
    ///
    /// - Parameters:
    ///   - sampleTime: when the last sample was written (ms), i.e. about when Prometheus went down.
    ///   - sampleValue: its value, the old `activeAt` in seconds; a staleness marker means the alert was not active.
    ///   - now: when restoration runs (ms).
    ///   - holdDuration: the rule's `for` (ms).
    ///
    /// The sample must be within `outageTolerance` of `now`. Then, with `pending = downAt − activeAt`:
    /// if the alert had already waited out `for`, the old `activeAt` is kept (it fires at the next evaluation);
    /// if less than `gracePeriod` of the wait remained, it fires `gracePeriod` after `now`;
    /// otherwise `activeAt` moves forward by the downtime, so it fires when it would have without the outage.
    /// Both times are truncated to whole seconds first, as Prometheus does.
    public func restoredActiveAt(sampleTime: Timestamp, sampleValue: Double, now: Timestamp, holdDuration: Int64) -> Timestamp? {
        guard restores(holdDuration: holdDuration) else { return nil }
        guard sampleTime >= now - outageTolerance, sampleTime <= now else { return nil }
        guard !StaleNaN.isStale(sampleValue), sampleValue.isFinite else { return nil }
        let downAt = floorToSecond(sampleTime)
        // The value is a Unix time in seconds that anything writing the series may have set: out of
        // range, it restores nothing rather than trapping.
        guard let seconds = Int64(exactly: sampleValue.rounded(.towardZero)),
              case let (restoredActiveAt, overflow) = seconds.multipliedReportingOverflow(by: 1000), !overflow,
              restoredActiveAt >= 0, restoredActiveAt <= now else { return nil }
        let remaining = holdDuration - (downAt - restoredActiveAt)
        if remaining <= 0 { return restoredActiveAt }
        if remaining < gracePeriod { return now + gracePeriod - holdDuration }
        return restoredActiveAt + (now - downAt)
    }

    private func floorToSecond(_ milliseconds: Timestamp) -> Timestamp {
        milliseconds >= 0 ? milliseconds / 1000 * 1000 : (milliseconds - 999) / 1000 * 1000
    }
}

extension AlertingRuleState {
    /// Restores `activeAt` of every current alert from its last `ALERTS_FOR_STATE` sample.
    ///
    /// `lastSample` looks up the newest sample of a series (given its full labels) in
    /// `[now − outageTolerance, now]`; the caller queries storage, this function decides. Prometheus runs this once,
    /// after the first evaluation following a start, so the alerts exist to be restored.
    public mutating func restoreForState(
        _ restoration: ForStateRestoration, now: Timestamp, holdDuration: Int64, alertName: String, ruleLabels: Labels = Labels(),
        lastSample: (Labels) -> (time: Timestamp, value: Double)?
    ) {
        guard restoration.restores(holdDuration: holdDuration) else { return }
        for alert in allAlerts {
            let series = Self.forStateSeriesLabels(alert, alertName: alertName, ruleLabels: ruleLabels)
            guard let sample = lastSample(series),
                let activeAt = restoration.restoredActiveAt(
                    sampleTime: sample.time, sampleValue: sample.value, now: now, holdDuration: holdDuration)
            else { continue }
            setActiveAt(activeAt, for: alert.labels)
        }
    }
}
