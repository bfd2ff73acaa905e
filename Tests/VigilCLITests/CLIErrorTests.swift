import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Mistakes that are not usage mistakes get a sentence and exit 1, never the usage text and exit 64.
@Suite struct CLIErrorTests {
    @Test func queryAgainstAServerThatIsDownSaysSo() async throws {
        let port = try freePort()
        let result = try await runVigil(["query", "up", "--url", "http://127.0.0.1:\(port)"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot reach http://127.0.0.1:\(port): connection refused"), "\(result.stderr)")
        #expect(!result.stderr.contains("Usage:"), "\(result.stderr)")
    }

    @Test func tsdbCommandsRefuseAStoreThatServeHolds() async throws {
        let server = try ServerProcess(arguments: [])
        try await server.waitUntilListening()
        let stats = try await runVigil(["tsdb", "stats", "--storage.path", server.storagePath])
        #expect(stats.status == 1)
        #expect(stats.stderr.contains("in use by another vigil serve") && stats.stderr.contains("/api/v1/status/tsdb"), "\(stats.stderr)")
        #expect(try await server.get("/api/v1/status/tsdb", web: true).status == 200)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        let afterwards = try await runVigil(["tsdb", "stats", "--storage.path", server.storagePath])
        #expect(afterwards.status == 0, "\(afterwards.stderr)")
        #expect(afterwards.stdout.contains("series"), "\(afterwards.stdout)")
    }
}
