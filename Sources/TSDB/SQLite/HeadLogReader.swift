/// Reads the store's head log from a second connection, for consumers that forward committed samples
/// (remote write), and keeps each consumer's position in the same database.
///
/// The log holds every commit's samples in commit order. A checkpoint drops log records only up to the
/// lowest position recorded here, so a consumer that falls behind (a receiver outage) or is killed
/// resumes where it stopped. It is used by one owner at a time (one queue's actor).
public final class HeadLogReader: @unchecked Sendable {
    /// One logged sample: the series reference, its timestamp in milliseconds and value.
    public struct LoggedSample: Sendable, Equatable {
        public var ref: SeriesRef
        public var t: Timestamp
        public var v: Double
    }

    /// One commit's record: its sequence number and samples.
    public struct Record: Sendable {
        public var sequence: Int64
        public var samples: [LoggedSample]
    }

    private let database: SQLiteDatabase
    private let readLog: SQLiteStatement
    private let readLabels: SQLiteStatement
    private let readPosition: SQLiteStatement
    private let writePosition: SQLiteStatement

    /// Opens `path`, the store's database, which must already exist.
    public init(path: String) throws(StorageError) {
        database = try SQLiteDatabase(path: path)
        try database.execute(PersistentState.positionsSchema)
        readLog = try database.prepare("SELECT seq, data FROM head_log WHERE seq > ? ORDER BY seq LIMIT ?")
        readLabels = try database.prepare("SELECT labels FROM series WHERE id = ?")
        readPosition = try database.prepare("SELECT seq FROM remote_write_positions WHERE name = ?")
        writePosition = try database.prepare("""
            INSERT INTO remote_write_positions (name, seq) VALUES (?1, ?2)
                ON CONFLICT (name) DO UPDATE SET seq = ?2, round_end = 0, round_shards = 0
            """)
    }

    /// The sequence number of the newest record ever logged (0 for none).
    public func lastSequence() throws(StorageError) -> Int64 {
        let logged = try database.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'head_log'") ?? 0
        return logged
    }

    /// Up to `limit` records after `sequence`, oldest first.
    public func records(after sequence: Int64, limit: Int) throws(StorageError) -> [Record] {
        defer { readLog.reset() }
        readLog.bind(1, sequence)
        readLog.bind(2, Int64(limit))
        var records: [Record] = []
        while try readLog.step() {
            let seq = readLog.int64(0)
            guard let decoded = SampleLogRecord.decode(readLog.blob(1)) else {
                throw StorageError(code: 0, message: "head log record \(seq) is corrupt")
            }
            records.append(Record(sequence: seq, samples: decoded.map { LoggedSample(ref: $0.ref, t: $0.t, v: $0.v) }))
        }
        return records
    }

    /// The labels of a series, or nil when the store has no such series (deleted by retention).
    public func labels(of ref: SeriesRef) throws(StorageError) -> Labels? {
        defer { readLabels.reset() }
        readLabels.bind(1, ref)
        guard try readLabels.step() else { return nil }
        return Labels(key: readLabels.blob(0))
    }

    /// The position recorded for consumer `name`, if any.
    public func position(of name: String) throws(StorageError) -> Int64? {
        defer { readPosition.reset() }
        readPosition.bind(1, name)
        guard try readPosition.step() else { return nil }
        return readPosition.int64(0)
    }

    /// Records that consumer `name` has forwarded every record up to `sequence` (and has no round in flight).
    public func setPosition(_ sequence: Int64, of name: String) throws(StorageError) {
        writePosition.bind(1, name)
        writePosition.bind(2, sequence)
        try writePosition.run()
    }

    /// A round of sending in flight: records up to `end`, split across `shards`; redone the same way after a crash.
    public struct Round: Sendable, Equatable {
        public var end: Int64
        public var shards: Int

        public init(end: Int64, shards: Int) {
            self.end = end
            self.shards = shards
        }
    }

    /// Notes (or, with nil, clears) the round consumer `name` is sending.
    public func setRound(_ round: Round?, of name: String) throws(StorageError) {
        let update = try database.prepare("UPDATE remote_write_positions SET round_end = ?, round_shards = ? WHERE name = ?")
        update.bind(1, round?.end ?? 0)
        update.bind(2, Int64(round?.shards ?? 0))
        update.bind(3, name)
        try update.run()
    }

    /// The round consumer `name` was sending when it stopped, if it did not finish.
    public func round(of name: String) throws(StorageError) -> Round? {
        let select = try database.prepare("SELECT seq, round_end, round_shards FROM remote_write_positions WHERE name = ?")
        select.bind(1, name)
        guard try select.step(), select.int64(1) > select.int64(0), select.int64(2) > 0 else { return nil }
        return Round(end: select.int64(1), shards: Int(clamping: select.int64(2)))
    }

    /// Forgets every consumer not named in `kept`, so the log of removed remotes is no longer held.
    public func removePositions(except kept: Set<String>) throws(StorageError) {
        let rows = try database.prepare("SELECT name FROM remote_write_positions")
        var stale: [String] = []
        while try rows.step() {
            let name = rows.string(0)
            if !kept.contains(name) { stale.append(name) }
        }
        let delete = try database.prepare("DELETE FROM remote_write_positions WHERE name = ?")
        for name in stale {
            delete.bind(1, name)
            try delete.run()
            delete.reset()
        }
    }
}

extension PersistentState {
    /// Positions of head-log consumers; checkpoints keep the log after the lowest one.
    static let positionsSchema = """
        CREATE TABLE IF NOT EXISTS remote_write_positions (
            name TEXT PRIMARY KEY, seq INTEGER NOT NULL, round_end INTEGER NOT NULL DEFAULT 0, round_shards INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID
        """
}
