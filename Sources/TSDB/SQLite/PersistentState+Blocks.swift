/// Compacted storage: all chunks of one series whose first sample falls in one two-hour window, in one row.
///
/// Closed chunks first land in `chunks`, one row each, as they are cut. Once their window is
/// complete, compaction moves them into `blocks`, keyed by window then series, in key order, so
/// pages fill completely and the per-chunk row and index overhead (about a third of a byte per
/// sample) disappears. This is the same split as Prometheus's head and its two-hour blocks.
extension PersistentState {
    static let windowMillis: Int64 = 2 * 3_600_000

    /// The window a timestamp falls in, rounding toward negative infinity.
    static func window(_ t: Timestamp) -> Int64 {
        t >= 0 ? t / windowMillis : -((-t + windowMillis - 1) / windowMillis)
    }

    /// Window in the high bits, series in the low 32: rows of one window are adjacent, in series order.
    static func blockID(window: Int64, series: SeriesRef) -> Int64 { (window << 32) | (series & 0xFFFF_FFFF) }

    static let blockSchema = """
        CREATE TABLE IF NOT EXISTS blocks (id INTEGER PRIMARY KEY, max_t INTEGER NOT NULL, n INTEGER NOT NULL, c INTEGER NOT NULL, data BLOB NOT NULL);
        INSERT OR IGNORE INTO meta (key, value) VALUES ('max_chunk_span', 0);
        INSERT OR IGNORE INTO meta (key, value)
            SELECT 'legacy_scan_id', CASE WHEN EXISTS (SELECT 1 FROM blocks) THEN -9223372036854775807 - 1 ELSE 9223372036854775807 END;
        """

    struct CompactionResult: Equatable {
        var chunksMoved = 0
        var blocksWritten = 0
    }

    /// Moves every chunk whose first sample is before window `limit` into its block row.
    ///
    /// Rows are written as column blocks (`ColumnBlock`); `writesLegacyBlockRows` keeps the older
    /// list of Gorilla chunks, for tests of stores written before column blocks existed.
    func compact(beforeWindow limit: Int64) throws(StorageError) -> CompactionResult {
        let select = try database.prepare("SELECT series_id, min_t, max_t, n, data FROM chunks WHERE min_t < ? ORDER BY series_id, min_t")
        select.bind(1, limit * Self.windowMillis)
        struct Pending { var maxT: Timestamp; var samples: Int64; var chunks: Int64; var data: [UInt8] }
        var pending: [Int64: Pending] = [:]
        var span = maxChunkSpan
        var moved = 0
        while try select.step() {
            let series = select.int64(0), minT = select.int64(1), maxT = select.int64(2)
            let id = Self.blockID(window: Self.window(minT), series: series)
            var entry = pending[id] ?? Pending(maxT: maxT, samples: 0, chunks: 0, data: [])
            let chunk = select.blob(4)
            Varint.append(UInt64(chunk.count), to: &entry.data)
            entry.data += chunk
            entry.maxT = max(entry.maxT, maxT)
            entry.samples += select.int64(3)
            entry.chunks += 1
            pending[id] = entry
            span = max(span, maxT - minT)
            moved += 1
        }
        select.reset()
        guard moved > 0 else { return CompactionResult() }
        let existing = try database.prepare("SELECT max_t, n, c, data FROM blocks WHERE id = ?")
        let upsert = try database.prepare("INSERT OR REPLACE INTO blocks (id, max_t, n, c, data) VALUES (?, ?, ?, ?, ?)")
        try database.transaction { () throws(StorageError) in
            for id in pending.keys.sorted() {
                var entry = pending[id]!
                existing.bind(1, id)
                var earlier: [UInt8]?
                if try existing.step() {
                    // A chunk cut late, after its window was compacted: it joins the row.
                    entry.maxT = max(entry.maxT, existing.int64(0))
                    entry.samples += existing.int64(1)
                    entry.chunks += existing.int64(2)
                    earlier = existing.blob(3)
                }
                existing.reset()
                let ref = id & 0xFFFF_FFFF
                if writesLegacyBlockRows {
                    if let earlier, !ColumnBlock.isColumnar(earlier) { entry.data = earlier + entry.data }
                } else {
                    var samples: [Sample] = []
                    samples.reserveCapacity(Int(clamping: entry.samples))
                    if let earlier { try decodeRow(earlier, ref: ref, into: &samples) }
                    try decodeRow(entry.data, ref: ref, into: &samples)
                    entry.data = ColumnBlock.encode(Self.strictlyIncreasing(samples), codec: blockCodec)
                }
                upsert.bind(1, id)
                upsert.bind(2, entry.maxT)
                upsert.bind(3, entry.samples)
                upsert.bind(4, entry.chunks)
                upsert.bind(5, entry.data)
                try upsert.run()
            }
            if writesLegacyBlockRows {
                // As an older build's store would be on its first open by this one: rows to convert.
                try database.execute("UPDATE meta SET value = -9223372036854775807 - 1 WHERE key = 'legacy_scan_id'")
            }
            try database.execute("DELETE FROM chunks WHERE min_t < \(limit * Self.windowMillis)")
            try database.execute("UPDATE meta SET value = \(span) WHERE key = 'max_chunk_span'")
        }
        maxChunkSpan = span
        return CompactionResult(chunksMoved: moved, blocksWritten: pending.count)
    }

