import Foundation
import Testing
@testable import TSDB
#if canImport(Glibc)
import Glibc
#endif

@Suite struct CrashTests {
    /// A writer is killed with SIGKILL mid-stream; every commit it reported must be readable afterwards.
    @Test func killedWriterLosesNoCommittedSample() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("vigil.db").path
        let series = 200
        let process = Process()
        process.executableURL = vigilBinary
        process.arguments = ["tsdb", "append-synthetic", "--storage.path", path, "--series", "\(series)",
                             "--interval", "15s", "--duration", "10000h", "--print-commits"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Read commit reports until several chunks per series have been cut, then kill without warning.
        let reader = output.fileHandleForReading
        let committed: [Int64] = try await onOwnThread {
            var text = ""
            var committed: [Int64] = []
            while committed.count < 400 {
                let data = reader.availableData
                guard !data.isEmpty else { break }
                text += String(decoding: data, as: UTF8.self)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                committed = lines.dropLast().compactMap { $0.hasPrefix("committed ") ? Int64($0.dropFirst(10)) : nil }
            }
            return committed
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let lastCommitted = try #require(committed.last)
        #expect(committed.count >= 400)

        let database = try SQLiteDatabase(path: path)
        let check = try database.prepare("PRAGMA integrity_check")
        #expect(try check.step())
        #expect(check.string(0) == "ok")
        database.close()

        let store = try await TimeSeriesStore(path: path, options: .init(retentionMillis: nil))
        let all = try await store.select([try Matcher(.equal, "job", "synthetic")], mint: .min, maxt: .max)
        #expect(all.count == series)
        for stored in all {
            // Every reported commit is present, in order, with no gaps; a commit in flight may or may not be.
            let times = stored.samples.map(\.t)
            let reported = times.prefix(committed.count)
            #expect(Array(reported) == committed, "\(stored.labels)")
            #expect((times.last ?? 0) >= lastCommitted)
        }
        try await store.close()
    }
}
