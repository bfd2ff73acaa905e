import CSQLite
import Foundation
import Model

/// The admin API's storage operations: snapshots and deleting series.
extension TimeSeriesStore {
    /// Writes a consistent copy of the database to `destination`, while commits go on.
    ///
    /// The copy is made by SQLite's online backup API on a connection of its own, in one step: in WAL mode that
    /// step reads one snapshot of the file without blocking the writer, and every committed sample is in it (the
    /// head log is part of the file), so serving the copy with `--storage.path` shows what was committed.
    public func snapshot(to destination: String) async throws(StorageError) {
        guard let path = database?.path else {
            throw StorageError(code: SQLITE_MISUSE, message: "a store kept in memory has no file to snapshot")
        }
        let outcome: Result<Void, StorageError> = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Result { () throws(StorageError) in try Self.backup(from: path, to: destination) }) }.start()
        }
        try outcome.get()
    }

    static func backup(from source: String, to destination: String) throws(StorageError) {
        var sourceHandle: OpaquePointer?
        var destinationHandle: OpaquePointer?
        defer {
            sqlite3_close_v2(sourceHandle)
            sqlite3_close_v2(destinationHandle)
        }
        var rc = sqlite3_open_v2(source, &sourceHandle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else { throw StorageError(code: rc, message: "snapshot: cannot open \(source) for reading") }
        sqlite3_busy_timeout(sourceHandle, 5000)
        rc = sqlite3_open_v2(destination, &destinationHandle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else { throw StorageError(code: rc, message: "snapshot: cannot create \(destination)") }
        guard let backup = sqlite3_backup_init(destinationHandle, "main", sourceHandle, "main") else {
            throw StorageError(code: sqlite3_errcode(destinationHandle), message: "snapshot: \(String(cString: sqlite3_errmsg(destinationHandle)))")
        }
        rc = sqlite3_backup_step(backup, -1)
        let finish = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE, finish == SQLITE_OK else {
            throw StorageError(code: rc == SQLITE_DONE ? finish : rc,
                               message: "snapshot into \(destination) failed: \(String(cString: sqlite3_errmsg(destinationHandle)))")
        }
    }

    /// Deletes the samples in [mint, maxt] of every series the matchers select; returns how many series changed.
    ///
    /// A series with nothing left is forgotten (it leaves queries, `/api/v1/series` and the label APIs); a series
    /// with samples outside the range is rewritten with those samples alone. Writers holding a reference to a
    /// changed series (a scrape's cache) are told by `CommitResult.unknownReferences` and add it again.
    @discardableResult
    public func deleteSeries(matching matchers: [Matcher], mint: Timestamp, maxt: Timestamp) throws(StorageError) -> Int {
        guard mint <= maxt else { return 0 }
        var gone: [MemSeries] = []
        var kept: [(labels: Labels, samples: [Sample])] = []
        for ref in matchingRefs(matchers) {
            guard let memSeries = series[ref], memSeries.lastT >= mint, memSeries.firstT <= maxt else { continue }
            if mint > memSeries.firstT || maxt < memSeries.lastT {
                let remaining = try readSamples(memSeries, mint: .min, maxt: .max).filter { $0.t < mint || $0.t > maxt }
                if !remaining.isEmpty { kept.append((memSeries.labels, remaining)) }
            }
            gone.append(memSeries)
        }
        try forget(gone)
        if !kept.isEmpty {
            var batch = AppendBatch()
            for (labels, samples) in kept {
                for sample in samples { batch.append(labels: labels, t: sample.t, v: sample.v) }
            }
            _ = try commit(batch)
        }
        return gone.count
    }

    /// Gives the pages freed by deletions back to the file system (Prometheus's `clean_tombstones`; deletions here
    /// take effect at once, so nothing else is left to clean).
    public func cleanTombstones() throws(StorageError) {
        try database?.database.execute("PRAGMA incremental_vacuum")
    }
}
