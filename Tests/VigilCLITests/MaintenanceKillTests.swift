import Foundation
import Testing
@testable import TSDB
#if canImport(Glibc)
import Glibc
#endif

/// `vigil serve` killed with SIGKILL in the middle of storage maintenance — retention, compaction of a
/// backlog of closed chunks, checkpoint — loses no sample inside retention and leaves an intact file.
@Suite(.serialized) struct MaintenanceKillTests {
    static let series = 300
    static let stepSeconds: Int64 = 30
    static let hours: Int64 = 30
    /// Inside the 24 h retention with room for chunk granularity: never dropped.
    static let keptHours: Int64 = 20

    /// A store holding `hours` of synthetic data that ends at `end`, its closed chunks left uncompacted.
    func makeUncompactedStore(at path: String, end: Int64) async throws {
        let start = end - Self.hours * 3_600_000 + Self.stepSeconds * 1000
        let result = try await runVigil(["tsdb", "append-synthetic", "--storage.path", path, "--series", "\(Self.series)",
                                         "--interval", "\(Self.stepSeconds)s", "--duration", "\(Self.hours)h",
                                         "--start", "\(start)", "--skip-compaction"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    func copyStore(from source: String, to destination: String) throws {
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: source + suffix) {
            try FileManager.default.copyItem(atPath: source + suffix, toPath: destination + suffix)
        }
    }

    /// Points per series of a range selector evaluated at `end`.
    func pointsPerSeries(_ selector: String, at end: Int64, _ server: ServerProcess) async throws -> [Int] {
        let encoded = selector.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? selector
        let body = try await server.get("/api/v1/query?query=\(encoded)&time=\(Double(end) / 1000)", web: true).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let result = (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return result.map { ($0["values"] as? [Any])?.count ?? 0 }
    }

    /// Starts a server on `storage` and waits until its first maintenance has finished.
    func serveUntilMaintained(_ storage: String, directory: ServerProcess?) async throws -> ServerProcess {
        let server = try ServerProcess(arguments: Self.arguments, reuse: directory, storagePathOverride: storage)
        try await server.waitUntilListening()
        try await waitFor(within: .seconds(60)) { server.log.contains("storage maintenance done") }
        return server
    }

    static let arguments = ["--storage.maintenance-interval", "1s", "--storage.retention.time", "24h", "--log.level", "debug"]

    /// Every synthetic sample of the last `keptHours` is there, for every series.
    func expectNothingKeptWasLost(_ server: ServerProcess, end: Int64, series: Int = Self.series, _ context: String) async throws {
        let points = try await pointsPerSeries("{job=\"synthetic\"}[\(Self.keptHours)h]", at: end, server)
        // Range selectors include both ends: one sample per step, plus the one at the start.
        let expected = Int(Self.keptHours * 3600 / Self.stepSeconds) + 1
        #expect(points.count == series, "\(context): \(points.count) series")
        #expect(points.allSatisfy { $0 == expected }, "\(context): points per series \(Set(points).sorted()), expected \(expected)")
    }

    func expectIntegrity(_ path: String, _ context: String) throws {
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        let check = try database.prepare("PRAGMA integrity_check")
        #expect(try check.step())
        #expect(check.string(0) == "ok", "\(context)")
    }

    @Test func killsDuringMaintenanceLoseNothingInsideRetention() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-maintenance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let step = Self.stepSeconds * 1000
        let end = Int64(Date().timeIntervalSince1970 * 1000) / step * step
        let original = directory.appendingPathComponent("original.db").path
        try await makeUncompactedStore(at: original, end: end)

        // Undisturbed: how long the first maintenance takes, and the invariant holds.
        let measured = directory.appendingPathComponent("measured.db").path
        try copyStore(from: original, to: measured)
        let first = try await serveUntilMaintained(measured, directory: nil)
        let tookLine = try #require(first.log.split(separator: "\n").first { $0.contains("storage maintenance done") && $0.contains("chunks_compacted") })
        let tookMillis = tookLine.split(separator: " ").first { $0.hasPrefix("took_ms=") }.flatMap { Int($0.dropFirst(8)) } ?? 0
        #expect(tookLine.contains("chunks_compacted=") && !tookLine.contains("chunks_compacted=0"), "the backlog was compacted: \(tookLine)")
        try await expectNothingKeptWasLost(first, end: end, "undisturbed")
        first.signal(SIGTERM)
        _ = try await first.waitForExit()

        var generator = SystemRandomNumberGenerator()
        // Kill until three kills have landed in the middle of maintenance (its length varies with the machine's load).
        var killedMidway = 0
        var kills = 0
        // The first maintenance ran while the rest of the suite loaded the machine; later ones can be much
        // faster, so each kill that comes too late halves the longest wait before the next.
        var longestWait = max(1, tookMillis / 4)
        for kill in 1...12 where killedMidway < 3 {
            kills = kill
            let storage = directory.appendingPathComponent("kill-\(kill).db").path
            try copyStore(from: original, to: storage)
            let victim = try ServerProcess(arguments: Self.arguments, storagePathOverride: storage)
            victim.keepFiles = true
            // Polled every few milliseconds: maintenance of this backlog takes only some tens of them.
            let deadline = ContinuousClock.now + .seconds(60)
            while !victim.log.contains("storage maintenance started") && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...longestWait, using: &generator)))
            victim.signal(SIGKILL)
            _ = try await victim.waitForExit()
            if !victim.log.contains("storage maintenance done") { killedMidway += 1 } else { longestWait = max(1, longestWait / 2) }

            // Reopened, maintained to the end, and nothing inside retention is missing.
            let survivor = try await serveUntilMaintained(storage, directory: victim)
            try await expectNothingKeptWasLost(survivor, end: end, "kill \(kill)")
            survivor.signal(SIGTERM)
            _ = try await survivor.waitForExit()
            try expectIntegrity(storage, "kill \(kill)")
            try? FileManager.default.removeItem(at: victim.directory)
        }
        print("MaintenanceKillTests: \(killedMidway) of \(kills) kills landed during maintenance (first maintenance took \(tookMillis) ms)")
        #expect(killedMidway >= 3, "\(kills) kills, only \(killedMidway) during maintenance")
    }
}

