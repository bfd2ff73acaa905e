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

extension Labels: Comparable {
    /// Orders series as Prometheus sorts them: pair by pair, name then value.
    public static func < (lhs: Labels, rhs: Labels) -> Bool {
        for (a, b) in zip(lhs.pairs, rhs.pairs) where a != b {
            return a < b
        }
        return lhs.count < rhs.count
    }
}