    /// Samples in time order with one sample per timestamp (the later wins), as a column block needs.
    static func strictlyIncreasing(_ samples: [Sample]) -> [Sample] {
        guard zip(samples, samples.dropFirst()).contains(where: { $0.t >= $1.t }) else { return samples }
        var byTime: [Sample] = []
        for sample in samples.enumerated().sorted(by: { ($0.element.t, $0.offset) < ($1.element.t, $1.offset) }).map(\.element) {
            if let last = byTime.last, last.t == sample.t { byTime[byTime.count - 1] = sample } else { byTime.append(sample) }
        }
        return byTime
    }

    /// Re-encodes up to `limit` block rows still in the older format as column blocks; returns how many.
    ///
    /// Stores written before column blocks stay readable as they are; maintenance converts them a
    /// batch at a time, each batch one transaction, so a kill loses no row. `meta.legacy_scan_id` is
    /// the last row checked, `Int64.max` once none are left.
    func reencodeLegacyBlocks(limit: Int) throws(StorageError) -> Int {
        guard !writesLegacyBlockRows else { return 0 }
        let after = try database.scalar("SELECT value FROM meta WHERE key = 'legacy_scan_id'") ?? .max
        guard after != .max else { return 0 }
        let select = try database.prepare("SELECT id, data FROM blocks WHERE id > ? AND substr(data, 1, 1) <> x'00' ORDER BY id LIMIT ?")
        select.bind(1, after)
        select.bind(2, Int64(limit))
        var rows: [(id: Int64, data: [UInt8])] = []
        while try select.step() { rows.append((select.int64(0), select.blob(1))) }
        select.reset()
        let update = try database.prepare("UPDATE blocks SET data = ? WHERE id = ?")
        try database.transaction { () throws(StorageError) in
            for row in rows {
                var samples: [Sample] = []
                try decodeRow(row.data, ref: row.id & 0xFFFF_FFFF, into: &samples)
                guard !samples.isEmpty else { continue }
                update.bind(1, ColumnBlock.encode(Self.strictlyIncreasing(samples), codec: blockCodec))
                update.bind(2, row.id)
                try update.run()
            }
            let next = rows.count < limit ? Int64.max : rows.last!.id
            try database.execute("UPDATE meta SET value = \(next) WHERE key = 'legacy_scan_id'")
        }
        return rows.count
    }

    /// Decodes a whole block row of either format into `samples`.
    func decodeRow(_ data: [UInt8], ref: SeriesRef, mint: Timestamp = .min, maxt: Timestamp = .max,
                   into samples: inout [Sample]) throws(StorageError) {
        if ColumnBlock.isColumnar(data) {
            do { try ColumnBlock.decode(data, mint: mint, maxt: maxt, codec: blockCodec, into: &samples) } catch {
                throw StorageError(code: 0, message: "corrupt block of series \(ref): \(error)")
            }
            return
        }
        var offset = 0
        while offset < data.count {
            guard let length = Varint.read(data, &offset), length <= UInt64(data.count - offset) else {
                throw StorageError(code: 0, message: "corrupt block of series \(ref) at byte \(offset)")
            }
            do {
                try XORChunk.appendSamples(from: Array(data[offset..<offset + Int(length)]), mint: mint, maxt: maxt, into: &samples)
            } catch {
                throw StorageError(code: 0, message: "corrupt chunk in a block of series \(ref): \(error)")
            }
            offset += Int(length)
        }
    }

    /// Appends the samples in [mint, maxt] that the series' block rows hold, for series data spanning [firstT, lastT].
    func readBlocks(ref: SeriesRef, mint: Timestamp, maxt: Timestamp, firstT: Timestamp, lastT: Timestamp,
                    into samples: inout [Sample]) throws(StorageError) {
        guard maxChunkSpan >= 0, firstT <= lastT else { return }
        let from = Self.window(max(mint == .min ? firstT : mint &- maxChunkSpan, firstT))
        let to = Self.window(min(maxt, lastT))
        guard from <= to else { return }
        for window in from...to {
            selectBlock.bind(1, Self.blockID(window: window, series: ref))
            defer { selectBlock.reset() }
            guard try selectBlock.step() else { continue }
            guard selectBlock.int64(1) >= mint else { continue }
            try decodeRow(selectBlock.blob(0), ref: ref, mint: mint, maxt: maxt, into: &samples)
        }
    }
}
