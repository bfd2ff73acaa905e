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
