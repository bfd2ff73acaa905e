import Foundation
import Testing
@testable import TSDB
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `vigil serve` killed with SIGKILL at random moments while scraping every second: nothing that was
/// committed is lost, the file stays intact, and a pending alert keeps its `for` progress.
@Suite(.serialized) struct KillFaultTests {
    static let rules = """
        groups:
          - name: faults
            rules:
              - alert: AlwaysPending
                expr: vector(1)
                for: 1h
        """

    /// Timestamps (ms) of every stored `up` sample of the vigil job, through the query API.
    func upTimestamps(_ server: ServerProcess) async throws -> Set<Int64> {
        let body = try await server.get("/api/v1/query?query=up%7Bjob%3D%22vigil%22%7D%5B1h%5D", web: true).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let result = (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        var times = Set<Int64>()
        for series in result {
            for point in series["values"] as? [[Any]] ?? [] {
                if let seconds = point.first as? Double { times.insert(Int64((seconds * 1000).rounded())) }
            }
        }
        return times
    }

    /// The pending alert's activeAt from `/api/v1/alerts`.
    func activeAt(_ server: ServerProcess) async throws -> Date? {
        let body = try await server.get("/api/v1/alerts", web: true).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let alerts = (json?["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
        guard let text = alerts.first?["activeAt"] as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// Whether an `ALERTS_FOR_STATE` sample newer than `since` is stored.
    func forStateWritten(after since: Date, _ server: ServerProcess) async throws -> Bool {
        let body = try await server.get("/api/v1/query?query=timestamp(ALERTS_FOR_STATE)", web: true).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let result = (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        guard let value = (result.first?["value"] as? [Any])?.last as? String, let seconds = Double(value) else { return false }
        return seconds > since.timeIntervalSince1970
    }

    @Test func twentyKillsWhileScrapingLoseNothingCommittedAndKeepForState() async throws {
        let arguments = ["--rules.alert.for-grace-period", "1s"]
        var previous: ServerProcess?
        var committed = Set<Int64>()
        var generator = SystemRandomNumberGenerator()
        for kill in 1...20 {
            let startedAt = Date()
            let server = try ServerProcess(arguments: arguments, scrapeInterval: "1s", rules: Self.rules, reuse: previous)
            server.keepFiles = true
            try await server.waitUntilListening()
            let stored = try await upTimestamps(server)
            #expect(committed.isSubset(of: stored), "kill \(kill): \(committed.subtracting(stored).sorted()) lost")

            if kill > 1 {
                // Restored at the first evaluation: the alert stays pending from before this start.
                try await waitFor(within: .seconds(30)) { try await activeAt(server) != nil }
                let restored = try #require(try await activeAt(server))
                #expect(restored < startedAt, "kill \(kill): for state restarted at \(restored), after the start at \(startedAt)")
            } else {
                // Restoration keeps the alert's age as of the last for-state sample, in whole seconds (as Prometheus
                // does), so an alert only a second old could not be told from one that started over. Ten seconds of
                // age first, more than any start of the server takes.
                try await waitFor(within: .seconds(60)) {
                    guard let active = try await activeAt(server) else { return false }
                    return Date().timeIntervalSince(active) >= 10
                }
            }
            let evaluated = Date()
            // Let this run commit a scrape and write its for state at least one evaluation after the restoring one,
            // so the second the age loses to truncation at each restart is made up, then kill it at a random moment.
            try await waitFor(within: .seconds(30)) {
                let now = try await upTimestamps(server)
                return now.count > stored.count
            }
            try await waitFor(within: .seconds(30)) { try await forStateWritten(after: evaluated.addingTimeInterval(1.1), server) }
            committed = try await upTimestamps(server)
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...1000, using: &generator)))
            server.signal(SIGKILL)
            _ = try await server.waitForExit()
            previous = server
        }
        let last = try #require(previous)
        last.keepFiles = false
        let database = try SQLiteDatabase(path: last.storagePath)
        let check = try database.prepare("PRAGMA integrity_check")
        #expect(try check.step())
        #expect(check.string(0) == "ok")
        database.close()
    }
}