/// `vigil serve` killed with SIGKILL while maintenance converts block rows of an older build into
/// column blocks: each batch is one transaction, so no sample is lost, the file stays intact, and
/// the conversion finishes after the restart.
@Suite(.serialized) struct BlockReencodingKillTests {
    let maintenance = MaintenanceKillTests()
    /// Fewer series than MaintenanceKillTests: 1,500 rows, one conversion batch, a few seconds per restart.
    static let series = 100

    func legacyRows(_ path: String) throws -> Int64 {
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        return try database.scalar("SELECT count(*) FROM blocks WHERE substr(data, 1, 1) <> x'00'") ?? -1
    }

    /// Waits until a maintenance round reports that no older-format row is left.
    func serveUntilConverted(_ storage: String, directory: ServerProcess?) async throws -> ServerProcess {
        let server = try ServerProcess(arguments: MaintenanceKillTests.arguments, reuse: directory, storagePathOverride: storage)
        try await server.waitUntilListening()
        try await waitFor(within: .seconds(90)) { server.log.contains("blocks_reencoded=0") }
        return server
    }

    @Test func killsDuringBlockConversionLoseNothing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-reencode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let step = MaintenanceKillTests.stepSeconds * 1000
        let end = Int64(Date().timeIntervalSince1970 * 1000) / step * step
        let original = directory.appendingPathComponent("original.db").path
        let start = end - MaintenanceKillTests.hours * 3_600_000 + step
        // Compacted the way builds before column blocks did.
        let made = try await runVigil(["tsdb", "append-synthetic", "--storage.path", original, "--series", "\(Self.series)",
                                       "--interval", "\(MaintenanceKillTests.stepSeconds)s", "--duration", "\(MaintenanceKillTests.hours)h",
                                       "--start", "\(start)", "--legacy-block-rows"])
        #expect(made.status == 0, "\(made.stderr)")
        let legacyAtStart = try legacyRows(original)
        #expect(legacyAtStart >= 1_000, "\(legacyAtStart) rows to convert")

        var generator = SystemRandomNumberGenerator()
        var killedMidway = 0
        var kills = 0
        for kill in 1...12 where killedMidway < 3 {
            kills = kill
            let storage = directory.appendingPathComponent("kill-\(kill).db").path
            try maintenance.copyStore(from: original, to: storage)
            let victim = try ServerProcess(arguments: MaintenanceKillTests.arguments, storagePathOverride: storage)
            victim.keepFiles = true
            let deadline = ContinuousClock.now + .seconds(60)
            while !victim.log.contains("storage maintenance started") && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            // Converting the rows takes some hundreds of milliseconds; land anywhere in the first part.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...150, using: &generator)))
            victim.signal(SIGKILL)
            _ = try await victim.waitForExit()
            // The round's work is almost all conversion: nothing is left to compact, retention drops whole windows.
            if !victim.log.contains("storage maintenance done") { killedMidway += 1 }

            let survivor = try await serveUntilConverted(storage, directory: victim)
            try await maintenance.expectNothingKeptWasLost(survivor, end: end, series: Self.series, "kill \(kill)")
            survivor.signal(SIGTERM)
            _ = try await survivor.waitForExit()
            try maintenance.expectIntegrity(storage, "kill \(kill)")
            #expect(try legacyRows(storage) == 0, "kill \(kill): every row converted after the restart")
            try? FileManager.default.removeItem(at: victim.directory)
        }
        print("BlockReencodingKillTests: \(killedMidway) of \(kills) kills landed before the conversion finished")
        #expect(killedMidway >= 3, "\(kills) kills, only \(killedMidway) during the conversion")
    }
}
