/// Dropping old data by age and by size.
extension TimeSeriesStore {
    public struct RetentionResult: Sendable, Equatable {
        public var chunksDeleted = 0
        public var seriesDeleted = 0
    }

    /// Deletes whole chunks past the retention time or beyond the size limit, oldest first,
    /// then forgets series with nothing left.
    ///
    /// Time retention acts at checkpoint granularity: a chunk is dropped once a checkpoint taken
    /// after it was written lies entirely past the cutoff, so data is never dropped early.
    @discardableResult
    public func applyRetention() throws(StorageError) -> RetentionResult {
        var result = RetentionResult()
        guard maxTime != .min else { return result }
        let cutoff = options.retentionMillis.map { maxTime - $0 } ?? .min
        if let state = database {
            let db = state.database
            if cutoff != .min {
                // Every block row of a window before this one ended before the cutoff: drop them by id range.
                let firstKept = PersistentState.blockID(window: PersistentState.window(cutoff &- state.maxChunkSpan), series: 0)
                let count = try db.prepare("SELECT count(*), coalesce(sum(c), 0), coalesce(sum(n), 0) FROM blocks WHERE id < ?")
                count.bind(1, firstKept)
                try count.step()
                let (rows, chunks, samples) = (count.int64(0), Int(count.int64(1)), Int(count.int64(2)))
                count.reset()
                if rows > 0 {
                    try db.transaction { () throws(StorageError) in try db.execute("DELETE FROM blocks WHERE id < \(firstKept)") }
                    result.chunksDeleted += chunks
                    persistedChunks -= chunks
                    persistedSamples -= samples
                }
            }
            if cutoff != .min, let mark = try db.scalar("SELECT max(chunk_id) FROM retention_marks WHERE max_t < \(cutoff)") {
                // Every chunk up to the mark ended before the cutoff: drop them by id range.
                let count = try db.prepare("SELECT count(*), coalesce(sum(n), 0) FROM chunks WHERE id <= ?")
                count.bind(1, mark)
                try count.step()
                let (chunks, samples) = (Int(count.int64(0)), Int(count.int64(1)))
                count.reset()
                try db.transaction { () throws(StorageError) in
                    try db.execute("DELETE FROM chunks WHERE id <= \(mark)")
                    try db.execute("DELETE FROM retention_marks WHERE chunk_id <= \(mark)")
                }
                result.chunksDeleted += chunks
                persistedChunks -= chunks
                persistedSamples -= samples
            }
            if let limit = options.retentionBytes {
                // Delete a tenth of the chunks at a time, oldest first, until the pages in use fit.
                while try state.usedBytes() > limit, let oldestBlock = try db.scalar("SELECT min(id) FROM blocks") {
                    // Blocks hold the oldest data: drop the oldest window's rows first.
                    let windowEnd = PersistentState.blockID(window: (oldestBlock >> 32) + 1, series: 0)
                    let count = try db.prepare("SELECT coalesce(sum(c), 0), coalesce(sum(n), 0) FROM blocks WHERE id < ?")
                    count.bind(1, windowEnd)
                    try count.step()
                    let (chunks, samples) = (Int(count.int64(0)), Int(count.int64(1)))
                    count.reset()
                    try db.transaction { () throws(StorageError) in try db.execute("DELETE FROM blocks WHERE id < \(windowEnd)") }
                    result.chunksDeleted += chunks
                    persistedChunks -= chunks
                    persistedSamples -= samples
                    try db.execute("PRAGMA incremental_vacuum")
                }
                while try state.usedBytes() > limit, persistedChunks > 0, try db.scalar("SELECT count(*) FROM chunks") ?? 0 > 0 {
                    let batch = max(1, persistedChunks / 10)
                    let oldest = try db.prepare("SELECT count(*), coalesce(sum(n), 0), coalesce(max(id), 0) FROM (SELECT id, n FROM chunks ORDER BY id LIMIT \(batch))")
                    try oldest.step()
                    let (chunks, samples, lastID) = (Int(oldest.int64(0)), Int(oldest.int64(1)), oldest.int64(2))
                    try db.transaction { () throws(StorageError) in
                        try db.execute("DELETE FROM chunks WHERE id <= \(lastID)")
                    }
                    result.chunksDeleted += chunks
                    persistedChunks -= chunks
                    persistedSamples -= samples
                    try db.execute("PRAGMA incremental_vacuum")
                }
            }
            if result.chunksDeleted > 0 { try db.execute("PRAGMA incremental_vacuum") }
            // Mark what exists now, so the next run can drop it by id once it has aged out.
            try db.execute("INSERT OR REPLACE INTO retention_marks (chunk_id, max_t) SELECT coalesce(max(id), 0), \(maxTime) FROM chunks")
        } else if cutoff != .min {
            series.mutateAll { memSeries in
                let before = memSeries.closed.count
                memSeries.closed.removeAll { ($0.maxTime ?? .min) < cutoff }
                result.chunksDeleted += before - memSeries.closed.count
            }
        }
        if cutoff != .min { result.seriesDeleted = try forgetSeries(endedBefore: cutoff) }
        totals.chunksDeletedByRetention += result.chunksDeleted
        return result
    }

    /// Removes series whose newest sample is older than `cutoff` from memory, the index and the database.
    private func forgetSeries(endedBefore cutoff: Timestamp) throws(StorageError) -> Int {
        try forget(series.values.filter { $0.lastT < cutoff })
    }

    /// Removes these series from memory, the index and the database; returns how many there were.
    @discardableResult
    func forget(_ gone: [MemSeries]) throws(StorageError) -> Int {
        guard !gone.isEmpty else { return 0 }
        let refs = Set(gone.map(\.ref))
        if let db = database?.database {
            let deleteSeries = try db.prepare("DELETE FROM series WHERE id = ?")
            let deleteHead = try db.prepare("DELETE FROM head_chunks WHERE series_id = ?")
            let deleteChunks = try db.prepare("DELETE FROM chunks WHERE series_id = ?")
            try db.transaction { () throws(StorageError) in
                for ref in refs {
                    for statement in [deleteSeries, deleteHead, deleteChunks] {
                        statement.bind(1, ref)
                        try statement.run()
                    }
                }
                try db.execute("DELETE FROM blocks WHERE (id & 4294967295) IN (\(refs.map(String.init).joined(separator: ",")))")
            }
        }
        for memSeries in gone {
            series.remove(memSeries.ref)
            refsByLabels[memSeries.labels] = nil
        }
        postings.remove(refs, gone.map(\.labels))
        return gone.count
    }
}
