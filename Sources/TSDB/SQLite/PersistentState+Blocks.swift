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
        """

    struct CompactionResult: Equatable {
        var chunksMoved = 0
        var blocksWritten = 0
    }

    /// Moves every chunk whose first sample is before window `limit` into its block row.
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
                if try existing.step() {
                    // A chunk cut late, after its window was compacted: append it to the row.
                    entry.maxT = max(entry.maxT, existing.int64(0))
                    entry.samples += existing.int64(1)
                    entry.chunks += existing.int64(2)
                    entry.data = existing.blob(3) + entry.data
                }
                existing.reset()
                upsert.bind(1, id)
                upsert.bind(2, entry.maxT)
                upsert.bind(3, entry.samples)
                upsert.bind(4, entry.chunks)
                upsert.bind(5, entry.data)
                try upsert.run()
            }
            try database.execute("DELETE FROM chunks WHERE min_t < \(limit * Self.windowMillis)")
            try database.execute("UPDATE meta SET value = \(span) WHERE key = 'max_chunk_span'")
        }
        maxChunkSpan = span
        return CompactionResult(chunksMoved: moved, blocksWritten: pending.count)
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
            let data = selectBlock.blob(0)
            var offset = 0
            while offset < data.count {
                guard let length = Varint.read(data, &offset), offset + Int(length) <= data.count else {
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
    }

    /// Decodes the length-prefixed chunks of one block row.
    static func forEachChunk(in data: [UInt8], ref: SeriesRef, _ body: (XORChunk) throws(StorageError) -> Void) throws(StorageError) {
        var offset = 0
        while offset < data.count {
            guard let length = Varint.read(data, &offset), offset + Int(length) <= data.count else {
                throw StorageError(code: 0, message: "corrupt block of series \(ref) at byte \(offset)")
            }
            let chunk: XORChunk
            do { chunk = try XORChunk(bytes: Array(data[offset..<offset + Int(length)])) } catch {
                throw StorageError(code: 0, message: "corrupt chunk in a block of series \(ref): \(error)")
            }
            try body(chunk)
            offset += Int(length)
        }
    }
}
