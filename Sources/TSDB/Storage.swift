import Synchronization

/// Identifies a series inside one store; stable for the life of the database file.
public typealias SeriesRef = Int64

/// The samples of one scrape or one rule evaluation, committed together or not at all.
///
/// Samples of series the caller has seen before go by reference; new series go by labels and
/// come back with references in `CommitResult.newRefs`, which the caller caches.
public struct AppendBatch: Sendable {
    public struct KnownSample: Sendable {
        public var ref: SeriesRef
        public var t: Timestamp
        public var v: Double
    }

    public struct NewSample: Sendable {
        public var labels: Labels
        public var t: Timestamp
        public var v: Double
    }

    public private(set) var known: [KnownSample] = []
    public private(set) var new: [NewSample] = []

    public init() {}

    public mutating func append(ref: SeriesRef, t: Timestamp, v: Double) {
        known.append(KnownSample(ref: ref, t: t, v: v))
    }

    public mutating func append(labels: Labels, t: Timestamp, v: Double) {
        new.append(NewSample(labels: labels, t: t, v: v))
    }

    public mutating func reserveCapacity(_ count: Int) { known.reserveCapacity(count) }

    public var count: Int { known.count + new.count }
    public var isEmpty: Bool { known.isEmpty && new.isEmpty }
}

/// What a commit did with each sample.
public struct CommitResult: Sendable, Equatable {
    /// References of `AppendBatch.new`, in the same order.
    public var newRefs: [SeriesRef] = []
    public var appended = 0
    /// Series the commit created in the store (a "new" sample may belong to a series the store already had).
    public var seriesCreated = 0
    /// Samples older than their series' newest sample.
    public var outOfOrder = 0
    /// Samples at their series' newest timestamp with a different value.
    public var duplicateTimestamp = 0
    /// Samples whose series reference the store does not know; they are not stored.
    public var unknownReferences = 0

    public init() {}
}

/// Writes samples: one call, one transaction; and the metadata that describes them.
public protocol Appender: Sendable {
    func commit(_ batch: AppendBatch) async throws(StorageError) -> CommitResult
    /// Records HELP/TYPE/UNIT of metrics as a scrape reported them.
    func setMetadata(_ entries: [String: MetricMetadata]) async throws(StorageError)
}

/// Reads series by label matchers over a closed time range [mint, maxt] in milliseconds.
public protocol Querier: Sendable {
    /// Matching series sorted by labels, each with its samples in the range; series without samples there are left out.
    func select(_ matchers: [Matcher], mint: Timestamp, maxt: Timestamp) async throws(StorageError) -> [Series]
    /// `select(_:mint:maxt:)` within a query's limits: it stops reading once the samples exceed `hints.maxSamples`
    /// or the deadline passes, instead of loading everything first.
    func select(_ matchers: [Matcher], mint: Timestamp, maxt: Timestamp, hints: SelectHints) async throws(StorageError) -> [Series]
    /// Label names of the series the matchers select (all series when there are none) with samples in [mint, maxt], sorted.
    func labelNames(matching matchers: [Matcher], mint: Timestamp, maxt: Timestamp) async throws(StorageError) -> [String]
    /// Values of one label over the series the matchers select with samples in [mint, maxt], sorted.
    func labelValues(_ name: String, matching matchers: [Matcher], mint: Timestamp, maxt: Timestamp) async throws(StorageError) -> [String]
}

/// HELP, TYPE and UNIT of a metric, as scraped.
public struct MetricMetadata: Sendable, Hashable, Codable {
    public var type: String
    public var help: String
    public var unit: String

    public init(type: String, help: String, unit: String) {
        self.type = type
        self.help = help
        self.unit = unit
    }
}

/// Sizes of the store, for `/api/v1/status/tsdb` and Vigil's own metrics.
public struct StorageStats: Sendable, Equatable {
    public var series: Int
    public var chunks: Int
    public var headChunks: Int
    public var samples: Int
    public var bytesOnDisk: Int64
    public var minTime: Timestamp?
    public var maxTime: Timestamp?
}

/// What a query's read may cost, and what it does not need.
public struct SelectHints: Sendable {
    /// The read fails with `StorageError.Interruption.tooManySamples` once it holds more samples than this.
    public var maxSamples: Int
    /// The read fails with `.timeout` once this passes.
    public var deadline: ContinuousClock.Instant?
    /// Staleness markers are left out (range selectors never see them); they do not count against `maxSamples`.
    public var dropsStaleMarkers: Bool
    /// Set from another task (the query's cancellation handler) to stop the read.
    public var cancellation: ReadCancellation?

    public init(maxSamples: Int = .max, deadline: ContinuousClock.Instant? = nil, dropsStaleMarkers: Bool = false,
                cancellation: ReadCancellation? = nil) {
        self.maxSamples = maxSamples
        self.deadline = deadline
        self.dropsStaleMarkers = dropsStaleMarkers
        self.cancellation = cancellation
    }

    /// Throws when the deadline has passed or the read was cancelled.
    @inline(__always)
    func checkInterruption() throws(StorageError) {
        if let cancellation, cancellation.isCancelled { throw StorageError(interruption: .canceled) }
        if let deadline, ContinuousClock.now >= deadline { throw StorageError(interruption: .timeout) }
    }
}

/// A flag that a query's cancellation handler sets and the threads doing its work poll.
public final class ReadCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
    public func cancel() { flag.store(true, ordering: .relaxed) }
}

extension Querier {
    /// Reads everything, then applies the hints: for queriers without a streaming read.
    public func select(_ matchers: [Matcher], mint: Timestamp, maxt: Timestamp, hints: SelectHints) async throws(StorageError) -> [Series] {
        var series = try await select(matchers, mint: mint, maxt: maxt)
        if hints.dropsStaleMarkers {
            series = series.compactMap { entry in
                var entry = entry
                entry.samples.removeAll { StaleNaN.isStale($0.v) }
                return entry.samples.isEmpty ? nil : entry
            }
        }
        var count = 0
        for entry in series { count += entry.samples.count }
        if count > hints.maxSamples { throw StorageError(interruption: .tooManySamples) }
        try hints.checkInterruption()
        return series
    }
}
