import Foundation
import TSDB

/// What a scrape loop remembers about each series between scrapes.
///
/// Keyed by the series exactly as the target wrote it, so a known series costs one hash lookup
/// over bytes already in the body, and labels are built only the first time a series appears.
struct ScrapeCache {
    struct Entry {
        /// Nil until the commit that created the series returns its reference.
        var ref: SeriesRef?
        /// Final labels after target labels and metric relabeling; nil when relabeling dropped the series.
        var labels: Labels?
        /// The scrape iteration that last reported the series.
        var lastSeen: UInt64
        /// The target gave its own timestamp: such series get no staleness markers.
        var explicitTimestamp: Bool
    }

    var entries: [SeriesKey: Entry] = [:]
    /// Incremented at the start of every scrape.
    var iteration: UInt64 = 0
    /// The last iteration whose samples were stored.
    var lastStoredIteration: UInt64 = 0
    /// References of the synthetic series (`up`, `scrape_duration_seconds`, …), by name.
    var synthetic: [String: SeriesRef] = [:]

    /// Series stored by the last successful scrape but absent from `iteration`, which now get staleness markers.
    mutating func takeVanished() -> [SeriesRef] {
        guard lastStoredIteration != 0, lastStoredIteration != iteration else { return [] }
        var vanishedKeys: [SeriesKey] = []
        var vanished: [SeriesRef] = []
        for (key, entry) in entries where entry.lastSeen == lastStoredIteration {
            vanishedKeys.append(key)
            if let ref = entry.ref, entry.labels != nil, !entry.explicitTimestamp { vanished.append(ref) }
        }
        // Mutating after the loop: changing the dictionary while iterating it would copy it whole.
        for key in vanishedKeys { entries[key]?.lastSeen = 0 }
        return vanished
    }

    /// Forgets every cached series reference, for when the store reports references it does not know:
    /// the next scrape adds the series by labels again and gets fresh references.
    mutating func forgetReferences() {
        entries.removeAll(keepingCapacity: true)
        synthetic.removeAll()
    }

    /// Forgets series not seen for `iterations` scrapes, so a target that churns series cannot grow the cache
    /// forever. It runs every `iterations` scrapes, not every scrape: a full pass costs as much as a scrape.
    mutating func evict(olderThan iterations: UInt64) {
        guard iteration > iterations, iteration % iterations == 0 else { return }
        let horizon = iteration - iterations
        let stale = entries.compactMap { $0.value.lastSeen < horizon ? $0.key : nil }
        for key in stale { entries[key] = nil }
    }
}

/// A series as written in a scrape body, hashed in one call over its bytes.
///
/// `ArraySlice<UInt8>`'s own hashing feeds the hasher byte by byte, which halves scrape throughput.
struct SeriesKey: Hashable {
    let bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    /// A copy that owns its bytes, so the cache does not keep a whole scrape body alive.
    var owned: SeriesKey { SeriesKey(ArraySlice(Array(bytes))) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        lhs.bytes.count == rhs.bytes.count && lhs.bytes.withUnsafeBytes { a in
            rhs.bytes.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }
}
