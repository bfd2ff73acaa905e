import Foundation
import Testing
@testable import TSDB

/// A checkpoint that fails must leave every head it did not write to the next checkpoint.
@Suite struct CheckpointFailureTests {
    @Test func aFailedCheckpointKeepsHeadsForTheNextOne() async throws {
        let temporary = TemporaryDatabase()
        defer { temporary.remove() }
        let series = counter("checkpoint")
        let store = try await TimeSeriesStore(path: temporary.path, options: .init(retentionMillis: nil))
        var batch = AppendBatch()
        batch.append(labels: series, t: 1_000, v: 1)
        _ = try await store.commit(batch)

        // Make the checkpoint's write fail, as a full disk or an I/O error would.
        try await store.executeForTesting("ALTER TABLE head_chunks RENAME TO head_chunks_away")
        await #expect(throws: StorageError.self) { try await store.checkpoint() }
        try await store.executeForTesting("ALTER TABLE head_chunks_away RENAME TO head_chunks")

        // Another series moves on; the first gets nothing new, so only its dirty flag says it needs writing.
        var later = AppendBatch()
        later.append(labels: counter("other"), t: 2_000, v: 2)
        _ = try await store.commit(later)
        try await store.checkpoint()
        try await store.close()

        let reopened = try await TimeSeriesStore(path: temporary.path, options: .init(retentionMillis: nil))
        let stored = try await reopened.select([match(.equal, "job", "checkpoint")], mint: .min, maxt: .max)
        #expect(stored.first?.samples.map(\.t) == [1_000])
        try await reopened.close()
    }
}

/// A close whose checkpoint fails (a full disk at shutdown) still closes the file, and loses no committed sample.
@Suite struct CloseFailureTests {
    @Test func aCloseThatCannotCheckpointReleasesTheFileAndTheNextOpenReplaysTheLog() async throws {
        let temporary = TemporaryDatabase()
        defer { temporary.remove() }
        let store = try await TimeSeriesStore(path: temporary.path, options: .init(retentionMillis: nil))
        for t in stride(from: Int64(1_000), through: 5_000, by: 1_000) {
            var batch = AppendBatch()
            batch.append(labels: counter("closing"), t: t, v: Double(t))
            _ = try await store.commit(batch)
        }
        try await store.executeForTesting("ALTER TABLE head_chunks RENAME TO head_chunks_away")
        await #expect(throws: StorageError.self) { try await store.close() }
        // Closed despite the failure: the store no longer holds the database.
        #expect(await store.holdsDatabase == false)

        // The renamed table is put back by hand, as freed space would let the next start write again.
        let repair = try SQLiteDatabase(path: temporary.path)
        try repair.execute("ALTER TABLE head_chunks_away RENAME TO head_chunks")
        repair.close()
        let reopened = try await TimeSeriesStore(path: temporary.path, options: .init(retentionMillis: nil))
        let stored = try await reopened.select([match(.equal, "job", "closing")], mint: .min, maxt: .max)
        #expect(stored.first?.samples.map(\.t) == [1_000, 2_000, 3_000, 4_000, 5_000])
        try await reopened.close()
    }
}

@Suite struct UnknownReferenceTests {
    @Test func samplesForUnknownReferencesAreCountedNotSilentlyDropped() async throws {
        let store = TimeSeriesStore()
        var batch = AppendBatch()
        batch.append(ref: 9_999, t: 1_000, v: 1)
        batch.append(labels: counter("known"), t: 1_000, v: 1)
        let result = try await store.commit(batch)
        #expect(result.unknownReferences == 1)
        #expect(result.appended == 1)
        #expect(await store.totals.unknownReferences == 1)
    }
}
