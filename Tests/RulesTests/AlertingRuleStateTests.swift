import Rules
import TSDB
import Testing

/// Table-driven tests of the alert state machine: each scenario is a list of evaluations (time, which alerts'
/// conditions hold) with the transitions and states expected after each. No clock, no I/O.
struct AlertingRuleStateTests {
    static let minute: Int64 = 60_000

    /// One evaluation of a scenario: at `time`, the alerts named in `active` hold (with the given value).
    struct Evaluation {
        var time: Int64
        var active: [String: Double]
        /// Transitions as "id: FROM => TO".
        var transitions: [String]
        /// The state of every alert kept after the evaluation; alerts not listed must be gone.
        var states: [String: AlertState.State]
    }

    struct Scenario: CustomTestStringConvertible {
        var name: String
        var holdDuration: Int64
        var keepFiringFor: Int64 = 0
        var evaluations: [Evaluation]
        var testDescription: String { name }
    }

    static func labels(_ id: String) -> Labels {
        ["alertname": "HighLatency", "instance": id]
    }

    static func eval(_ minutes: Double, _ active: [String: Double], _ transitions: [String] = [], _ states: [String: AlertState.State]) -> Evaluation {
        Evaluation(time: Int64(minutes * Double(minute)), active: active, transitions: transitions, states: states)
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "for 0 fires at the first evaluation", holdDuration: 0, evaluations: [
            eval(0, ["a": 1], ["a: NONE => FIRING"], ["a": .firing]),
            eval(1, ["a": 2], [], ["a": .firing]),
        ]),
        Scenario(name: "pending fires exactly when for has elapsed", holdDuration: 5 * minute, evaluations: [
            eval(0, ["a": 1], ["a: NONE => PENDING"], ["a": .pending]),
            eval(4, ["a": 1], [], ["a": .pending]),
            eval(4.99, ["a": 1], [], ["a": .pending]),
            eval(5, ["a": 1], ["a: PENDING => FIRING"], ["a": .firing]),
            eval(6, ["a": 1], [], ["a": .firing]),
        ]),
        Scenario(name: "pending that clears is forgotten", holdDuration: 5 * minute, evaluations: [
            eval(0, ["a": 1], ["a: NONE => PENDING"], ["a": .pending]),
            eval(1, [:], ["a: PENDING => NONE"], [:]),
            eval(2, ["a": 1], ["a: NONE => PENDING"], ["a": .pending]),
            eval(6, ["a": 1], [], ["a": .pending]),
            eval(7, ["a": 1], ["a: PENDING => FIRING"], ["a": .firing]),
        ]),
        Scenario(name: "firing that clears resolves and is kept 15 minutes", holdDuration: 0, evaluations: [
            eval(0, ["a": 1], ["a: NONE => FIRING"], ["a": .firing]),
            eval(1, [:], ["a: FIRING => INACTIVE"], ["a": .inactive]),
            eval(10, [:], [], ["a": .inactive]),
            eval(16, [:], [], ["a": .inactive]),
            eval(16.01, [:], ["a: INACTIVE => NONE"], [:]),
        ]),
        Scenario(name: "a resolved alert that holds again starts over", holdDuration: 2 * minute, evaluations: [
            eval(0, ["a": 1], ["a: NONE => PENDING"], ["a": .pending]),
            eval(2, ["a": 1], ["a: PENDING => FIRING"], ["a": .firing]),
            eval(3, [:], ["a: FIRING => INACTIVE"], ["a": .inactive]),
            eval(4, ["a": 1], ["a: INACTIVE => PENDING"], ["a": .pending]),
            eval(5, ["a": 1], [], ["a": .pending]),
            eval(6, ["a": 1], ["a: PENDING => FIRING"], ["a": .firing]),
        ]),
        Scenario(name: "a resolved alert with for 0 fires again at once", holdDuration: 0, evaluations: [
            eval(0, ["a": 1], ["a: NONE => FIRING"], ["a": .firing]),
            eval(1, [:], ["a: FIRING => INACTIVE"], ["a": .inactive]),
            eval(2, ["a": 1], ["a: INACTIVE => FIRING"], ["a": .firing]),
        ]),
        Scenario(name: "keep_firing_for keeps firing until it has elapsed", holdDuration: 0, keepFiringFor: 5 * minute, evaluations: [
            eval(0, ["a": 1], ["a: NONE => FIRING"], ["a": .firing]),
            eval(1, [:], [], ["a": .firing]),
            eval(5, [:], [], ["a": .firing]),
            eval(5.99, [:], [], ["a": .firing]),
            eval(6, [:], ["a: FIRING => INACTIVE"], ["a": .inactive]),
        ]),
        Scenario(name: "keep_firing_for restarts when the condition holds again", holdDuration: 0, keepFiringFor: 3 * minute, evaluations: [
            eval(0, ["a": 1], ["a: NONE => FIRING"], ["a": .firing]),
            eval(1, [:], [], ["a": .firing]),
            eval(3, ["a": 1], [], ["a": .firing]),
            eval(4, [:], [], ["a": .firing]),
            eval(6, [:], [], ["a": .firing]),
            eval(7, [:], ["a: FIRING => INACTIVE"], ["a": .inactive]),
        ]),
        Scenario(name: "keep_firing_for does not keep pending alerts", holdDuration: 5 * minute, keepFiringFor: 10 * minute, evaluations: [
            eval(0, ["a": 1], ["a: NONE => PENDING"], ["a": .pending]),
            eval(1, [:], ["a: PENDING => NONE"], [:]),
        ]),
        Scenario(name: "alerts with different labels are independent", holdDuration: 1 * minute, evaluations: [
            eval(0, ["a": 1], ["a: NONE => PENDING"], ["a": .pending]),
            eval(1, ["a": 1, "b": 2], ["a: PENDING => FIRING", "b: NONE => PENDING"], ["a": .firing, "b": .pending]),
            eval(2, ["b": 2], ["a: FIRING => INACTIVE", "b: PENDING => FIRING"], ["a": .inactive, "b": .firing]),
            eval(3, [:], ["b: FIRING => INACTIVE"], ["a": .inactive, "b": .inactive]),
            eval(17.5, [:], ["a: INACTIVE => NONE"], ["b": .inactive]),
            eval(18.5, [:], ["b: INACTIVE => NONE"], [:]),
        ]),
    ]

    @Test("transitions", arguments: scenarios)
    func transitions(_ scenario: Scenario) {
        var state = AlertingRuleState()
        for evaluation in scenario.evaluations {
            let active = evaluation.active.sorted { $0.key < $1.key }.map { (labels: Self.labels($0.key), value: $0.value) }
            let transitions = state.step(
                active: active, at: evaluation.time, for: scenario.holdDuration, keepFiringFor: scenario.keepFiringFor)
            let described = transitions.map { transition in
                let from = transition.from.map { "\($0)".uppercased() } ?? "NONE"
                let to = transition.to.map { "\($0)".uppercased() } ?? "NONE"
                return "\(transition.labels["instance"] ?? "?"): \(from) => \(to)"
            }
            #expect(described == evaluation.transitions, "at \(evaluation.time) ms")
            let states = Dictionary(uniqueKeysWithValues: state.allAlerts.map { ($0.labels["instance"]!, $0.state) })
            #expect(states == evaluation.states, "at \(evaluation.time) ms")
        }
    }

    @Test func timestampsFollowTheTransitions() {
        var state = AlertingRuleState()
        let a = Self.labels("a")
        _ = state.step(active: [(a, 1)], at: 1000, for: 2 * Self.minute, keepFiringFor: 0)
        #expect(state.alerts[a] == AlertState(labels: a, state: .pending, value: 1, activeAt: 1000))
        _ = state.step(active: [(a, 5)], at: 1000 + 2 * Self.minute, for: 2 * Self.minute, keepFiringFor: 0)
        #expect(state.alerts[a] == AlertState(labels: a, state: .firing, value: 5, activeAt: 1000, firedAt: 121_000))
        _ = state.step(active: [], at: 181_000, for: 2 * Self.minute, keepFiringFor: 0)
        // Resolution keeps the last value and activeAt.
        #expect(state.alerts[a] == AlertState(labels: a, state: .inactive, value: 5, activeAt: 1000, firedAt: 121_000, resolvedAt: 181_000))
    }

    @Test func valueAndAnnotationsFollowTheLatestEvaluation() {
        var state = AlertingRuleState()
        let a = Self.labels("a")
        _ = state.step(active: [.init(labels: a, annotations: ["summary": "v=1"], value: 1)], at: 0, for: 0, keepFiringFor: 0)
        _ = state.step(active: [.init(labels: a, annotations: ["summary": "v=2"], value: 2)], at: 60_000, for: 0, keepFiringFor: 0)
        #expect(state.alerts[a]?.annotations == ["summary": "v=2"])
        #expect(state.alerts[a]?.value == 2)
        #expect(state.alerts[a]?.activeAt == 0)
        // While keep_firing_for holds the alert, the last value and annotations stay.
        _ = state.step(active: [], at: 120_000, for: 0, keepFiringFor: Self.minute * 10)
        #expect(state.alerts[a]?.annotations == ["summary": "v=2"])
        #expect(state.alerts[a]?.keepFiringSince == 120_000)
        #expect(state.alerts[a]?.state == .firing)
    }

    @Test func ruleStateIsTheHighestAlertState() {
        var state = AlertingRuleState()
        #expect(state.state == .inactive)
        _ = state.step(active: [(Self.labels("a"), 1)], at: 0, for: Self.minute, keepFiringFor: 0)
        #expect(state.state == .pending)
        _ = state.step(active: [(Self.labels("a"), 1), (Self.labels("b"), 1)], at: Self.minute, for: Self.minute, keepFiringFor: 0)
        #expect(state.state == .firing)
        #expect(state.activeAlerts.map { $0.labels["instance"] } == ["a", "b"])
    }

    @Test func limitDropsEveryAlert() throws {
        var state = AlertingRuleState()
        _ = state.step(active: [(Self.labels("a"), 1), (Self.labels("b"), 1)], at: 0, for: 0, keepFiringFor: 0)
        try state.enforceLimit(2)
        try state.enforceLimit(0)
        #expect(state.alerts.count == 2)
        #expect(throws: AlertLimitExceeded(limit: 1, count: 2)) { try state.enforceLimit(1) }
        #expect(state.alerts.isEmpty)
        #expect(AlertLimitExceeded(limit: 1, count: 2).description == "exceeded limit of 1 with 2 alerts")
    }

    @Test func resolvedAlertsDoNotCountTowardsTheLimit() throws {
        var state = AlertingRuleState()
        _ = state.step(active: [(Self.labels("a"), 1), (Self.labels("b"), 1)], at: 0, for: 0, keepFiringFor: 0)
        _ = state.step(active: [(Self.labels("a"), 1)], at: Self.minute, for: 0, keepFiringFor: 0)
        try state.enforceLimit(1)
        #expect(state.alerts.count == 2)
    }
}

