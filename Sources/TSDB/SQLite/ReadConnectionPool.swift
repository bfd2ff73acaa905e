import Synchronization

/// Read-only connections to the store's file, each lent to one query read at a time.
///
/// In WAL mode a reader sees the last commit before its read transaction began and never waits
/// for the writer, nor the writer for it, so queries read beside scrape commits. Connections are
/// opened on first need and kept for the next read; the pool holds as many as reads ever overlapped.
final class ReadConnectionPool: Sendable {
    let path: String
    private let state = Mutex<(idle: [ReadConnection], closed: Bool)>(([], false))

    init(path: String) {
        self.path = path
    }

    /// Runs `body` in one read transaction on a connection no other read is using.
    func read<T>(_ body: (PersistentState) throws(StorageError) -> T) throws(StorageError) -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try connection.state.database.readTransaction { () throws(StorageError) -> T in
            // Compaction raises the longest chunk span in the transaction that writes the longer chunks;
            // read it in this transaction so block reads look back far enough for what this read sees.
            try connection.refreshMaxChunkSpan()
            return try body(connection.state)
        }
    }

    /// Drops idle connections and refuses new reads; connections lent out close when returned.
    func close() {
        let idle = state.withLock { state -> [ReadConnection] in
            state.closed = true
            defer { state.idle = [] }
            return state.idle
        }
        _ = idle  // released here, outside the lock
    }

    private func checkOut() throws(StorageError) -> ReadConnection {
        let reused = state.withLock { state -> (ReadConnection?, Bool) in (state.idle.popLast(), state.closed) }
        if reused.1 { throw StorageError(code: 0, message: "the store is closed") }
        if let connection = reused.0 { return connection }
        return try ReadConnection(path: path)
    }

    private func checkIn(_ connection: ReadConnection) {
        state.withLock { state in
            if !state.closed { state.idle.append(connection) }
        }
    }
}

/// One read-only connection with its prepared statements; used by one thread at a time.
final class ReadConnection: @unchecked Sendable {
    let state: PersistentState
    private let selectSpan: SQLiteStatement

    init(path: String) throws(StorageError) {
        state = try PersistentState(path: path, readOnly: true)
        selectSpan = try state.database.prepare("SELECT value FROM meta WHERE key = 'max_chunk_span'")
    }

    func refreshMaxChunkSpan() throws(StorageError) {
        defer { selectSpan.reset() }
        if try selectSpan.step() { state.maxChunkSpan = selectSpan.int64(0) }
    }
}
