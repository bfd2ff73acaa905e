import Foundation

/// The time-series store: an in-memory head over an optional SQLite file.
///
/// Each series keeps its newest samples in an open Gorilla chunk; full chunks are written to
/// SQLite as BLOBs keyed by (series, min time). Every commit also writes its samples to a head
/// log in the same transaction, so a committed sample survives `kill -9`; on open the head is
/// rebuilt from the last checkpoint plus the log. Without a path the store keeps everything in
/// memory (tests and offline rule evaluation).
public actor TimeSeriesStore: Appender, Querier {
    public static let samplesPerChunk = 120

    public struct Options: Sendable {
        /// Chunks whose newest sample is older than this, relative to the newest sample in the store, are dropped.
        public var retentionMillis: Int64?
        /// The database is trimmed, oldest chunks first, to stay under this many bytes.
        public var retentionBytes: Int64?
        /// Samples logged since the last checkpoint before the head is checkpointed again.
        public var checkpointEverySamples: Int
        /// Compaction writes block rows as lists of Gorilla chunks, the format before column blocks,
        /// so tests can build the stores older builds left behind.
        public var writesLegacyBlockRows: Bool
        /// Opens an existing file without writing to it (no schema, checkpoint or compaction), so a
        /// second process can read a store that `vigil serve` holds; commits are refused.
        public var readOnly = false

        public init(retentionMillis: Int64? = 15 * 24 * 3_600_000, retentionBytes: Int64? = nil, checkpointEverySamples: Int = 200_000,
                    writesLegacyBlockRows: Bool = false) {
            self.retentionMillis = retentionMillis
            self.retentionBytes = retentionBytes
            self.checkpointEverySamples = checkpointEverySamples
            self.writesLegacyBlockRows = writesLegacyBlockRows
        }
    }

    let options: Options
    /// The database file, nil for a store kept in memory; head-log readers open it again.
    public nonisolated let path: String?
    /// Query reads' own connections to the file (see `TimeSeriesStore+Reading.swift`).
    nonisolated let readers: ReadConnectionPool?
    /// Where reads that touch the file or many series run: threads outside Swift's cooperative pool.
    nonisolated let readThreads: QueryThreadPool
    var database: PersistentState?
    /// Whether the store still holds its database file; false once closed, even by a close that failed.
    var holdsDatabase: Bool { database != nil }
    var series = SeriesTable()
    var refsByLabels: [Labels: SeriesRef] = [:]
    var postings = Postings()
    var nextRef: SeriesRef = 1
    var metadataByMetric: [String: MetricMetadata] = [:]
    var persistedChunks = 0
    var persistedSamples = 0
    var maxTime: Timestamp = .min
    /// Lifetime counters for Vigil's own metrics.
    public internal(set) var totals = Totals()

    public struct Totals: Sendable, Equatable {
        public var samplesAppended = 0
        public var outOfOrder = 0
        public var duplicateTimestamp = 0
        public var commits = 0
        public var commitFailures = 0
        public var chunksDeletedByRetention = 0
        /// Samples addressed to a series reference the store does not have (a caller's stale cache).
        public var unknownReferences = 0

        public init() {}
    }

    /// A store kept in memory only.
    public init(options: Options = Options()) {
        self.options = options
        self.path = nil
        self.readers = nil
        self.readThreads = .shared
    }

    /// Opens (or creates) the database at `path` and rebuilds the head from it.
    ///
    /// `readThreads` is where query reads run; tests give a store threads of its own.
    public init(path: String, options: Options = Options(), readThreads: QueryThreadPool = .shared) async throws(StorageError) {
        self.options = options
        self.path = path
        self.readers = ReadConnectionPool(path: path)
        self.readThreads = readThreads
        let state = try PersistentState(path: path, readOnly: options.readOnly)
        state.writesLegacyBlockRows = options.writesLegacyBlockRows
        self.database = state
        if options.readOnly {
            // One read transaction: a server writing meanwhile cannot show this reader half a commit.
            try state.database.readTransaction { () throws(StorageError) in try loadFromDisk() }
        } else {
            try loadFromDisk()
        }
    }

    // MARK: - Appending

    public func commit(_ batch: AppendBatch) throws(StorageError) -> CommitResult {
        try commitRecording(batch).result
    }

    /// Commits like `commit(_:)` and also returns every sample the store accepted, with its series' labels,
    /// for a `FanoutAppender`'s sinks; out-of-order, duplicate and repeated samples are not among them.
    public func commitReportingAccepted(_ batch: AppendBatch) throws(StorageError) -> (CommitResult, [CommittedSample]) {
        let (result, record) = try commitRecording(batch)
        var accepted: [CommittedSample] = []
        for sample in SampleLogRecord.decode(record.bytes) ?? [] {
            guard let labels = series[sample.ref]?.labels else { continue }
            accepted.append(CommittedSample(labels: labels, t: sample.t, v: sample.v))
        }
        return (result, accepted)
    }

    /// Commits a batch; returns the outcome and the head-log record of the samples it accepted.
    private func commitRecording(_ batch: AppendBatch) throws(StorageError) -> (result: CommitResult, record: SampleLogRecord) {
        if database?.readOnly == true { throw StorageError(code: 0, message: "the store was opened read-only") }
        var result = CommitResult()
        var created: [MemSeries] = []
        result.newRefs.reserveCapacity(batch.new.count)
        for sample in batch.new {
            if let ref = refsByLabels[sample.labels] {
                result.newRefs.append(ref)
            } else {
                let ref = nextRef
                nextRef += 1
                let memSeries = MemSeries(ref: ref, labels: sample.labels)
                series.insert(memSeries)
                refsByLabels[sample.labels] = ref
                postings.add(ref, sample.labels)
                created.append(memSeries)
                result.newRefs.append(ref)
            }
        }
        result.seriesCreated = created.count
        var record = SampleLogRecord()
        var cut: [(ref: SeriesRef, chunk: XORChunk)] = []
        for sample in batch.known {
            apply(sample.ref, sample.t, sample.v, &result, &record, &cut)
        }
        for (sample, ref) in zip(batch.new, result.newRefs) {
            apply(ref, sample.t, sample.v, &result, &record, &cut)
        }
        totals.commits += 1
        totals.outOfOrder += result.outOfOrder
        totals.duplicateTimestamp += result.duplicateTimestamp
        totals.unknownReferences += result.unknownReferences
        if let database {
            do {
                try database.write(newSeries: created, cutChunks: cut, record: record)
            } catch {
                // Memory already holds the batch; rebuild it from what the database committed.
                totals.commitFailures += 1
                try? loadFromDisk()
                throw error
            }
            for (ref, chunk) in cut {
                series[ref]?.persistedMaxT = chunk.maxTime ?? .min
            }
            persistedChunks += cut.count
            persistedSamples += cut.reduce(0) { $0 + $1.chunk.count }
            // A checkpoint rewrites every changed head, so it is spaced by the number of series too:
            // with 50,000 series a fixed 200,000 samples would mean rewriting them all every four scrapes.
            if database.samplesSinceCheckpoint >= max(options.checkpointEverySamples, 20 * series.count) {
                try checkpoint()
            }
        } else {
            for (ref, chunk) in cut { series[ref]?.closed.append(chunk) }
        }
        totals.samplesAppended += result.appended
        return (result, record)
    }

    /// Appends one sample to its series' head and notes the outcome.
    private func apply(
        _ ref: SeriesRef, _ t: Timestamp, _ v: Double,
        _ result: inout CommitResult, _ record: inout SampleLogRecord, _ cut: inout [(ref: SeriesRef, chunk: XORChunk)]
    ) {
        guard series.contains(ref) else {
            result.unknownReferences += 1
            return
        }
        switch series[ref]!.append(t: t, v: v, chunkSize: Self.samplesPerChunk) {
        case .appended(let cutChunk):
            if let cutChunk { cut.append((ref, cutChunk)) }
            maxTime = max(maxTime, t)
            record.append(ref: ref, t: t, v: v)
            result.appended += 1
        case .outOfOrder: result.outOfOrder += 1
        case .duplicateTimestamp: result.duplicateTimestamp += 1
        case .repeated: break
        }
    }

    // MARK: - Querying

    /// One series' samples in [mint, maxt], from disk and memory, in time order.
    func readSamples(_ memSeries: MemSeries, mint: Timestamp, maxt: Timestamp, capacity: Int = 0) throws(StorageError) -> [Sample] {
        var samples: [Sample] = []
        samples.reserveCapacity(capacity)
        // Everything at or after the head's first sample is in the head: recent ranges never touch SQLite.
        let headCovers = memSeries.head.minTime.map { $0 <= mint } ?? false
        if let database, memSeries.persistedMaxT >= mint, !headCovers {
            try database.readBlocks(ref: memSeries.ref, mint: mint, maxt: maxt, firstT: memSeries.firstT, lastT: memSeries.persistedMaxT, into: &samples)
            try database.readChunks(ref: memSeries.ref, mint: mint, maxt: maxt, into: &samples)
        }
        memSeries.memorySamples(mint: mint, maxt: maxt, into: &samples)
        return samples
    }

    /// Label names of the series the matchers select that have samples in [mint, maxt].
    public func labelNames(matching matchers: [Matcher], mint: Timestamp = .min, maxt: Timestamp = .max) -> [String] {
        let unbounded = mint == .min && maxt == .max
        if matchers.isEmpty && unbounded { return postings.byName.keys.sortedByBytes() }
        var names = Set<ByteString>()
        for ref in matchers.isEmpty ? series.refs : matchingRefs(matchers) {
            guard let s = series[ref], unbounded || (s.lastT >= mint && s.firstT <= maxt) else { continue }
            for label in s.labels { names.insert(ByteString(label.name)) }
        }
        return names.sorted().map(\.string)
    }

    /// Values of label `name` among the series the matchers select that have samples in [mint, maxt].
    public func labelValues(_ name: String, matching matchers: [Matcher], mint: Timestamp = .min, maxt: Timestamp = .max) -> [String] {
        let unbounded = mint == .min && maxt == .max
        if matchers.isEmpty && unbounded { return (postings.byName[name] ?? [:]).keys.sorted().map(\.string) }
        var values = Set<ByteString>()
        for ref in matchers.isEmpty ? series.refs : matchingRefs(matchers) {
            guard let s = series[ref], unbounded || (s.lastT >= mint && s.firstT <= maxt) else { continue }
            if let value = s.labels[name] { values.insert(ByteString(value)) }
        }
        return values.sorted().map(\.string)
    }

    /// Every series' labels that the matchers select, for `/api/v1/series`.
    public func seriesLabels(matching matchers: [Matcher], mint: Timestamp = .min, maxt: Timestamp = .max) -> [Labels] {
        matchingRefs(matchers).compactMap { ref in
            guard let s = series[ref], s.lastT >= mint, s.firstT <= maxt else { return nil }
            return s.labels
        }.sorted()
    }

    func matchingRefs(_ matchers: [Matcher]) -> [SeriesRef] {
        let candidates = postings.candidates(matchers) ?? series.refs
        let residual = matchers.filter(\.matchesEmpty)
        guard !residual.isEmpty else { return candidates }
        return candidates.filter { ref in
            guard let labels = series[ref]?.labels else { return false }
            return residual.allSatisfy { $0.matches(labels) }
        }
    }

    // MARK: - Metadata and stats

    /// Records HELP/TYPE/UNIT of metrics; unchanged entries cost nothing.
    public func setMetadata(_ entries: [String: MetricMetadata]) throws(StorageError) {
        let changed = entries.filter { metadataByMetric[$0.key] != $0.value }
        guard !changed.isEmpty else { return }
        metadataByMetric.merge(changed) { $1 }
        try database?.writeMetadata(changed)
    }

    public func metadata() -> [String: MetricMetadata] { metadataByMetric }

    public func stats() -> StorageStats {
        let headSamples = series.values.reduce(0) { $0 + $1.head.count + $1.closed.reduce(0) { $0 + $1.count } }
        let memoryChunks = series.values.reduce(0) { $0 + $1.closed.count }
        return StorageStats(
            series: series.count,
            chunks: persistedChunks + memoryChunks,
            headChunks: series.values.filter { $0.head.count > 0 }.count,
            samples: persistedSamples + headSamples,
            bytesOnDisk: database?.bytesOnDisk() ?? 0,
            minTime: series.values.map(\.firstT).min().flatMap { $0 == .max ? nil : $0 },
            maxTime: maxTime == .min ? nil : maxTime
        )
    }
}