/// When alerts go to the notifier: Prometheus's `needsSending` with the resend delay, and `validUntil`.
struct AlertSendingTests {
    static let minute: Int64 = 60_000
    let a: Labels = ["alertname": "APIDown", "instance": "a"]

    @Test func pendingAlertsAreNotSent() {
        var state = AlertingRuleState()
        _ = state.step(active: [(a, 1)], at: 0, for: 5 * Self.minute, keepFiringFor: 0)
        #expect(state.alertsToSend(at: 0, resendDelay: Self.minute).isEmpty)
    }

    @Test func firingAlertsAreResentAfterTheResendDelay() {
        var state = AlertingRuleState()
        _ = state.step(active: [(a, 1)], at: 0, for: 0, keepFiringFor: 0)
        let first = state.alertsToSend(at: 0, resendDelay: Self.minute, interval: 15_000)
        #expect(first.map(\.labels) == [a])
        #expect(first.first?.lastSentAt == 0)
        #expect(first.first?.validUntil == 4 * Self.minute)
        #expect(state.alertsToSend(at: 30_000, resendDelay: Self.minute, interval: 15_000).isEmpty)
        // Exactly the resend delay later is not yet "after" it.
        #expect(state.alertsToSend(at: Self.minute, resendDelay: Self.minute, interval: 15_000).isEmpty)
        let again = state.alertsToSend(at: Self.minute + 15_000, resendDelay: Self.minute, interval: 15_000)
        #expect(again.first?.lastSentAt == 75_000)
        #expect(again.first?.validUntil == 75_000 + 4 * Self.minute)
    }

