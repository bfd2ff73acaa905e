import Foundation
import Model
import Testing
import TSDB

/// The head log outlives checkpoints while a remote-write queue still needs it, but not past retention.
@Suite struct HeadLogHoldTests {
    func commit(_ store: TimeSeriesStore, at t: Timestamp) async throws {
        var batch = AppendBatch()
        batch.append(labels: ["__name__": "m"], t: t, v: Double(t))
        _ = try await store.commit(batch)
    }

    @Test func checkpointsKeepUnforwardedRecordsWithinRetention() async throws {
        let directory = try TemporaryDirectory()
        let store = try await TimeSeriesStore(path: directory.path("s.db"), options: .init(retentionMillis: 60_000))
        let reader = try HeadLogReader(path: directory.path("s.db"))
        try reader.setPosition(0, of: "lagging")
        for t in stride(from: Timestamp(1_000), through: 5_000, by: 1_000) { try await commit(store, at: t) }
        try await store.checkpoint()
        #expect(try reader.records(after: 0, limit: 100).map { $0.samples.map(\.t) } == [[1_000], [2_000], [3_000], [4_000], [5_000]])

        // Forwarded records go at the next checkpoint; the rest stay.
        try reader.setPosition(try reader.records(after: 0, limit: 2).last!.sequence, of: "lagging")
        try await store.checkpoint()
        #expect(try reader.records(after: 0, limit: 100).flatMap { $0.samples.map(\.t) } == [3_000, 4_000, 5_000])

        // Records a retention period (60 s) older than the newest sample are dropped although still held.
        try await commit(store, at: 64_500)
        try await store.checkpoint()
        #expect(try reader.records(after: 0, limit: 100).flatMap { $0.samples.map(\.t) } == [5_000, 64_500])

        // Without consumers a checkpoint empties the log, as before remote write existed.
        try reader.removePositions(except: [])
        try await store.checkpoint()
        #expect(try reader.records(after: 0, limit: 100).isEmpty)
    }

    /// A round in flight is remembered until the position passes it, so a crash redoes exactly that round.
    @Test func aRoundInFlightIsRememberedUntilThePositionMoves() async throws {
        let directory = try TemporaryDirectory()
        let store = try await TimeSeriesStore(path: directory.path("s.db"))
        _ = store
        let reader = try HeadLogReader(path: directory.path("s.db"))
        try reader.setPosition(3, of: "q")
        #expect(try reader.round(of: "q") == nil)
        try reader.setRound(.init(end: 9, shards: 4), of: "q")
        #expect(try reader.round(of: "q") == .init(end: 9, shards: 4))
        try reader.setPosition(9, of: "q")
        #expect(try reader.round(of: "q") == nil)
        #expect(try reader.position(of: "q") == 9)
    }
}
