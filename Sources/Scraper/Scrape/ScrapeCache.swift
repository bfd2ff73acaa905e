import Foundation
import TSDB

/// What a scrape loop remembers about each series between scrapes.
///
/// Keyed by the series exactly as the target wrote it (metric name and label set, as bytes), so a
/// known series costs one hash over bytes already in the body and one probe; labels are built only
/// the first time a series appears. The table is hand-made rather than a `Dictionary` of byte
/// slices: keys live in one byte arena (no allocation or reference count per series), each slot
/// keeps the full hash so a probe compares bytes only on a likely match, and entries are plain
/// values in one array, so the scrape path touches no reference counts at all.
struct ScrapeCache {
    /// One cached series. `ref` is 0 until the commit that created the series returns its reference.
    struct Entry {
        var ref: SeriesRef
        /// The scrape iteration that last reported the series.
        var lastSeen: UInt64
        /// Where the series' bytes are in `keyBytes`.
        var keyStart: Int
        var keyCount: Int
        var hash: UInt64
        /// Relabeling dropped the series: its samples are skipped.
        var dropped: Bool
        /// The target gave its own timestamp: such series get no staleness markers.
        var explicitTimestamp: Bool
    }

    private(set) var entries: [Entry] = []
    /// Final labels after target labels and metric relabeling, by entry; nil when relabeling dropped the series.
    private(set) var labels: [Labels?] = []
    private var keyBytes: [UInt8] = []
    /// Open addressing, linear probing: entry index + 1 (0 is empty), with the entry's hash beside it.
    private var slots: [Slot] = []
    private var hashSeed = UInt64.random(in: .min ... .max)

    private struct Slot {
        var hash: UInt64
        var entryPlusOne: Int32
    }

    /// Incremented at the start of every scrape.
    var iteration: UInt64 = 0
    /// The last iteration whose samples were stored.
    var lastStoredIteration: UInt64 = 0
    /// References of the synthetic series (`up`, `scrape_duration_seconds`, …), by name.
    var synthetic: [String: SeriesRef] = [:]

    var count: Int { entries.count }

