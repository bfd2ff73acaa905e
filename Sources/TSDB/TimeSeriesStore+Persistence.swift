/// Rebuilding the head on open, checkpoints and closing.
extension TimeSeriesStore {
    /// Rebuilds the in-memory state from the database: series, head snapshots, then the log after the snapshot.
    func loadFromDisk() throws(StorageError) {
        guard let state = database else { return }
        let db = state.database
        series.removeAll()
        refsByLabels = [:]
        postings = Postings()
        metadataByMetric = [:]
        maxTime = .min

        let seriesRows = try db.prepare("SELECT id, labels FROM series ORDER BY id")
        var highest: SeriesRef = 0
        while try seriesRows.step() {
            let ref = seriesRows.int64(0)
            guard let labels = Labels(key: seriesRows.blob(1)) else {
                throw StorageError(code: 0, message: "series \(ref) has a corrupt label key")
            }
            series.insert(MemSeries(ref: ref, labels: labels))
            refsByLabels[labels] = ref
            postings.add(ref, labels)
            highest = max(highest, ref)
        }
        nextRef = highest + 1

        persistedChunks = 0
        persistedSamples = 0
        // Block rows give each series' first window (a lower bound of its first sample); chunk rows give exact bounds.
        let window = PersistentState.windowMillis
        for sql in ["SELECT id & 4294967295, min(id >> 32) * \(window), max(max_t), sum(c), sum(n) FROM blocks GROUP BY id & 4294967295",
                    "SELECT series_id, min(min_t), max(max_t), count(*), sum(n) FROM chunks GROUP BY series_id"] {
            let bounds = try db.prepare(sql)
            while try bounds.step() {
                let ref = bounds.int64(0)
                persistedChunks += Int(bounds.int64(3))
                persistedSamples += Int(bounds.int64(4))
                guard series[ref] != nil else { continue }
                let maxT = bounds.int64(2)
                series[ref]!.firstT = min(series[ref]!.firstT, bounds.int64(1))
                series[ref]!.lastT = max(series[ref]!.lastT, maxT)
                series[ref]!.persistedMaxT = max(series[ref]!.persistedMaxT, maxT)
                maxTime = max(maxTime, maxT)
            }
        }
        var restoredHeads = Set<SeriesRef>()
        let heads = try db.prepare("SELECT series_id, data FROM head_chunks")
        while try heads.step() {
            let ref = heads.int64(0)
            guard let memSeries = series[ref] else { continue }
            let chunk: XORChunk
            do { chunk = try XORChunk(bytes: heads.blob(1)) } catch {
                throw StorageError(code: 0, message: "corrupt head chunk of series \(ref): \(error)")
            }
            // A snapshot taken before its chunk was cut and persisted is stale: its samples are on disk.
            guard let minT = chunk.minTime, let maxT = chunk.maxTime, minT > memSeries.persistedMaxT else { continue }
            series[ref]!.restoreHead(chunk)
            if series[ref]!.firstT == .max { series[ref]!.firstT = minT }
            series[ref]!.lastT = maxT
            series[ref]!.lastValueBits = chunk.lastValue?.bitPattern ?? 0
            restoredHeads.insert(ref)
            maxTime = max(maxTime, maxT)
        }
        // After the heads: a restored head holds the series' newest value, so only the others read a row.
        try restoreLastValues(except: restoredHeads)

        let checkpointSequence = try db.scalar("SELECT value FROM meta WHERE key = 'checkpoint_seq'") ?? 0
        let log = try db.prepare("SELECT seq, data FROM head_log WHERE seq > ? ORDER BY seq")
        log.bind(1, checkpointSequence)
        var cut: [(ref: SeriesRef, chunk: XORChunk)] = []
        var replayed = 0
        while try log.step() {
            guard let samples = SampleLogRecord.decode(log.blob(1)) else {
                throw StorageError(code: 0, message: "head log record \(log.int64(0)) is corrupt")
            }
            for sample in samples where series[sample.ref] != nil {
                // Samples already in a persisted chunk or the snapshot come back as out-of-order and are skipped.
                if case .appended(let cutChunk) = series[sample.ref]!.append(t: sample.t, v: sample.v, chunkSize: Self.samplesPerChunk) {
                    if let cutChunk { cut.append((sample.ref, cutChunk)) }
                    maxTime = max(maxTime, sample.t)
                    replayed += 1
                }
            }
        }
        if state.readOnly {
            // Nothing may be written: chunks the replay cut stay in memory, as in a store without a file.
            for (ref, chunk) in cut { series[ref]?.closed.append(chunk) }
        } else if !cut.isEmpty {
            try db.transaction { () throws(StorageError) in try state.writeChunks(cut) }
            for (ref, chunk) in cut { series[ref]?.persistedMaxT = chunk.maxTime ?? .min }
            persistedChunks += cut.count
            persistedSamples += cut.reduce(0) { $0 + $1.chunk.count }
        }
        if !state.readOnly, replayed > 0 || !cut.isEmpty { try checkpoint() }

        let metadataRows = try db.prepare("SELECT metric, type, help, unit FROM metadata")
        while try metadataRows.step() {
            metadataByMetric[metadataRows.string(0)] = MetricMetadata(type: metadataRows.string(1), help: metadataRows.string(2), unit: metadataRows.string(3))
        }
    }

