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

    @Test func tsdbStatsReadsAStoreThatServeHoldsAndWriteCommandsAreRefused() async throws {
        let server = try ServerProcess(arguments: [])
        try await server.waitUntilListening()
        // The server has stored at least one scrape of itself before stats is asked.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, !(try await server.get("/api/v1/query?query=up", web: true).body.contains("\"up\"")) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let stats = try await runVigil(["tsdb", "stats", "--storage.path", server.storagePath])
        #expect(stats.status == 0, "\(stats.stderr)")
        let series = stats.stdout.split(separator: "\n").first { $0.hasPrefix("series") }.flatMap { Int($0.split(separator: " ").last ?? "") }
        #expect((series ?? 0) > 0, "\(stats.stdout)")
        let file = server.directory.appendingPathComponent("import.om")
        try Data("up 1 1\n# EOF\n".utf8).write(to: file)
        let write = try await runVigil(["tsdb", "import", file.path, "--storage.path", server.storagePath])
        #expect(write.status == 1)
        #expect(write.stderr.contains("in use by another vigil serve") && write.stderr.contains("/api/v1/status/tsdb"), "\(write.stderr)")
        // The server is unharmed by the reader.
        #expect(try await server.get("/api/v1/status/tsdb", web: true).status == 200)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func portInUseNamesTheAddressAndTheFlag() async throws {
        for (flag, web) in [("--api.listen-address", false), ("--web.listen-address", true)] {
            let port = try freePort()
            let holder = try listeningSocket(port: port)
            defer { close(holder) }
            let arguments = ["serve", flag, "127.0.0.1:\(port)", "--storage.path", FileManager.default.temporaryDirectory
                .appendingPathComponent("vigil-port-\(UUID().uuidString)/vigil.db").path]
                + (web ? ["--api.listen-address", "127.0.0.1:\(try freePort())"] : ["--web.listen-address", "127.0.0.1:\(try freePort())"])
            let result = try await runVigil(arguments)
            #expect(result.status == 1, "\(flag): \(result.stderr)")
            let output = result.stdout + result.stderr
            #expect(output.contains("cannot listen on 127.0.0.1:\(port): the address is already in use") && output.contains("with \(flag)"), "\(output)")
            #expect(!output.contains("Fatal error") && !output.contains("Backtrace") && !output.contains("Usage:"), "\(output)")
        }
    }

    @Test func refusedScrapeIsRecordedWithItsRealDuration() async throws {
        // scrape_timeout 5s: a refused connection must not be held until then.
        let closed = try freePort()
        let server = try ServerProcess(arguments: [], configOverride: """
            global: {scrape_interval: 1s, scrape_timeout: 1s}
            scrape_configs:
              - job_name: closed
                scrape_interval: 5s
                scrape_timeout: 5s
                static_configs: [{targets: ["127.0.0.1:\(closed)"]}]
            """)
        try await server.waitUntilListening()
        let deadline = ContinuousClock.now + .seconds(30)
        var duration: Double?
        while ContinuousClock.now < deadline {
            let body = try await server.get("/api/v1/query?query=scrape_duration_seconds%7Bjob%3D%22closed%22%7D", web: true).body
            if let range = body.range(of: #""value":\[[0-9.]+,"([0-9.e-]+)"\]"#, options: .regularExpression) {
                let value = body[range].split(separator: ",").last?.trimmingCharacters(in: CharacterSet(charactersIn: "\"]"))
                duration = value.flatMap(Double.init)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let stored = try #require(duration, "no scrape_duration_seconds for the closed port: \(server.log)")
        #expect(stored < 0.5, "a refused connection took \(stored) s, against a 5 s timeout")
        let targets = try await server.get("/api/v1/targets", web: true).body
        let json = try #require(try JSONSerialization.jsonObject(with: Data(targets.utf8)) as? [String: Any])
        let active = try #require((json["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]])
        let target = try #require(active.first { ($0["labels"] as? [String: String])?["job"] == "closed" })
        #expect(target["health"] as? String == "down")
        let last = try #require(target["lastScrapeDuration"] as? Double)
        #expect(last < 0.5, "/targets shows \(last) s")
        #expect((target["lastError"] as? String ?? "").lowercased().contains("refused"), "\(target)")
    }

    @Test func backtestDefaultsToTheConfigsEvaluationInterval() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-backtest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("vigil.db").path
        let fill = try await runVigil(["tsdb", "append-synthetic", "--storage.path", store, "--series", "2", "--duration", "10m",
                                       "--start", "1700000000000"])
        #expect(fill.status == 0, "\(fill.stderr)")
        try Data("""
            global: {evaluation_interval: 30s}
            rule_files: [rules.yml]
            """.utf8).write(to: directory.appendingPathComponent("vigil.yml"))
        try Data("""
            groups:
              - name: inherits
                rules: [{alert: Synthetic, expr: 'synthetic_metric_0 > 0'}]
              - name: own
                interval: 2m
                rules: [{alert: SyntheticToo, expr: 'synthetic_metric_1 > 0'}]
            """.utf8).write(to: directory.appendingPathComponent("rules.yml"))
        let range = ["--from", "1700000000", "--to", "1700000600", "--storage.path", store]
        let fromConfig = try await runVigil(["backtest", "--config.file", directory.appendingPathComponent("vigil.yml").path] + range)
        #expect(fromConfig.status == 0, "\(fromConfig.stderr)")
        #expect(fromConfig.stdout.contains("Group inherits is evaluated every 30s (global.evaluation_interval of"), "\(fromConfig.stdout)")
        #expect(fromConfig.stdout.contains("Group own is evaluated every 2m (its interval)"), "\(fromConfig.stdout)")
        // 600 s at 30 s is 21 evaluations, at 2 m 6: 27, as the server would make.
        #expect(fromConfig.stdout.contains(": 27 evaluations"), "\(fromConfig.stdout)")
        let overridden = try await runVigil(["backtest", "--config.file", directory.appendingPathComponent("vigil.yml").path,
                                             "--evaluation-interval", "1m"] + range)
        #expect(overridden.stdout.contains(": 17 evaluations"), "\(overridden.stdout)")
        let missing = try await runVigil(["backtest", "--config.file", directory.appendingPathComponent("nope.yml").path] + range)
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("No configuration file at"), "\(missing.stderr)")
    }
}

/// A socket listening on 127.0.0.1:`port`, to make that address busy; the caller closes it.
func listeningSocket(port: Int) throws -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw CLITestError("socket: \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(descriptor, 1) == 0 else {
        close(descriptor)
        throw CLITestError("cannot listen on 127.0.0.1:\(port): errno \(errno)")
    }
    return descriptor
}
