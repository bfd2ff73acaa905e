import Foundation
import Synchronization
import Testing
@testable import TSDB

/// Query reads run on their own connections and threads: they neither wait for commits nor hold them up.
@Suite struct ConcurrentReadTests {
    let series = [counter("api"), counter("db"), counter("batch")]

    /// Appends `count` steps at 15 s, one commit per step; each sample's value is its step number.
    func append(_ store: TimeSeriesStore, steps: Range<Int>) async throws {
        for step in steps {
            var batch = AppendBatch()
            for labels in series { batch.append(labels: labels, t: Timestamp(step) * 15_000, v: Double(step)) }
            _ = try await store.commit(batch)
        }
    }

    @Test func heldReadTransactionDoesNotDelayCommits() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let threads = QueryThreadPool(threads: 2)
        let store = try await TimeSeriesStore(path: temp.path, readThreads: threads)
        try await append(store, steps: 0..<300)
        let readers = try #require(store.readers)

        // A read that holds its SQLite read transaction (and one query thread) until released.
        let release = DispatchSemaphore(value: 0)
        let held = Task {
            try await withCheckedThrowingContinuation { (started: CheckedContinuation<Void, any Error>) in
                Task {
                    try await threads.run { () throws(StorageError) in
                        try readers.read { (_: PersistentState) throws(StorageError) in
                            started.resume()
                            release.wait()
                        }
                    }
                }
            }
        }
        try await held.value  // the read transaction is open now

        // Commits that cut chunks, a checkpoint and compaction all finish while it stays open.
        try await append(store, steps: 300..<600)
        try await store.checkpoint()
        _ = try await store.compact(keepingWindows: 1)
        #expect(await store.totals.commits == 600)
        // A query read on the other thread sees every commit.
        let all = try await store.select([match(.equal, "__name__", "requests_total")], mint: .min, maxt: .max)
        #expect(all.map(\.samples.count) == [600, 600, 600])
        release.signal()
        try await store.close()
    }

    @Test func readsDuringCommitsSeeEachCommittedSampleOnce() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let store = try await TimeSeriesStore(path: temp.path)
        try await append(store, steps: 0..<130)
        let writer = Task { try await append(store, steps: 130..<1_000) }
        var reads = 0
        // Every read is a prefix of the steps: no sample twice (a chunk cut during the read) and none missing.
        while reads < 200 {
            let result = try await store.select([match(.equal, "job", "db")], mint: .min, maxt: .max)
            let values = result.first?.samples.map(\.v) ?? []
            #expect(values == (0..<values.count).map(Double.init), "read \(reads) is not a prefix of the steps")
            #expect(values.count >= 130)
            reads += 1
        }
        try await writer.value
        try await store.close()
    }

    @Test func readStopsAtTheSampleLimit() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let store = try await TimeSeriesStore(path: temp.path)
        try await append(store, steps: 0..<400)
        let everything = [match(.equal, "__name__", "requests_total")]
        let full = try await store.select(everything, mint: .min, maxt: .max, hints: SelectHints(maxSamples: 1_200))
        #expect(full.map(\.samples.count) == [400, 400, 400])
        await #expect(throws: StorageError.self) {
            do {
                _ = try await store.select(everything, mint: .min, maxt: .max, hints: SelectHints(maxSamples: 1_199))
            } catch let error as StorageError {
                #expect(error.interruption == .tooManySamples)
                throw error
            }
        }
        // The limit also holds for reads served from memory alone.
        await #expect(throws: StorageError.self) {
            _ = try await store.select(everything, mint: 390 * 15_000, maxt: .max, hints: SelectHints(maxSamples: 29))
        }
        try await store.close()
    }

    @Test func readStopsAtDeadlineAndCancellation() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let store = try await TimeSeriesStore(path: temp.path)
        try await append(store, steps: 0..<400)
        let everything = [match(.equal, "__name__", "requests_total")]
        var interruptions: [StorageError.Interruption?] = []
        for hints in [SelectHints(deadline: .now - .seconds(1)), SelectHints(cancellation: { let c = ReadCancellation(); c.cancel(); return c }())] {
            do {
                _ = try await store.select(everything, mint: .min, maxt: .max, hints: hints)
                interruptions.append(nil)
            } catch let error as StorageError {
                interruptions.append(error.interruption)
            }
        }
        #expect(interruptions == [.timeout, .canceled])
        try await store.close()
    }

    @Test func staleMarkersAreDroppedWhenAskedAndNotCounted() async throws {
        let store = TimeSeriesStore()
        var batch = AppendBatch()
        batch.append(labels: series[0], t: 1_000, v: 1)
        _ = try await store.commit(batch)
        batch = AppendBatch()
        batch.append(labels: series[0], t: 2_000, v: StaleNaN.value)
        _ = try await store.commit(batch)
        let kept = try await store.select([match(.equal, "job", "api")], mint: .min, maxt: .max, hints: SelectHints(maxSamples: 1, dropsStaleMarkers: true))
        #expect(kept.map(\.samples) == [[Sample(t: 1_000, v: 1)]])
        let all = try await store.select([match(.equal, "job", "api")], mint: .min, maxt: .max)
        #expect(all.first?.samples.count == 2)
    }
}
