import Foundation
import Logging
import PromQL
import ServiceLifecycle
import TSDB

/// Runs every rule group on its interval, stores what the rules produce and hands alerts to a notifier.
///
/// Each group has its own task and evaluates at interval slots; a slot that passes while the group
/// is still busy is counted as missed, not run late. After a start, the `for` state of pending and
/// firing alerts is restored from `ALERTS_FOR_STATE`, with Prometheus's outage tolerance and grace period.
public actor RuleManager: Service {
    public struct Options: Sendable {
        public var defaultInterval: Int64 = 60_000
        public var resendDelay: Int64 = 60_000
        public var restoration = ForStateRestoration(outageTolerance: ForStateRestoration.defaultOutageTolerance,
                                                     gracePeriod: ForStateRestoration.defaultGracePeriod)
        public var externalLabels = Labels()
        public var externalURL = ""
        public init() {}
    }

    private let store: TimeSeriesStore
    private let query: QueryFunc
    private let notify: @Sendable ([OutgoingAlert]) async -> Void
    private let logger: Logger
    private var options: Options
    private var groups: [String: RuleGroup] = [:]
    private var order: [String] = []
    private var tasks: [String: Task<Void, Never>] = [:]
    private var running = false
    private let startedAt = RuleManager.now()

    public init(store: TimeSeriesStore, query: @escaping QueryFunc, options: Options = Options(), logger: Logger,
                notify: @escaping @Sendable ([OutgoingAlert]) async -> Void = { _ in }) {
        self.store = store
        self.query = query
        self.options = options
        self.logger = logger
        self.notify = notify
    }

    /// Replaces the rule groups; groups and rules that did not change keep their alert state.
    public func load(_ files: [LoadedRuleFile], options newOptions: Options? = nil) throws(TemplateError) {
        if let newOptions { options = newOptions }
        var newGroups: [String: RuleGroup] = [:]
        var newOrder: [String] = []
        for file in files {
            for spec in file.ruleFile.groups {
                var group = try RuleGroup(spec: spec, file: file.path, defaultInterval: options.defaultInterval)
                group.writesAlertSeriesBeforeRestore = false
                if let old = groups[group.key] { group.inheritState(from: old) }
                newGroups[group.key] = group
                newOrder.append(group.key)
            }
        }
        for key in groups.keys where newGroups[key] == nil {
            tasks[key]?.cancel()
            tasks[key] = nil
        }
        let changed = newOrder.filter { key in groups[key].map { $0.interval != newGroups[key]!.interval } ?? true }
        groups = newGroups
        order = newOrder
        if running {
            for key in changed {
                tasks[key]?.cancel()
                startGroup(key)
            }
        }
    }

    public func run() async throws {
        running = true
        for key in order where tasks[key] == nil { startGroup(key) }
        try? await cancelWhenGracefulShutdown {
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        running = false
        let all = Array(tasks.values)
        tasks = [:]
        for task in all { task.cancel() }
        for task in all { await task.value }
    }

    /// The groups in file order, for `/api/v1/rules`, `/api/v1/alerts` and the pages.
    public func snapshot() -> [RuleGroup] { order.compactMap { groups[$0] } }

    static func now() -> Timestamp { Timestamp((Date().timeIntervalSince1970 * 1000).rounded()) }

    private func startGroup(_ key: String) {
        guard let group = groups[key] else { return }
        let interval = group.interval
        tasks[key] = Task { [weak self] in
            var slot = group.nextSlot(after: RuleManager.now())
            while !Task.isCancelled {
                let wait = slot - RuleManager.now()
                if wait > 0 {
                    do { try await Task.sleep(for: .milliseconds(wait)) } catch { return }
                }
                guard let self else { return }
                await self.evaluate(key, at: slot)
                slot += interval
                let now = RuleManager.now()
                if slot <= now {
                    // Slots that passed while evaluating are skipped and counted, never run in a burst.
                    let missed = (now - slot) / interval + 1
                    await self.recordMissed(key, Int(missed))
                    slot += missed * interval
                }
            }
        }
    }

    private func recordMissed(_ key: String, _ count: Int) { groups[key]?.missedIterations += count }

    /// One evaluation of one group at `time`, with its side effects: samples stored, alerts sent.
    func evaluate(_ key: String, at time: Timestamp) async {
        guard var group = groups[key] else { return }
        let store = self.store
        let evaluation = await group.evaluate(
            at: time, query: query, externalLabels: options.externalLabels, externalURL: options.externalURL,
            resendDelay: options.resendDelay
        ) { samples, t in
            var batch = AppendBatch()
            for sample in samples { batch.append(labels: sample.labels, t: t, v: sample.value) }
            _ = try? await store.commit(batch)
        }
        // Series a rule produced last time but not now end with a staleness marker, as Prometheus writes them.
        let current = Set(evaluation.samples.map(\.labels))
        var stale = AppendBatch()
        for labels in lastProduced[key, default: []] where !current.contains(labels) {
            stale.append(labels: labels, t: time, v: StaleNaN.value)
        }
        if !stale.isEmpty { _ = try? await store.commit(stale) }
        lastProduced[key] = current
        // After a rule's first evaluation its alerts exist; their `for` state comes back from storage now.
        if group.rules.contains(where: { $0.isAlerting && !$0.restored }) { await restoreForState(&group, at: time) }
        for (rule, transition) in evaluation.transitions {
            logger.debug("alert state changed", metadata: ["alertname": .string(rule), "transition": .string(transition.description)])
        }
        // Only the latest group state is kept: a reload during evaluation replaced it, and its state wins.
        if let current = groups[key], current.evaluations == group.evaluations - 1 { groups[key] = group }
        if !evaluation.alertsToSend.isEmpty {
            let externalURL = options.externalURL
            await notify(evaluation.alertsToSend.map { OutgoingAlert($0.alert, expr: $0.expr, externalURL: externalURL) })
        }
    }

    private var lastProduced: [String: Set<Labels>] = [:]

    /// Restores `activeAt` of pending and firing alerts from `ALERTS_FOR_STATE` after a restart.
    private func restoreForState(_ group: inout RuleGroup, at time: Timestamp) async {
        for index in group.rules.indices where group.rules[index].isAlerting && !group.rules[index].restored {
            let rule = group.rules[index]
            let matchers = (try? [Matcher(.equal, Labels.metricName, AlertingRuleState.alertsForStateMetric),
                                  Matcher(.equal, "alertname", rule.name)]) ?? []
            // Samples written before this evaluation only: the newest one tells when the alert became active.
            let series = (try? await store.select(matchers, mint: time - options.restoration.outageTolerance, maxt: time - 1)) ?? []
            var newest: [Labels: (time: Timestamp, value: Double)] = [:]
            for one in series {
                if let last = one.samples.last(where: { !StaleNaN.isStale($0.v) }) { newest[one.labels] = (last.t, last.v) }
            }
            logger.debug("restoring for state", metadata: ["alertname": .string(rule.name), "series": .stringConvertible(series.count),
                                                           "alerts": .stringConvertible(rule.alertState.allAlerts.count)])
            group.rules[index].alertState.restoreForState(
                options.restoration, now: time, holdDuration: rule.spec.holdDuration, alertName: rule.name,
                ruleLabels: Labels(rule.spec.labels)) { newest[$0] }
            group.rules[index].restored = true
        }
    }
}
