import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--query.lookback-delta`, `--query.timeout` and `--query.max-samples` set the one set of query options the
/// API, the dashboards and the rules share.
@Suite struct QueryFlagsTests {
    func instantResultCount(_ server: ServerProcess, _ query: String, at seconds: Double) async throws -> Int {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        let body = try await server.get("/api/v1/query?query=\(encoded)&time=\(seconds)", web: true).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return ((json?["data"] as? [String: Any])?["result"] as? [Any])?.count ?? -1
    }

    @Test func aShortLookbackDeltaHidesSamplesOlderThanIt() async throws {
        let server = try ServerProcess(arguments: ["--query.lookback-delta", "100ms"])
        try await server.waitUntilListening()
        var sampleTime: Double?
        try await waitFor(within: .seconds(30)) {
            let body = try await server.get("/api/v1/query?query=up%7Bjob%3D%22vigil%22%7D%5B1m%5D", web: true).body
            let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            let series = ((json?["data"] as? [String: Any])?["result"] as? [[String: Any]])?.first
            sampleTime = ((series?["values"] as? [[Any]])?.first?.first as? Double)
            return sampleTime != nil
        }
        let t = try #require(sampleTime)
        #expect(try await instantResultCount(server, "up{job=\"vigil\"}", at: t) == 1)
        #expect(try await instantResultCount(server, "up{job=\"vigil\"}", at: t + 0.05) == 1)
        // Half a second after the sample and before the next scrape: past the 100 ms lookback.
        #expect(try await instantResultCount(server, "up{job=\"vigil\"}", at: t + 0.5) == 0)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test(arguments: [["--query.lookback-delta", "0s"], ["--query.timeout", "soon"], ["--query.max-samples", "0"]])
    func badQueryFlagsAreUsageErrors(_ flags: [String]) async throws {
        let result = try await runVigil(["serve"] + flags)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(flags[0]), "\(result.stderr)")
    }
}