    @Test func validUntilUsesTheLongerOfIntervalAndResendDelay() {
        var state = AlertingRuleState()
        _ = state.step(active: [(a, 1)], at: 0, for: 0, keepFiringFor: 0)
        #expect(state.alertsToSend(at: 0, resendDelay: Self.minute, interval: 5 * Self.minute).first?.validUntil == 20 * Self.minute)
    }

    @Test func resolutionsAreSentAtOnceThenWithTheResendDelay() {
        var state = AlertingRuleState()
        _ = state.step(active: [(a, 1)], at: 0, for: 0, keepFiringFor: 0)
        _ = state.alertsToSend(at: 0, resendDelay: Self.minute)
        _ = state.step(active: [], at: 15_000, for: 0, keepFiringFor: 0)
        let resolved = state.alertsToSend(at: 15_000, resendDelay: Self.minute)
        #expect(resolved.map(\.state) == [.inactive])
        #expect(resolved.first?.resolvedAt == 15_000)
        #expect(state.alertsToSend(at: 30_000, resendDelay: Self.minute).isEmpty)
        #expect(state.alertsToSend(at: 90_000, resendDelay: Self.minute).map(\.state) == [.inactive])
    }

    @Test func needsSendingFollowsPrometheus() {
        let firing = AlertState(labels: a, state: .firing, value: 1, activeAt: 0)
        #expect(firing.needsSending(at: 0, resendDelay: Self.minute))
        var sent = firing
        sent.lastSentAt = 0
        #expect(!sent.needsSending(at: Self.minute, resendDelay: Self.minute))
        #expect(sent.needsSending(at: Self.minute + 1, resendDelay: Self.minute))
        var resolved = sent
        resolved.state = .inactive
        resolved.resolvedAt = 1
        #expect(resolved.needsSending(at: 2, resendDelay: Self.minute))
        resolved.lastSentAt = 1
        #expect(!resolved.needsSending(at: 2, resendDelay: Self.minute))
    }
}

