import Foundation
import Testing
@testable import TSDB
#if canImport(Glibc)
import Glibc
#endif

/// Storage on a file system that fills up: the API keeps serving, failed commits are logged, and
/// ingestion resumes with an intact file once there is space again. Needs root to mount a small tmpfs.
@Suite(.serialized) struct FullDiskTests {
    /// Runs a shell command on its own thread (never blocking the concurrency pool) and returns its exit status.
    @discardableResult
    func shell(_ command: String) async throws -> Int32 {
        try await onOwnThread { try Self.shellBlocking(command) }
    }

    static func shellBlocking(_ command: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func upCount(_ server: ServerProcess) async throws -> Int {
        let body = try await server.get("/api/v1/query?query=count_over_time(up%7Bjob%3D%22vigil%22%7D%5B1h%5D)", web: true).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let result = (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return Int(((result.first?["value"] as? [Any])?.last as? String).flatMap(Double.init) ?? 0)
    }

    @Test func aFullDiskRefusesScrapesKeepsTheAPIUpAndRecovers() async throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        guard getuid() == 0, try await shell("mount -t tmpfs -o size=4m tmpfs '\(mountPoint.path)'") == 0 else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("cannot mount a tmpfs: CI must run as root") }
            print("FullDiskTests skipped: mounting a tmpfs needs root")
            return
        }
        defer { _ = try? Self.shellBlocking("umount -l '\(mountPoint.path)'") }
        let storePath = mountPoint.appendingPathComponent("vigil.db").path
        let server = try ServerProcess(arguments: [], scrapeInterval: "1s", storagePathOverride: storePath)
        try await server.waitUntilListening()
        try await waitFor(within: .seconds(30)) { try await upCount(server) >= 2 }

        // Fill the file system to the last byte.
        let filler = mountPoint.appendingPathComponent("filler").path
        try await shell("dd if=/dev/zero of='\(filler)' bs=4k")
        try await waitFor(within: .seconds(60)) { server.log.contains("storing the scrape failed") }
        #expect(try await server.request("/predict", method: "POST", body: exampleRequestBody).status == 200)
        #expect(try await server.get("/health").status == 200)
        let whileFull = try await upCount(server)

        // Space again: scrapes are stored again.
        try FileManager.default.removeItem(atPath: filler)
        try await waitFor(within: .seconds(60)) { try await upCount(server) >= whileFull + 2 }

        server.signal(SIGTERM)
        let status = try await server.waitForExit()
        #expect(status == 0, "exit \(status): \(server.log.suffix(3000))")
        let database = try SQLiteDatabase(path: storePath)
        let check = try database.prepare("PRAGMA integrity_check")
        #expect(try check.step())
        #expect(check.string(0) == "ok")
        database.close()
    }

    @Test func aStartOnAFullDiskServesTheAPIAndOpensTheStoreOnceThereIsSpace() async throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        guard getuid() == 0, try await shell("mount -t tmpfs -o size=1m tmpfs '\(mountPoint.path)'") == 0 else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("cannot mount a tmpfs: CI must run as root") }
            print("FullDiskTests skipped: mounting a tmpfs needs root")
            return
        }
        defer { _ = try? Self.shellBlocking("umount -l '\(mountPoint.path)'") }
        let filler = mountPoint.appendingPathComponent("filler").path
        try await shell("dd if=/dev/zero of='\(filler)' bs=4k")
        let server = try ServerProcess(arguments: [], scrapeInterval: "1s",
                                       storagePathOverride: mountPoint.appendingPathComponent("vigil.db").path)
        try await server.waitUntilListening(monitoring: false)
        #expect(try await server.request("/predict", method: "POST", body: exampleRequestBody).status == 200)
        try await waitFor(within: .seconds(30)) { server.log.contains("cannot open storage") }

        try FileManager.default.removeItem(atPath: filler)
        try await waitFor(within: .seconds(90)) { (try? await server.get("/-/healthy", web: true))?.status == 200 }
        server.signal(SIGTERM)
        let status = try await server.waitForExit()
        #expect(status == 0, "exit \(status): \(server.log.suffix(3000))")
    }
}
