import Foundation

/// The SQLite side of the store: schema, prepared statements and the writes of one commit.
///
/// Layout: `series` maps references to label keys; `chunks` holds closed Gorilla chunks in the
/// order they were cut, found through an index on (series, min time); `head_log` holds each commit's samples until a checkpoint copies the open
/// heads into `head_chunks`; `metadata` keeps HELP/TYPE/UNIT.
final class PersistentState {
    let database: SQLiteDatabase
    let path: String
    private let insertSeries: SQLiteStatement
    private let insertChunk: SQLiteStatement
    private let insertLog: SQLiteStatement
    private let selectChunks: SQLiteStatement
    let selectBlock: SQLiteStatement
    /// The longest time any compacted chunk spans; block reads look back this far before a range.
    var maxChunkSpan: Int64 = 0
    private(set) var samplesSinceCheckpoint = 0
    private(set) var lastLogSequence: Int64 = 0

    static let schemaVersion: Int64 = 3

    /// Opens the store's file; `readOnly` opens a query connection to a file the writer has already set up.
    init(path: String, readOnly: Bool = false) throws(StorageError) {
        self.path = path
        if readOnly {
            database = try SQLiteDatabase(path: path, readOnly: true)
            // Statements that write are prepared too (SQLite refuses them when run): one set of read code for both kinds.
            insertSeries = try database.prepare("INSERT INTO series (id, labels) VALUES (?, ?)")
            insertChunk = try database.prepare("INSERT OR REPLACE INTO chunks (series_id, min_t, max_t, n, data) VALUES (?, ?, ?, ?, ?)")
            insertLog = try database.prepare("INSERT INTO head_log (data, max_t) VALUES (?, ?)")
            selectChunks = try database.prepare("SELECT data FROM chunks WHERE series_id = ? AND max_t >= ? AND min_t <= ? ORDER BY min_t")
            selectBlock = try database.prepare("SELECT data, max_t FROM blocks WHERE id = ?")
            return
        }
        if let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path.nilIfEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        database = try SQLiteDatabase(path: path)
        // page_size and auto_vacuum only take effect before the first table exists. 16 KiB pages hold
        // about 27 block rows each, so the space left over at the end of a page is a few percent
        // (at 4 KiB it was 7 %, enough to lose to Prometheus's blocks). WAL lets readers and the writer overlap.
        try database.execute("PRAGMA page_size = 16384")
        try database.execute("PRAGMA auto_vacuum = INCREMENTAL")
        try database.execute("PRAGMA journal_mode = WAL")
        // NORMAL in WAL mode: a committed transaction survives the process being killed (not a power cut).
        try database.execute("PRAGMA synchronous = NORMAL")
        try database.execute("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, labels BLOB NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS chunks (
                id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, min_t INTEGER NOT NULL, max_t INTEGER NOT NULL,
                n INTEGER NOT NULL, data BLOB NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS chunks_by_series ON chunks (series_id, min_t);
            CREATE TABLE IF NOT EXISTS retention_marks (chunk_id INTEGER PRIMARY KEY, max_t INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS head_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS head_chunks (series_id INTEGER PRIMARY KEY, data BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS metadata (metric TEXT PRIMARY KEY, type TEXT NOT NULL, help TEXT NOT NULL, unit TEXT NOT NULL) WITHOUT ROWID;
            INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', \(Self.schemaVersion)), ('checkpoint_seq', 0);
            """ + Self.blockSchema + "; " + Self.positionsSchema)
        // Added for remote write: each record's newest timestamp, so a log held for a lagging remote is
        // still trimmed by retention. Older files get the column here; their records read as 0 (oldest).
        if try database.scalar("SELECT count(*) FROM pragma_table_info('head_log') WHERE name = 'max_t'") == 0 {
            try database.execute("ALTER TABLE head_log ADD COLUMN max_t INTEGER NOT NULL DEFAULT 0")
        }
        let version = try database.scalar("SELECT value FROM meta WHERE key = 'schema_version'")
        guard version == Self.schemaVersion else {
            throw StorageError(code: 0, message: "\(path) has schema version \(version ?? -1); this build reads version \(Self.schemaVersion)")
        }
        insertSeries = try database.prepare("INSERT INTO series (id, labels) VALUES (?, ?)")
        // Rows are appended in cut order, which keeps pages full; a clustered (series, time) key would
        // insert into the middle of the tree and leave pages half empty.
        insertChunk = try database.prepare("INSERT OR REPLACE INTO chunks (series_id, min_t, max_t, n, data) VALUES (?, ?, ?, ?, ?)")
        insertLog = try database.prepare("INSERT INTO head_log (data, max_t) VALUES (?, ?)")
        selectChunks = try database.prepare("SELECT data FROM chunks WHERE series_id = ? AND max_t >= ? AND min_t <= ? ORDER BY min_t")
        selectBlock = try database.prepare("SELECT data, max_t FROM blocks WHERE id = ?")
        maxChunkSpan = try database.scalar("SELECT value FROM meta WHERE key = 'max_chunk_span'") ?? 0
        // AUTOINCREMENT: sequence numbers never repeat, even after the log is emptied by a checkpoint.
        lastLogSequence = try database.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'head_log'") ?? 0
    }

    /// Writes one commit: new series, chunks cut from heads, and the samples' log record, atomically.
    func write(newSeries: [MemSeries], cutChunks: [(ref: SeriesRef, chunk: XORChunk)], record: SampleLogRecord) throws(StorageError) {
        guard !newSeries.isEmpty || !cutChunks.isEmpty || !record.isEmpty else { return }
        try database.transaction { () throws(StorageError) in
            for memSeries in newSeries {
                insertSeries.bind(1, memSeries.ref)
                insertSeries.bind(2, memSeries.labels.key)
                try insertSeries.run()
            }
            try writeChunks(cutChunks)
            if !record.isEmpty {
                insertLog.bind(1, record.bytes)
                insertLog.bind(2, record.maxT)
                try insertLog.run()
            }
        }
        if !record.isEmpty {
            lastLogSequence = database.lastInsertRowID
            samplesSinceCheckpoint += record.sampleCount
        }
    }

    func writeChunks(_ chunks: [(ref: SeriesRef, chunk: XORChunk)]) throws(StorageError) {
        for (ref, chunk) in chunks {
            guard let minT = chunk.minTime, let maxT = chunk.maxTime else { continue }
            insertChunk.bind(1, ref)
            insertChunk.bind(2, minT)
            insertChunk.bind(3, maxT)
            insertChunk.bind(4, Int64(chunk.count))
            insertChunk.bind(5, chunk.bytes)
            try insertChunk.run()
        }
    }

    /// Appends the samples of the series' chunks on disk that overlap [mint, maxt].
    func readChunks(ref: SeriesRef, mint: Timestamp, maxt: Timestamp, into samples: inout [Sample]) throws(StorageError) {
        defer { selectChunks.reset() }
        selectChunks.bind(1, ref)
        selectChunks.bind(2, mint)
        selectChunks.bind(3, maxt)
        while try selectChunks.step() {
            do {
                try XORChunk.appendSamples(from: selectChunks.blob(0), mint: mint, maxt: maxt, into: &samples)
            } catch {
                throw StorageError(code: 0, message: "corrupt chunk of series \(ref): \(error)")
            }
        }
    }

    /// Copies the open heads that changed into `head_chunks` and drops the log they cover, in one transaction.
    ///
    /// It also records a retention mark: every chunk written so far ends no later than `maxTime`,
    /// so retention can later drop them by id range without scanning the table.
    ///
    /// Log records a remote-write queue has not forwarded are kept, unless older than `logCutoff` (retention).
    func checkpoint(heads: [(ref: SeriesRef, chunk: XORChunk)], maxTime: Timestamp, logCutoff: Timestamp = .min) throws(StorageError) {
        let upsert = try database.prepare("INSERT OR REPLACE INTO head_chunks (series_id, data) VALUES (?, ?)")
        let delete = try database.prepare("DELETE FROM head_chunks WHERE series_id = ?")
        let sequence = lastLogSequence
        try database.transaction { () throws(StorageError) in
            for (ref, chunk) in heads {
                if chunk.count == 0 {
                    delete.bind(1, ref)
                    try delete.run()
                } else {
                    upsert.bind(1, ref)
                    upsert.bind(2, chunk.bytes)
                    try upsert.run()
                }
            }
            // Records a head-log consumer (a remote-write queue) has not forwarded yet stay until it has.
            try database.execute("""
                DELETE FROM head_log WHERE seq <= \(sequence)
                    AND (seq <= coalesce((SELECT min(seq) FROM remote_write_positions), \(sequence)) OR max_t < \(logCutoff))
                """)
            if maxTime != .min {
                try database.execute("INSERT OR REPLACE INTO retention_marks (chunk_id, max_t) SELECT coalesce(max(id), 0), \(maxTime) FROM chunks")
            }
            try database.execute("UPDATE meta SET value = \(sequence) WHERE key = 'checkpoint_seq'")
        }
        samplesSinceCheckpoint = 0
        // Keep the WAL file from growing without bound between SQLite's automatic checkpoints.
        try? database.execute("PRAGMA wal_checkpoint(PASSIVE)")
    }

    func writeMetadata(_ entries: [String: MetricMetadata]) throws(StorageError) {
        let upsert = try database.prepare("INSERT OR REPLACE INTO metadata (metric, type, help, unit) VALUES (?, ?, ?, ?)")
        try database.transaction { () throws(StorageError) in
            for (metric, entry) in entries {
                upsert.bind(1, metric)
                upsert.bind(2, entry.type)
                upsert.bind(3, entry.help)
                upsert.bind(4, entry.unit)
                try upsert.run()
            }
        }
    }

    /// Size of the database file and its WAL.
    func bytesOnDisk() -> Int64 {
        [path, path + "-wal"].reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// Bytes of pages in use, which retention by size compares against its limit.
    func usedBytes() throws(StorageError) -> Int64 {
        let pages = try database.scalar("PRAGMA page_count") ?? 0
        let free = try database.scalar("PRAGMA freelist_count") ?? 0
        let size = try database.scalar("PRAGMA page_size") ?? 4096
        return (pages - free) * size
    }
}

extension SampleLogRecord {
    var sampleCount: Int { count }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
