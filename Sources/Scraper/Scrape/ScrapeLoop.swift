import Config
import Dispatch
import Foundation
import Logging
import Synchronization
import TSDB

/// Scrapes one target on its interval and appends each scrape to the store in one commit.
///
/// A scrape is all or nothing: a fetch error, a malformed body or an exceeded limit stores none
/// of the target's samples, only `up` = 0 and the other synthetic series, plus staleness markers
/// for the series the last good scrape had.
final class ScrapeLoop: @unchecked Sendable {
    // @unchecked: all mutable state is touched only from the loop's own task, one scrape at a time.
    let target: ScrapeTargetSpec
    let store: any Appender
    let fetcher: TargetFetcher
    let logger: Logger
    let report: @Sendable (TargetStatus, ScrapeReport) async -> Void
    private var cache = ScrapeCache()
    /// Samples in the last scrape's batch, to size the next one's arrays once.
    private var lastBatchSize = 0
    /// Cleared when the whole server shuts down: like Prometheus, Vigil then leaves series unended, so that
    /// after a restart they continue without a gap and alerts find their last values.
    private let endOfRunStaleness = Mutex(true)
    private var knownMetadata: [String: MetricMetadata] = [:]
    private(set) var status: TargetStatus

    init(target: ScrapeTargetSpec, store: any Appender, fetcher: TargetFetcher, logger: Logger,
         report: @escaping @Sendable (TargetStatus, ScrapeReport) async -> Void) {
        self.target = target
        self.store = store
        self.fetcher = fetcher
        self.logger = logger
        self.report = report
        self.status = target.initialStatus
    }

    /// Scrape timestamps this close to their scheduled slot are moved onto it, as Prometheus does.
    ///
    /// Exactly regular timestamps make the delta-of-delta encoding nearly free; a few milliseconds
    /// of scheduling jitter would otherwise cost about a byte per sample.
    static let timestampTolerance: Int64 = 2

    /// Scrapes until cancelled, at `offset + k × interval`, then marks every series stale.
    func run(offsetMillis: Int64) async {
        let intervalMillis = target.config.scrapeInterval.milliseconds
        let interval = Duration.milliseconds(intervalMillis)
        var next = ContinuousClock.now + .milliseconds(offsetMillis)
        var slot = Self.now() + offsetMillis
        while !Task.isCancelled {
            do { try await Task.sleep(until: next, clock: .continuous) } catch { break }
            let now = Self.now()
            await scrapeOnce(at: abs(now - slot) <= Self.timestampTolerance ? slot : now)
            next += interval
            slot += intervalMillis
            // After a stall, skip the missed slots instead of scraping in a burst.
            let current = ContinuousClock.now
            while next < current {
                next += interval
                slot += intervalMillis
            }
        }
        if endOfRunStaleness.withLock({ $0 }) { await markAllStale(at: Self.now()) }
    }

    /// Stops the loop from marking its series stale when it ends (server shutdown rather than target removal).
    func skipEndOfRunStaleness() { endOfRunStaleness.withLock { $0 = false } }

