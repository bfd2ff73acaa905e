import Rules
import TSDB
import Testing

/// Restoring `for` state after a restart, with Prometheus's outage tolerance and grace period.
struct ForStateRestorationTests {
    static let minute: Int64 = 60_000
    static let restoration = ForStateRestoration()  // 1h tolerance, 10m grace

    struct Case: CustomTestStringConvertible {
        var name: String
        var holdDuration: Int64
        /// When the last ALERTS_FOR_STATE sample was written, and its value (old activeAt, seconds).
        var sampleTime: Int64
        var sampleValue: Double
        var now: Int64
        var expected: Int64?
        var testDescription: String { name }
    }

    static let t0: Int64 = 1_700_000_000_000  // a whole second

    static let cases: [Case] = [
        Case(name: "for shorter than the grace period is not restored", holdDuration: 5 * minute,
             sampleTime: t0, sampleValue: Double(t0 / 1000), now: t0 + minute, expected: nil),
        Case(name: "a sample older than the outage tolerance is ignored", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: Double(t0 / 1000) - 60, now: t0 + 60 * minute + 1, expected: nil),
        Case(name: "a sample exactly at the outage tolerance counts", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: Double(t0 / 1000) - 60, now: t0 + 60 * minute, expected: t0 - minute + 60 * minute),
        Case(name: "a staleness marker means the alert was not active", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: StaleNaN.value, now: t0 + minute, expected: nil),
        Case(name: "an alert that had waited out for keeps its activeAt", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: Double(t0 / 1000) - 1800, now: t0 + 10 * minute, expected: t0 - 30 * minute),
        Case(name: "less than the grace period remaining fires a grace period after now", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: Double(t0 / 1000) - 25 * 60, now: t0 + 2 * minute,
             expected: t0 + 2 * minute + 10 * minute - 30 * minute),
        Case(name: "otherwise activeAt moves forward by the downtime", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: Double(t0 / 1000) - 5 * 60, now: t0 + 7 * minute,
             expected: t0 - 5 * minute + 7 * minute),
        Case(name: "down and active times are truncated to seconds", holdDuration: 30 * minute,
             sampleTime: t0 + 999, sampleValue: Double(t0 / 1000) - 300.9, now: t0 + 7 * minute + 500,
             expected: (t0 - 301_000) + (t0 + 7 * minute + 500 - t0)),
        Case(name: "a value too large for a timestamp restores nothing", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: 1e300, now: t0 + minute, expected: nil),
        Case(name: "a negative activeAt restores nothing", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: -9.2e18, now: t0 + minute, expected: nil),
        Case(name: "an activeAt after now restores nothing", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: Double(t0 / 1000) + 3600, now: t0 + minute, expected: nil),
        Case(name: "exactly the grace period remaining shifts by the downtime", holdDuration: 30 * minute,
             sampleTime: t0, sampleValue: Double(t0 / 1000) - 20 * 60, now: t0 + 3 * minute,
             expected: t0 - 20 * minute + 3 * minute),
    ]

    @Test("restored activeAt", arguments: cases)
    func restoredActiveAt(_ example: Case) {
        let restored = Self.restoration.restoredActiveAt(
            sampleTime: example.sampleTime, sampleValue: example.sampleValue, now: example.now, holdDuration: example.holdDuration)
        #expect(restored == example.expected)
    }

    @Test func restoringARuleLooksUpEachAlertsSeries() {
        var state = AlertingRuleState()
        let a: Labels = ["alertname": "SlowInference", "instance": "a"]
        let b: Labels = ["alertname": "SlowInference", "instance": "b"]
        let now = Self.t0 + 5 * Self.minute
        _ = state.step(active: [(a, 1), (b, 1)], at: now, for: 30 * Self.minute, keepFiringFor: 0)
        var asked: [Labels] = []
        state.restoreForState(Self.restoration, now: now, holdDuration: 30 * Self.minute, alertName: "SlowInference") { series in
            asked.append(series)
            // Only a was active before the restart: pending for 20 minutes when it went down 5 minutes ago.
            return series["instance"] == "a" ? (Self.t0, Double(Self.t0 / 1000 - 20 * 60)) : nil
        }
        #expect(asked.map { $0[Labels.metricName] } == ["ALERTS_FOR_STATE", "ALERTS_FOR_STATE"])
        #expect(state.alerts[a]?.activeAt == Self.t0 - 20 * Self.minute + 5 * Self.minute)
        #expect(state.alerts[b]?.activeAt == now)
        // Restored, a fires when its 30 minutes of pending are complete, not counting the downtime.
        let transitions = state.step(active: [(a, 1), (b, 1)], at: now + 10 * Self.minute, for: 30 * Self.minute, keepFiringFor: 0)
        #expect(transitions == [AlertTransition(labels: a, from: .pending, to: .firing)])
    }
}
