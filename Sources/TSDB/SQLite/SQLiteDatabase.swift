import CSQLite

/// A failed SQLite call, with SQLite's result code, its message and the SQL that caused it.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    public var sql: String?
    /// Set when a query's read stopped at one of its limits rather than failing.
    public var interruption: Interruption?

    /// Why a read stopped early: the query's limits, which the engine reports with its own messages.
    public enum Interruption: Sendable, Equatable {
        case tooManySamples
        case timeout
        case canceled
    }

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    init(interruption: Interruption) {
        self.init(code: 0, message: "read stopped: \(interruption)")
        self.interruption = interruption
    }

    public var description: String {
        sql.map { "\(message) (SQLite code \(code), in: \($0))" } ?? "\(message) (SQLite code \(code))"
    }
}

/// One SQLite connection, used by one owner at a time (the store's actor, or one query read), so it needs no locking.
///
/// A thin layer over the C API rather than GRDB: the insert path binds through raw statement
/// handles, where an argument-building layer would cost about twice as much.
final class SQLiteDatabase {
    private(set) var handle: OpaquePointer?
    let path: String

    /// Opens `path`, creating it unless `readOnly`; a read-only connection is how queries read beside the writer.
    init(path: String, readOnly: Bool = false) throws(StorageError) {
        self.path = path
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw StorageError(code: rc, message: "cannot open database \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { close() }

    func close() {
        guard let handle else { return }
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    func execute(_ sql: String) throws(StorageError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        guard rc == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "error"
            sqlite3_free(error)
            throw StorageError(code: rc, message: message, sql: sql)
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    func prepare(_ sql: String) throws(StorageError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw StorageError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
        }
        return SQLiteStatement(handle: statement, database: self, sql: sql)
    }

    /// The first column of the first row of a query, as an integer.
    func scalar(_ sql: String) throws(StorageError) -> Int64? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }

    func error(_ rc: Int32, sql: String?) -> StorageError {
        StorageError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    private var beginRead: SQLiteStatement?
    private var endRead: SQLiteStatement?

    /// Runs `body` in one read transaction.
    ///
    /// Each statement outside a transaction takes and drops the WAL read lock (two `fcntl` calls);
    /// a query reading a hundred series would otherwise do that hundreds of times.
    func readTransaction<T>(_ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        guard sqlite3_get_autocommit(handle) != 0 else { return try body() }
        if beginRead == nil {
            beginRead = try prepare("BEGIN DEFERRED")
            endRead = try prepare("COMMIT")
        }
        try beginRead!.run()
        let result: T
        do {
            result = try body()
        } catch {
            try? endRead!.run()
            throw error
        }
        try endRead!.run()
        return result
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// A prepared statement, reset and reused across calls on the hot paths.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private unowned let database: SQLiteDatabase
    let sql: String

    init(handle: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears bindings and state so the statement can run again.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(handle, index, value) }

    func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(handle, index, value, -1, sqliteTransient)
    }

    func bind(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), sqliteTransient)
        }
    }

    /// Advances one row; true while rows remain, false when done.
    @discardableResult
    func step() throws(StorageError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(rc, sql: sql)
        }
    }

    /// Runs a statement that returns no rows, then resets it.
    func run() throws(StorageError) {
        defer { reset() }
        try step()
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: text)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// SQLite's SQLITE_TRANSIENT: tells it to copy bound buffers before the call returns.
private let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
