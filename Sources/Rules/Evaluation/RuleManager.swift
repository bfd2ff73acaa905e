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
    /// Where rule results go: the store itself, or a `FanoutAppender` in front of it.
    private let appender: any Appender
    private let query: QueryFunc
    private let notify: @Sendable ([OutgoingAlert]) async -> Void
    private let logger: Logger
    private var options: Options
    private var groups: [String: RuleGroup] = [:]
    private var order: [String] = []
    private var tasks: [String: Task<Void, Never>] = [:]
    private var running = false
    private let startedAt = RuleManager.now()

    public init(store: TimeSeriesStore, appender: (any Appender)? = nil, query: @escaping QueryFunc, options: Options = Options(), logger: Logger,
                notify: @escaping @Sendable ([OutgoingAlert]) async -> Void = { _ in }) {
        self.store = store
        self.appender = appender ?? store
        self.query = query
        self.options = options
        self.logger = logger
        self.notify = notify
    }

    /// Replaces the rule groups; groups and rules that did not change keep their alert state.
    ///
    /// The series of groups that are gone get staleness markers now, so queries stop seeing them at once rather
    /// than after the lookback delta.
    public func load(_ files: [LoadedRuleFile], options newOptions: Options? = nil) async throws(TemplateError) {
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
        loadGeneration += 1
        for key in newGroups.keys { groupGeneration[key] = loadGeneration }
        var removedSeries = Set<Labels>()
        for (key, group) in groups where newGroups[key] == nil {
            tasks[key]?.cancel()
            tasks[key] = nil
            removedSeries.formUnion(group.seriesInPreviousEvaluation)
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
        if !removedSeries.isEmpty {
            var stale = AppendBatch()
            let now = RuleManager.now()
            for labels in removedSeries { stale.append(labels: labels, t: now, v: StaleNaN.value) }
            do { _ = try await appender.commit(stale) } catch { recordStorageError("storing staleness markers of removed rule groups", error) }
        }
    }

    /// Bumped by every load; an evaluation keeps its result only if its group was not reloaded meanwhile.
    private var loadGeneration = 0
    private var groupGeneration: [String: Int] = [:]

    /// Rule outputs, staleness markers and `for`-state reads that storage refused, for `vigil_rule_storage_errors_total`.
    public private(set) var storageErrors = 0

    private func recordStorageError(_ what: String, _ error: any Error) {
        storageErrors += 1
        logger.warning("\(what) failed", metadata: ["error": .string("\(error)")])
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
        let generation = groupGeneration[key]
        let appender = self.appender
        let evaluation = await group.evaluate(
            at: time, query: query, externalLabels: options.externalLabels, externalURL: options.externalURL,
            resendDelay: options.resendDelay
        ) { [weak self] samples, t in
            var batch = AppendBatch()
            for sample in samples { batch.append(labels: sample.labels, t: t, v: sample.value) }
            do { _ = try await appender.commit(batch) } catch { await self?.recordStorageError("storing rule results", error) }
        }
        // After a rule's first evaluation its alerts exist; their `for` state comes back from storage now.
        if group.rules.contains(where: { $0.isAlerting && !$0.restored }) { await restoreForState(&group, at: time) }
        for (rule, transition) in evaluation.transitions {
            logger.debug("alert state changed", metadata: ["alertname": .string(rule), "transition": .string(transition.description)])
        }
        // A reload during the evaluation replaced the group: the new rules win, and this result is dropped.
        if groups[key] != nil, groupGeneration[key] == generation { groups[key] = group }
        if !evaluation.alertsToSend.isEmpty {
            let externalURL = options.externalURL
            await notify(evaluation.alertsToSend.map { OutgoingAlert($0.alert, expr: $0.expr, externalURL: externalURL) })
        }
    }

    /// Restores `activeAt` of pending and firing alerts from `ALERTS_FOR_STATE` after a restart.
    private func restoreForState(_ group: inout RuleGroup, at time: Timestamp) async {
        for index in group.rules.indices where group.rules[index].isAlerting && !group.rules[index].restored {
            let rule = group.rules[index]
            let matchers = (try? [Matcher(.equal, Labels.metricName, AlertingRuleState.alertsForStateMetric),
                                  Matcher(.equal, "alertname", rule.name)]) ?? []
            // Samples written before this evaluation only: the newest one tells when the alert became active.
            let series: [Series]
            do {
                series = try await store.select(matchers, mint: time - options.restoration.outageTolerance, maxt: time - 1)
            } catch {
                recordStorageError("reading ALERTS_FOR_STATE to restore for state", error)
                series = []
            }
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
