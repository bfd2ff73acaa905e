import Foundation
import Model
import Testing
@testable import TSDB

@Suite struct AdminOperationsTests {
    func database() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-admin-\(UUID().uuidString).db")
    }

    /// 300 samples per series (more than two chunks, so disk and head are both read), one series per job.
    func fill(_ store: TimeSeriesStore) async throws {
        var batch = AppendBatch()
        for t in stride(from: Int64(1000), through: 300_000, by: 1000) {
            for job in ["a", "b"] { batch.append(labels: ["__name__": "m", "job": job], t: t, v: Double(t / 1000)) }
        }
        _ = try await store.commit(batch)
    }

    @Test func deletingARangeKeepsTheRestOfTheSeriesAcrossAReopen() async throws {
        let path = database()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path.path + suffix) } }
        let store = try await TimeSeriesStore(path: path.path, options: .init(retentionMillis: nil))
        try await fill(store)
        let a = [try Matcher(.equal, "job", "a")]
        #expect(try await store.deleteSeries(matching: a, mint: 50_000, maxt: 250_000) == 1)
        let expected = (Array(1...49) + Array(251...300)).map { Double($0) }
        #expect(try await store.select(a, mint: .min, maxt: .max).first?.samples.map(\.v) == expected)
        try await store.close()
        let reopened = try await TimeSeriesStore(path: path.path, options: .init(retentionMillis: nil))
        #expect(try await reopened.select(a, mint: .min, maxt: .max).first?.samples.map(\.v) == expected)
        // Job b was not touched.
        #expect(try await reopened.select([try Matcher(.equal, "job", "b")], mint: .min, maxt: .max).first?.samples.count == 300)
        try await reopened.close()
    }

    @Test func deletingEverySampleForgetsTheSeries() async throws {
        let store = TimeSeriesStore()
        try await fill(store)
        #expect(try await store.deleteSeries(matching: [try Matcher(.equal, "job", "b")], mint: .min, maxt: .max) == 1)
        #expect(await store.seriesLabels(matching: [try Matcher(.equal, "__name__", "m")]) == [["__name__": "m", "job": "a"]])
        #expect(await store.labelValues("job", matching: []) == ["a"])
        #expect(try await store.select([try Matcher(.equal, "job", "b")], mint: .min, maxt: .max).isEmpty)
        // A range outside the data changes nothing.
        #expect(try await store.deleteSeries(matching: [try Matcher(.equal, "job", "a")], mint: 400_000, maxt: 500_000) == 0)
    }

    @Test func aSnapshotIsAStoreWithTheSameSamples() async throws {
        let path = database(), copy = database()
        defer {
            for file in [path, copy] { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file.path + suffix) } }
        }
        let store = try await TimeSeriesStore(path: path.path, options: .init(retentionMillis: nil))
        try await fill(store)
        try await store.snapshot(to: copy.path)
        let restored = try await TimeSeriesStore(path: copy.path, options: .init(retentionMillis: nil))
        let matchers = [try Matcher(.equal, "__name__", "m")]
        #expect(try await restored.select(matchers, mint: .min, maxt: .max) == (try await store.select(matchers, mint: .min, maxt: .max)))
        try await restored.close()
        try await store.close()
        await #expect(throws: StorageError.self) { try await TimeSeriesStore().snapshot(to: copy.path) }
    }
}