    static func now() -> Timestamp { Timestamp((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// One scrape at time `t` (milliseconds): fetch, parse, relabel, commit, report.
    func scrapeOnce(at t: Timestamp) async {
        cache.iteration += 1
        let started = DispatchTime.now().uptimeNanoseconds
        var outcome: Result<ParsedScrape, ScrapeError>
        do {
            let body = try await fetcher.fetch(url: target.scrapeURL, settings: target.config.httpClient,
                                               timeoutMillis: target.config.scrapeTimeout.milliseconds,
                                               bodySizeLimit: target.config.bodySizeLimit.bytes)
            outcome = .success(try parse(body, at: t))
        } catch {
            // A scrape cut short by shutdown says nothing about the target: storing `up = 0`
            // would fire APIDown after every restart.
            if Task.isCancelled { return }
            outcome = .failure(error)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9

        var batch = AppendBatch()
        var newEntries: [Int] = []
        var scraped = 0, postRelabel = 0, added = 0
        switch outcome {
        case .success(let parsed):
            batch = parsed.batch
            newEntries = parsed.newEntries
            scraped = parsed.samplesScraped
            postRelabel = parsed.samplesPostRelabel
            added = parsed.newEntries.count
            if !parsed.metadata.isEmpty {
                do {
                    try await store.setMetadata(parsed.metadata)
                } catch {
                    logger.warning("storing metric metadata failed", metadata: [
                        "target": .string(target.scrapeURL), "error": .string("\(error)"),
                    ])
                }
            }
        case .failure:
            break
        }
        for ref in cache.takeVanished() { batch.append(ref: ref, t: t, v: StaleNaN.value) }
        appendSynthetic(&batch, t: t, up: outcome.isSuccess, seconds: seconds, scraped: scraped, postRelabel: postRelabel, added: added)

        var result = CommitResult()
        var commitError: String?
        do {
            result = try await store.commit(batch)
            if result.unknownReferences > 0 {
                // The cache points at series the store no longer has; forget them so the next scrape re-adds them.
                logger.warning("samples for unknown series references were not stored", metadata: [
                    "target": .string(target.scrapeURL), "samples": .stringConvertible(result.unknownReferences),
                ])
                cache.forgetReferences()
            } else {
                let newRefs = result.newRefs
                for (index, ref) in zip(newEntries, newRefs) { cache.setReference(ref, ofEntry: index) }
                for (name, ref) in zip(syntheticOrder.suffix(newRefs.count - newEntries.count), newRefs.dropFirst(newEntries.count)) {
                    cache.synthetic[name] = ref
                }
            }
            if outcome.isSuccess { cache.lastStoredIteration = cache.iteration }
        } catch {
            commitError = "storing the scrape failed: \(error)"
            logger.warning("storing the scrape failed; nothing of it was stored", metadata: [
                "target": .string(target.scrapeURL), "error": .string("\(error)"),
            ])
        }
        cache.evict(olderThan: 10)

        status.lastScrape = Date(timeIntervalSince1970: Double(t) / 1000)
        status.lastScrapeDuration = seconds
        status.samplesScraped = scraped
        switch outcome {
        case .success where commitError == nil:
            status.health = .up
            status.lastError = ""
        case .success:
            status.health = .down
            status.lastError = commitError ?? ""
        case .failure(let error):
            status.health = .down
            status.lastError = error.message
            logger.debug("scrape failed", metadata: ["target": .string(target.scrapeURL), "error": .string(error.message)])
        }
        await report(status, ScrapeReport(
            job: target.config.jobName, success: status.health == .up, durationSeconds: seconds,
            samplesScraped: scraped, samplesStored: result.appended, outOfOrder: result.outOfOrder,
            duplicateTimestamp: result.duplicateTimestamp, seriesAdded: result.seriesCreated
        ))
    }

    /// Writes staleness markers for every series this target reported, when it goes away.
    func markAllStale(at t: Timestamp) async {
        var batch = AppendBatch()
        for ref in cache.lastStoredReferences() { batch.append(ref: ref, t: t, v: StaleNaN.value) }
        for ref in cache.synthetic.values { batch.append(ref: ref, t: t, v: StaleNaN.value) }
        guard !batch.isEmpty else { return }
        _ = try? await store.commit(batch)
    }

    // MARK: - Parsing

    struct ParsedScrape {
        var batch = AppendBatch()
        /// Cache entries of the series in `batch.new`, in the same order.
        var newEntries: [Int] = []
        var samplesScraped = 0
        var samplesPostRelabel = 0
        var metadata: [String: MetricMetadata] = [:]
    }

    /// Parses a body into a batch; the series cache learns new series even when the scrape later fails.
    private func parse(_ body: ScrapeBody, at t: Timestamp) throws(ScrapeError) -> ParsedScrape {
        // The cache is moved out of the object for the parse, so the loop below works on a local
        // value: no exclusivity checks or reference counting per sample.
        var cache = ScrapeCache()
        swap(&cache, &self.cache)
        defer { swap(&cache, &self.cache) }
        var parsed = ParsedScrape()
        parsed.batch.reserveCapacity(lastBatchSize)
        var parser = ExpositionParser(bytes: body.bytes, format: ExpositionFormat(contentType: body.contentType))
        let limit = target.config.sampleLimit
        let honorTimestamps = target.config.honorTimestamps
        var pendingMetadata: [String: MetricMetadata] = [:]
        do {
            try body.bytes.withUnsafeBytes { bytes in
                while let entry = try parser.next() {
                    switch entry {
                    case .help(let metric, let text):
                        pendingMetadata[metric, default: .init(type: "unknown", help: "", unit: "")].help = text
                    case .type(let metric, let type):
                        pendingMetadata[metric, default: .init(type: "unknown", help: "", unit: "")].type = type.rawValue
                    case .unit(let metric, let unit):
                        pendingMetadata[metric, default: .init(type: "unknown", help: "", unit: "")].unit = unit
                    case .sample(let value, let timestamp):
                        parsed.samplesScraped += 1
                        let sampleTime = honorTimestamps ? (timestamp ?? t) : t
                        let key = UnsafeRawBufferPointer(rebasing: bytes[parser.currentSeriesRange])
                        if let index = cache.lookUp(key) {
                            let entry = cache.entries[index]
                            if entry.dropped { continue }
                            if entry.ref != 0 {
                                parsed.batch.append(ref: entry.ref, t: sampleTime, v: value)
                            } else if let labels = cache.labels[index] {
                                parsed.batch.append(labels: labels, t: sampleTime, v: value)
                                parsed.newEntries.append(index)
                            }
                        } else {
                            let labels = finalLabels(parser.currentLabels())
                            // Checked before caching, so a series over a limit is refused on every scrape, not just the first.
                            if let labels { try checkLabelLimits(labels) }
                            let index = cache.insert(key, labels: labels, explicitTimestamp: timestamp != nil && honorTimestamps)
                            guard let labels else { continue }
                            parsed.batch.append(labels: labels, t: sampleTime, v: value)
                            parsed.newEntries.append(index)
                        }
                        parsed.samplesPostRelabel += 1
                        if limit > 0 && parsed.samplesPostRelabel > limit {
                            throw ScrapeError("sample limit exceeded: more than \(limit) samples")
                        }
                    }
                }
            }
        } catch let error as ExpositionError {
            throw ScrapeError("parse error at line \(error.line), column \(error.column): \(error.message)")
        } catch let error as ScrapeError {
            throw error
        } catch {
            throw ScrapeError("\(error)")
        }
        lastBatchSize = parsed.batch.count
        for (metric, entry) in pendingMetadata where knownMetadata[metric] != entry {
            parsed.metadata[metric] = entry
            knownMetadata[metric] = entry
        }
        return parsed
    }

    /// Fails the scrape when a series breaks `label_limit`, `label_name_length_limit` or `label_value_length_limit`,
    /// with Prometheus's messages; lengths are in bytes, as Go measures strings.
    func checkLabelLimits(_ labels: Labels) throws(ScrapeError) {
        let config = target.config
        guard config.labelLimit > 0 || config.labelNameLengthLimit > 0 || config.labelValueLengthLimit > 0 else { return }
        let metric = String(decoding: (labels["__name__"] ?? "").utf8.prefix(50), as: UTF8.self)
        if config.labelLimit > 0, labels.count > config.labelLimit {
            throw ScrapeError("label_limit exceeded (metric: \(metric), number of labels: \(labels.count), limit: \(config.labelLimit))")
        }
        for label in labels {
            let name = String(decoding: label.name.utf8.prefix(50), as: UTF8.self)
            if config.labelNameLengthLimit > 0, label.name.utf8.count > config.labelNameLengthLimit {
                throw ScrapeError(
                    "label_name_length_limit exceeded (metric: \(metric), label name: \(name), length: \(label.name.utf8.count), limit: \(config.labelNameLengthLimit))")
            }
            if config.labelValueLengthLimit > 0, label.value.utf8.count > config.labelValueLengthLimit {
                let value = String(decoding: label.value.utf8.prefix(50), as: UTF8.self)
                throw ScrapeError(
                    "label_value_length_limit exceeded (metric: \(metric), label name: \(name), value: \"\(value)\", length: \(label.value.utf8.count), limit: \(config.labelValueLengthLimit))")
            }
        }
    }

    /// Joins scraped labels with the target's, per honor_labels, then applies metric_relabel_configs.
    func finalLabels(_ scraped: Labels) -> Labels? {
        var merged: [String: String] = [:]
        for label in scraped { merged[label.name] = label.value }
        for label in target.labels {
            if target.config.honorLabels {
                if merged[label.name] == nil { merged[label.name] = label.value }
            } else {
                if let clash = merged[label.name] {
                    // The scraped value moves aside to exported_<name>, as Prometheus does.
                    var name = "exported_" + label.name
                    while merged[name] != nil { name = "exported_" + name }
                    merged[name] = clash
                }
                merged[label.name] = label.value
            }
        }
        let labels = Labels(merged)
        guard !target.config.metricRelabelConfigs.isEmpty else { return labels }
        return Relabeling.process(labels, with: target.config.metricRelabelConfigs)
    }

    // MARK: - Synthetic series

    private let syntheticOrder = ["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added"]

    private func appendSynthetic(_ batch: inout AppendBatch, t: Timestamp, up: Bool, seconds: Double, scraped: Int, postRelabel: Int, added: Int) {
        let values: [String: Double] = [
            "up": up ? 1 : 0, "scrape_duration_seconds": seconds, "scrape_samples_scraped": Double(scraped),
            "scrape_samples_post_metric_relabeling": Double(postRelabel), "scrape_series_added": Double(added),
        ]
        // Known ones by reference first; unknown ones after the scraped new series, in `syntheticOrder`.
        var missing: [String] = []
        for name in syntheticOrder {
            if let ref = cache.synthetic[name] { batch.append(ref: ref, t: t, v: values[name]!) } else { missing.append(name) }
        }
        for name in missing {
            batch.append(labels: target.labels.setting(Labels.metricName, to: name), t: t, v: values[name]!)
        }
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
}