/// The `ALERTS` and `ALERTS_FOR_STATE` series written at each evaluation.
struct AlertSeriesTests {
    @Test func alertsSeriesCarryStateAndActiveAt() {
        var state = AlertingRuleState()
        let pending: Labels = ["alertname": "HighLatency", "instance": "a", "severity": "warning"]
        let firing: Labels = ["alertname": "HighLatency", "instance": "b", "severity": "warning"]
        let resolved: Labels = ["alertname": "HighLatency", "instance": "c", "severity": "warning"]
        _ = state.step(active: [(firing, 1), (resolved, 1)], at: 1_500, for: 60_000, keepFiringFor: 0)
        _ = state.step(active: [(firing, 1), (resolved, 1)], at: 61_500, for: 60_000, keepFiringFor: 0)
        _ = state.step(active: [(firing, 1), (pending, 7)], at: 130_250, for: 60_000, keepFiringFor: 0)
        #expect(state.alerts[resolved]?.state == .inactive)

        let alerts = state.alertsSamples(alertName: "HighLatency", ruleLabels: ["severity": "warning"])
        #expect(alerts.map(\.labels) == [
            ["__name__": "ALERTS", "alertname": "HighLatency", "alertstate": "pending", "instance": "a", "severity": "warning"],
            ["__name__": "ALERTS", "alertname": "HighLatency", "alertstate": "firing", "instance": "b", "severity": "warning"],
        ])
        #expect(alerts.map(\.value) == [1, 1])
        let forState = state.alertsForStateSamples(alertName: "HighLatency")
        #expect(forState.map(\.labels) == [
            ["__name__": "ALERTS_FOR_STATE", "alertname": "HighLatency", "instance": "a", "severity": "warning"],
            ["__name__": "ALERTS_FOR_STATE", "alertname": "HighLatency", "instance": "b", "severity": "warning"],
        ])
        // activeAt in whole seconds: 130.25 s and 1.5 s round down.
        #expect(forState.map(\.value) == [130, 1])
    }

    @Test func ruleLabelsShowThroughOnlyWhereTheAlertLacksThem() {
        var state = AlertingRuleState()
        _ = state.step(active: [(["alertname": "X", "team": "a"], 1)], at: 0, for: 0, keepFiringFor: 0)
        let samples = state.alertsSamples(alertName: "X", ruleLabels: ["team": "{{ $labels.team }}", "empty": "{{ $labels.none }}"])
        #expect(samples.map(\.labels) == [
            ["__name__": "ALERTS", "alertname": "X", "alertstate": "firing", "empty": "{{ $labels.none }}", "team": "a"]
        ])
    }

    @Test func keptFiringAlertsStillHaveSeries() {
        var state = AlertingRuleState()
        _ = state.step(active: [(["alertname": "X"], 1)], at: 0, for: 0, keepFiringFor: 300_000)
        _ = state.step(active: [], at: 60_000, for: 0, keepFiringFor: 300_000)
        #expect(state.alertsSamples(alertName: "X").count == 1)
    }
}
