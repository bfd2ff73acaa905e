import Prometheus
import Rules
import Config
import Scraper
import Synchronization
import TSDB

/// Vigil's own metrics on the monitoring listener: storage sizes and scrape outcomes.
///
/// Scrape outcomes are recorded as they happen; storage figures are read from the store when
/// `/metrics` is rendered, so the store itself needs no metrics library.
public final class VigilMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let store: TimeSeriesStore
    private let scrapeDurations = Mutex<[String: ValueHistogram]>([:])
    private let scrapeResults = Mutex<[String: (ok: Counter, failed: Counter)]>([:])
    private let series: Gauge
    private let chunks: Gauge
    private let headChunks: Gauge
    private let samples: Gauge
    private let bytes: Gauge
    private let appended: Counter
    private let outOfOrder: Counter
    private let unknownReferences: Counter
    private let duplicates: Counter
    private let commits: Counter
    private let commitFailures: Counter
    private let retentionDeleted: Counter
    private let seen = Mutex<TimeSeriesStore.Totals>(.init())
    private let ruleManager: RuleManager?
    private let groupSeen = Mutex<[String: (evaluations: Int, failures: Int, missed: Int)]>([:])
    private let ruleStorageErrorsSeen = Mutex(0)

    private let notifier: Notifier?
    private let httpDiscoveryFailures = Mutex<(source: (@Sendable () async -> Int)?, seen: Int)>((nil, 0))
    private let httpDiscoveryFailuresCounter: Counter
    private let notifierSeen = Mutex<[String: Int]>([:])

    public init(store: TimeSeriesStore, ruleManager: RuleManager? = nil, notifier: Notifier? = nil) {
        self.store = store
        self.ruleManager = ruleManager
        self.notifier = notifier
        let registry = self.registry
        func gauge(_ name: String, _ help: String) -> Gauge { registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help)) }
        func counter(_ name: String, _ help: String) -> Counter { registry.makeCounter(descriptor: .init(metricName: name, unitName: "", helpText: help)) }
        series = gauge("vigil_tsdb_head_series", "Number of series in the store.")
        chunks = gauge("vigil_tsdb_chunks", "Number of closed chunks in the store.")
        headChunks = gauge("vigil_tsdb_head_chunks", "Number of open head chunks.")
        samples = gauge("vigil_tsdb_samples", "Number of samples in the store.")
        bytes = gauge("vigil_tsdb_storage_bytes", "Size of the database file and its write-ahead log in bytes.")
        appended = counter("vigil_tsdb_head_samples_appended_total", "Total samples appended to the store.")
        outOfOrder = counter("vigil_tsdb_out_of_order_samples_total", "Total samples rejected for being older than their series' newest sample.")
        unknownReferences = counter("vigil_tsdb_unknown_series_reference_samples_total", "Total samples refused because their series reference is unknown to the store.")
        duplicates = counter("vigil_tsdb_duplicate_timestamp_samples_total", "Total samples rejected for repeating a timestamp with another value.")
        commits = counter("vigil_tsdb_commits_total", "Total append transactions.")
        commitFailures = counter("vigil_tsdb_commit_failures_total", "Total append transactions that failed.")
        httpDiscoveryFailuresCounter = counter("prometheus_sd_http_failures_total", "Number of HTTP service discovery refresh failures.")
        retentionDeleted = counter("vigil_tsdb_retention_chunks_deleted_total", "Total chunks deleted by retention.")
    }

    /// Records one scrape's outcome; called by the scrape manager after every scrape.
    public func record(_ report: ScrapeReport) {
        let histogram = scrapeDurations.withLock { cache in
            if let histogram = cache[report.job] { return histogram }
            let histogram = registry.makeValueHistogram(
                descriptor: .init(metricName: "vigil_target_scrape_duration_seconds", unitName: "", helpText: "Duration of scrapes, fetch and parse."),
                labels: [("job", report.job)], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
            )
            cache[report.job] = histogram
            return histogram
        }
        histogram.record(report.durationSeconds)
        let counters = scrapeResults.withLock { cache in
            if let counters = cache[report.job] { return counters }
            let descriptor = MetricNameDescriptor(metricName: "vigil_target_scrapes_total", unitName: "", helpText: "Total scrapes by job and result.")
            let counters = (registry.makeCounter(descriptor: descriptor, labels: [("job", report.job), ("result", "success")]),
                            registry.makeCounter(descriptor: descriptor, labels: [("job", report.job), ("result", "failure")]))
            cache[report.job] = counters
            return counters
        }
        (report.success ? counters.ok : counters.failed).increment()
    }

    /// Reads the HTTP service discovery failure count from `source` on each render.
    public func countHTTPDiscoveryFailures(_ source: @escaping @Sendable () async -> Int) {
        httpDiscoveryFailures.withLock { $0.source = source }
    }

    /// Reads the store's figures into the registry and renders the exposition text.
    public func render() async -> [UInt8] {
        if let source = httpDiscoveryFailures.withLock({ $0.source }) {
            let total = await source()
            let increase = httpDiscoveryFailures.withLock { state in
                defer { state.seen = max(state.seen, total) }
                return total - state.seen
            }
            if increase > 0 { httpDiscoveryFailuresCounter.increment(by: Int64(increase)) }
        }
        let stats = await store.stats()
        let totals = await store.totals
        series.set(Double(stats.series))
        chunks.set(Double(stats.chunks))
        headChunks.set(Double(stats.headChunks))
        samples.set(Double(stats.samples))
        bytes.set(Double(stats.bytesOnDisk))
        seen.withLock { previous in
            func advance(_ counter: Counter, _ old: Int, _ new: Int) { if new > old { counter.increment(by: Int64(new - old)) } }
            advance(appended, previous.samplesAppended, totals.samplesAppended)
            advance(outOfOrder, previous.outOfOrder, totals.outOfOrder)
            advance(duplicates, previous.duplicateTimestamp, totals.duplicateTimestamp)
            advance(unknownReferences, previous.unknownReferences, totals.unknownReferences)
            advance(commits, previous.commits, totals.commits)
            advance(commitFailures, previous.commitFailures, totals.commitFailures)
            advance(retentionDeleted, previous.chunksDeletedByRetention, totals.chunksDeletedByRetention)
            previous = totals
        }
        await renderRuleGroups()
        await renderNotifier()
        return registry.emitToBuffer()
    }

    /// The Alertmanager queue and per-Alertmanager outcomes, as Prometheus's `prometheus_notifications_*`.
    private func renderNotifier() async {
        guard let stats = await notifier?.stats() else { return }
        func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor { .init(metricName: name, unitName: "", helpText: help) }
        registry.makeGauge(descriptor: descriptor("vigil_notifications_queue_length", "Alerts waiting to be sent to Alertmanager."))
            .set(Double(stats.queueLength))
        registry.makeGauge(descriptor: descriptor("vigil_notifications_queue_capacity", "Capacity of the alert queue."))
            .set(Double(stats.queueCapacity))
        var counts: [(key: String, counter: Counter, value: Int)] = [
            ("dropped", registry.makeCounter(descriptor: descriptor("vigil_notifications_dropped_total", "Alerts dropped because the queue was full or no Alertmanager took them.")), stats.droppedTotal),
        ]
        for alertmanager in stats.alertmanagers {
            let labels = [("alertmanager", alertmanager.url.absoluteString)]
            counts.append(("sent " + alertmanager.url.absoluteString, registry.makeCounter(
                descriptor: descriptor("vigil_notifications_sent_total", "Alerts sent to each Alertmanager."), labels: labels), alertmanager.sentTotal))
            counts.append(("errors " + alertmanager.url.absoluteString, registry.makeCounter(
                descriptor: descriptor("vigil_notifications_errors_total", "Alerts whose sending to an Alertmanager failed."), labels: labels), alertmanager.errorsTotal))
        }
        notifierSeen.withLock { seen in
            for (key, counter, value) in counts {
                if value > seen[key, default: 0] { counter.increment(by: Int64(value - seen[key, default: 0])) }
                seen[key] = value
            }
        }
    }

    /// Per rule group, as Prometheus's rule manager reports them (with `vigil_` for `prometheus_`).
    private func renderRuleGroups() async {
        guard let groups = await ruleManager?.snapshot() else { return }
        func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor { .init(metricName: name, unitName: "", helpText: help) }
        let storageErrors = await ruleManager?.storageErrors ?? 0
        let storageErrorCounter = registry.makeCounter(descriptor: descriptor(
            "vigil_rule_storage_errors_total", "Rule results, staleness markers and for-state reads that storage refused."))
        ruleStorageErrorsSeen.withLock { seen in
            if storageErrors > seen { storageErrorCounter.increment(by: Int64(storageErrors - seen)) }
            seen = max(seen, storageErrors)
        }
        for group in groups {
            let labels = [("rule_group", group.file + ";" + group.name)]
            registry.makeGauge(descriptor: descriptor("vigil_rule_group_last_duration_seconds", "Duration of the last rule group evaluation."), labels: labels)
                .set(group.evaluationSeconds)
            registry.makeGauge(descriptor: descriptor("vigil_rule_group_last_evaluation_timestamp_seconds", "Time of the last rule group evaluation."), labels: labels)
                .set(Double(group.lastEvaluation ?? 0) / 1000)
            registry.makeGauge(descriptor: descriptor("vigil_rule_group_interval_seconds", "Evaluation interval of the rule group."), labels: labels)
                .set(Double(group.interval) / 1000)
            registry.makeGauge(descriptor: descriptor("vigil_rule_group_rules", "Number of rules in the group."), labels: labels)
                .set(Double(group.rules.count))
            let evaluations = registry.makeCounter(descriptor: descriptor("vigil_rule_evaluations_total", "Total rule group evaluations."), labels: labels)
            let failures = registry.makeCounter(descriptor: descriptor("vigil_rule_evaluation_failures_total", "Total rule group evaluations in which a rule failed."), labels: labels)
            let missed = registry.makeCounter(descriptor: descriptor("vigil_rule_group_iterations_missed_total", "Total evaluation slots missed because an evaluation ran late."), labels: labels)
            groupSeen.withLock { seen in
                let previous = seen[group.key] ?? (0, 0, 0)
                if group.evaluations > previous.evaluations { evaluations.increment(by: Int64(group.evaluations - previous.evaluations)) }
                if group.failures > previous.failures { failures.increment(by: Int64(group.failures - previous.failures)) }
                if group.missedIterations > previous.missed { missed.increment(by: Int64(group.missedIterations - previous.missed)) }
                seen[group.key] = (group.evaluations, group.failures, group.missedIterations)
            }
        }
    }
}