    /// The entry index of `key`, marking it seen in this iteration; nil for a series not cached.
    mutating func lookUp(_ key: UnsafeRawBufferPointer) -> Int? {
        guard !slots.isEmpty else { return nil }
        let hash = Self.hash(key, seed: hashSeed)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            keyBytes.withUnsafeBytes { arena -> Int? in
                while true {
                    let candidate = slots[slot]
                    if candidate.entryPlusOne == 0 { return nil }
                    if candidate.hash == hash {
                        let index = Int(candidate.entryPlusOne) - 1
                        let entry = entries[index]
                        if entry.keyCount == key.count
                            && (key.count == 0 || memcmp(arena.baseAddress! + entry.keyStart, key.baseAddress!, key.count) == 0)
                        {
                            return index
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }.map { index in
            entries[index].lastSeen = iteration
            return index
        }
    }

    /// Caches a series not cached yet, seen in this iteration, and returns its entry index.
    mutating func insert(_ key: UnsafeRawBufferPointer, labels: Labels?, explicitTimestamp: Bool) -> Int {
        if (entries.count + 1) * 2 > slots.count { grow() }
        let hash = Self.hash(key, seed: hashSeed)
        let index = entries.count
        entries.append(Entry(ref: 0, lastSeen: iteration, keyStart: keyBytes.count, keyCount: key.count, hash: hash,
                             dropped: labels == nil, explicitTimestamp: explicitTimestamp))
        self.labels.append(labels)
        keyBytes.append(contentsOf: key)
        place(hash: hash, entry: index)
        return index
    }

    /// Records the store's reference for a series the last commit created.
    mutating func setReference(_ ref: SeriesRef, ofEntry index: Int) {
        guard index < entries.count else { return }
        entries[index].ref = ref
    }

    /// Series stored by the last successful scrape but absent from `iteration`, which now get staleness markers.
    mutating func takeVanished() -> [SeriesRef] {
        guard lastStoredIteration != 0, lastStoredIteration != iteration else { return [] }
        var vanished: [SeriesRef] = []
        let last = lastStoredIteration
        entries.withUnsafeMutableBufferPointer { entries in
            for index in entries.indices where entries[index].lastSeen == last {
                entries[index].lastSeen = 0
                let entry = entries[index]
                if entry.ref != 0, !entry.dropped, !entry.explicitTimestamp { vanished.append(entry.ref) }
            }
        }
        return vanished
    }

    /// References of every series the last stored scrape reported, for staleness markers when the target goes away.
    func lastStoredReferences() -> [SeriesRef] {
        entries.compactMap { entry in
            entry.lastSeen == lastStoredIteration && !entry.dropped && !entry.explicitTimestamp && entry.ref != 0 ? entry.ref : nil
        }
    }

    /// Forgets every cached series reference, for when the store reports references it does not know:
    /// the next scrape adds the series by labels again and gets fresh references.
    mutating func forgetReferences() {
        entries.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
        keyBytes.removeAll(keepingCapacity: true)
        slots = []
        synthetic.removeAll()
    }

    /// Forgets series not seen for `iterations` scrapes, so a target that churns series cannot grow the cache
    /// forever. It runs every `iterations` scrapes, not every scrape: a full pass costs as much as a scrape.
    ///
    /// Entry indices change, so it must not run between a parse and the commit that hands out references.
    mutating func evict(olderThan iterations: UInt64) {
        guard iteration > iterations, iteration % iterations == 0 else { return }
        let horizon = iteration - iterations
        guard entries.contains(where: { $0.lastSeen < horizon }) else { return }
        var keptEntries: [Entry] = []
        var keptLabels: [Labels?] = []
        var keptBytes: [UInt8] = []
        keptEntries.reserveCapacity(entries.count)
        keptLabels.reserveCapacity(entries.count)
        keptBytes.reserveCapacity(keyBytes.count)
        for (index, entry) in entries.enumerated() where entry.lastSeen >= horizon {
            var moved = entry
            moved.keyStart = keptBytes.count
            keptBytes.append(contentsOf: keyBytes[entry.keyStart..<entry.keyStart + entry.keyCount])
            keptEntries.append(moved)
            keptLabels.append(labels[index])
        }
        entries = keptEntries
        labels = keptLabels
        keyBytes = keptBytes
        rebuildSlots(capacity: Self.slotCount(for: entries.count))
    }

    // MARK: - Table

    private static func slotCount(for entries: Int) -> Int {
        var count = 16
        while count < entries * 2 { count <<= 1 }
        return count
    }

    private mutating func grow() {
        rebuildSlots(capacity: max(16, slots.count * 2))
    }

    private mutating func rebuildSlots(capacity: Int) {
        slots = Array(repeating: Slot(hash: 0, entryPlusOne: 0), count: capacity)
        for index in entries.indices { place(hash: entries[index].hash, entry: index) }
    }

    private mutating func place(hash: UInt64, entry: Int) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot].entryPlusOne != 0 { slot = (slot + 1) & mask }
        slots[slot] = Slot(hash: hash, entryPlusOne: Int32(truncatingIfNeeded: entry + 1))
    }

    /// A seeded multiply-xorshift hash over 8-byte words; the random seed keeps a target from
    /// choosing series that collide.
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = seed ^ (UInt64(truncatingIfNeeded: bytes.count) &* multiplier)
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            h = mix(h ^ word) &* multiplier
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count {
                tail |= UInt64(bytes[offset]) << shift
                shift += 8
                offset += 1
            }
            h = mix(h ^ tail) &* multiplier
        }
        return mix(h)
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 32
        x &*= 0xD6E8_FEB8_6659_FD93
        x ^= x >> 32
        return x
    }
}