    /// Reads each series' newest persisted value, so a repeated sample at the same timestamp is recognised after a restart.
    private func restoreLastValues(except restoredHeads: Set<SeriesRef>) throws(StorageError) {
        guard let state = database else { return }
        let db = state.database
        // A series' newest chunk row is newer than any of its block rows, so it is read first, and the
        // block row (which must be decoded whole) only for series without one: at open, after a clean
        // close, that decode was a tenth of the start-up time. Series whose head was restored skip both.
        var restored = restoredHeads
        let newest = try db.prepare("SELECT series_id, data FROM chunks WHERE (series_id, min_t) IN (SELECT series_id, max(min_t) FROM chunks GROUP BY series_id)")
        while try newest.step() {
            let ref = newest.int64(0)
            guard series[ref] != nil, !restored.contains(ref), let chunk = try? XORChunk(bytes: newest.blob(1)) else { continue }
            series[ref]!.lastValueBits = chunk.lastValue?.bitPattern ?? 0
            restored.insert(ref)
        }
        let newestBlocks = try db.prepare("SELECT id & 4294967295, data FROM blocks WHERE id IN (SELECT max(id) FROM blocks GROUP BY id & 4294967295)")
        while try newestBlocks.step() {
            let ref = newestBlocks.int64(0)
            guard series[ref] != nil, !restored.contains(ref) else { continue }
            var samples: [Sample] = []
            try state.decodeRow(newestBlocks.blob(1), ref: ref, into: &samples)
            if let last = samples.last?.v { series[ref]!.lastValueBits = last.bitPattern }
        }
    }

    /// Writes every changed head to the snapshot table and truncates the log.
    public func checkpoint() throws(StorageError) {
        guard let database, !database.readOnly else { return }
        var heads: [(ref: SeriesRef, chunk: XORChunk)] = []
        series.mutateAll { memSeries in
            guard memSeries.headDirty else { return }
            heads.append((memSeries.ref, memSeries.head))
        }
        let logCutoff = options.retentionMillis.map { maxTime == .min ? .min : maxTime &- $0 } ?? .min
        try database.checkpoint(heads: heads, maxTime: maxTime, logCutoff: logCutoff)
        // Only a checkpoint that was written may clear the flags: after a failed one, the next must
        // write these heads again before the head log that covers them can be dropped.
        let written = Set(heads.map(\.ref))
        series.mutateAll { memSeries in
            if written.contains(memSeries.ref) { memSeries.headDirty = false }
        }
    }

    /// Moves closed chunks of complete two-hour windows into block rows; returns how many moved.
    ///
    /// The window holding the newest sample and the one before it stay in the chunk table, so
    /// chunks still being cut rarely land in an already compacted window.
    /// `keepingWindows` is how many recent windows stay; closing keeps only the newest.
    @discardableResult
    public func compact(keepingWindows: Int64 = 2) throws(StorageError) -> Int {
        guard let database, !database.readOnly, maxTime != .min else { return 0 }
        return try database.compact(beforeWindow: PersistentState.window(maxTime) - keepingWindows + 1).chunksMoved
    }

    /// Re-encodes up to `limit` block rows written before column blocks; returns how many (0 once none are left).
    @discardableResult
    public func reencodeLegacyBlocks(limit: Int = 2_000) throws(StorageError) -> Int {
        try database?.reencodeLegacyBlocks(limit: limit) ?? 0
    }

    /// Compacts (unless told not to), checkpoints and closes the database; the store must not be used afterwards.
    ///
    /// Closing compacts every closed chunk, the newest window's too: a chunk cut after a restart
    /// joins its window's row, and a stopped store keeps nothing in the larger chunk format but its heads.
    /// `compacting: false` leaves closed chunks in the chunk table, as a process killed before its
    /// maintenance would; fault tests build such stores.
    public func close(compacting: Bool = true) throws(StorageError) {
        if database?.readOnly == true {
            database?.database.close()
            database = nil
            return
        }
        // Compaction is optional at shutdown: chunks it could not move (a full disk) stay in the chunk table
        // and the next start compacts them. The checkpoint is what a clean close must not lose.
        if compacting { _ = try? compact(keepingWindows: 0) }
        // The handles are closed even when the checkpoint fails: the head log it would have truncated is
        // still in the file, and the next open replays it.
        defer {
            database?.database.close()
            database = nil
            readers?.close()
        }
        try checkpoint()
        // Hand the pages the emptied log occupied back to the file system.
        try? database?.database.execute("PRAGMA incremental_vacuum")
        try? database?.database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Runs raw SQL on the store's database, for tests that inject failures.
    func executeForTesting(_ sql: String) throws(StorageError) {
        try database?.database.execute(sql)
    }
}
