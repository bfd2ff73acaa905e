import Foundation
import Testing
@testable import TSDB
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ServeMonitoringTests {
    @Test func serveScrapesItselfStoresSamplesAndKeepsThemAcrossRestart() async throws {
        let server = try ServerProcess(arguments: ["--web.enable-lifecycle"])
        try await server.waitUntilListening()
        #expect(try await server.get("/-/ready", web: true).status == 200)
        #expect(try await server.get("/-/healthy", web: true).body == "Vigil is Healthy.\n")

        // Scrapes of both jobs succeed and land in the store.
        func value(_ series: String, in text: String) -> Double {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) } ?? 0
        }
        let apiSuccesses = #"vigil_target_scrapes_total{job="ml-api",result="success"}"#
        let selfSuccesses = #"vigil_target_scrapes_total{job="vigil",result="success"}"#
        var metrics = ""
        for _ in 0..<300 {
            metrics = try await server.get("/metrics", web: true).body
            if value(apiSuccesses, in: metrics) >= 2 && value(selfSuccesses, in: metrics) >= 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(value(apiSuccesses, in: metrics) >= 2, "\(metrics)")
        #expect(value(selfSuccesses, in: metrics) >= 2)
        #expect(value("vigil_tsdb_head_samples_appended_total", in: metrics) > 50)

        // `vigil query` asks the running server and prints a table; errors exit 1 with the server's message.
        let table = try await runVigil(["query", "up", "--url", "http://127.0.0.1:\(server.webPort)"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.hasPrefix("SERIES"), "\(table.stdout)")
        #expect(table.stdout.contains(#"up{instance="127.0.0.1:\#(server.port)", job="ml-api"}  1"#), "\(table.stdout)")
        let range = try await runVigil(["query", "sum(up)", "--start", "1m", "--step", "10s", "--url", "http://127.0.0.1:\(server.webPort)"])
        #expect(range.status == 0 && range.stdout.hasPrefix("SERIES") && range.stdout.contains("VALUE"), "\(range.stdout)")
        let broken = try await runVigil(["query", "rate(up[5])", "--url", "http://127.0.0.1:\(server.webPort)"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("error (bad_data): invalid parameter \"query\": 1:9: parse error: missing unit character in duration"), "\(broken.stdout)")

        // A broken configuration is refused and the running one kept.
        let good = try String(contentsOfFile: server.configPath, encoding: .utf8)
        try Data("scrape_configs:\n  - job_name: x\n    scrape_intervall: 5s\n".utf8).write(to: URL(fileURLWithPath: server.configPath))
        let refused = try await server.request("/-/reload", method: "POST", body: nil, web: true)
        #expect(refused.status == 500)
        #expect(refused.body.contains("vigil.yml:3:5"), "\(refused.body)")
        try Data(good.utf8).write(to: URL(fileURLWithPath: server.configPath))
        #expect(try await server.request("/-/reload", method: "POST", body: nil, web: true).status == 200)

        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)

        let store = try await TimeSeriesStore(path: server.storagePath, options: .init(retentionMillis: nil))
        let up = try await store.select([try Matcher(.equal, "__name__", "up")], mint: .min, maxt: .max)
        #expect(Set(up.compactMap { $0.labels["job"] }) == ["ml-api", "vigil"])
        // Shutdown leaves the series unended (no staleness markers), so a restart continues them.
        #expect(up.allSatisfy { !$0.samples.isEmpty && $0.samples.allSatisfy { $0.v == 1 } })
        let requests = try await store.select([try Matcher(.equal, "__name__", "api_requests_total"),
                                                try Matcher(.equal, "endpoint", "/metrics")], mint: .min, maxt: .max)
        #expect(requests.first?.labels["job"] == "ml-api")
        #expect(await store.metadata()["api_requests_total"]?.type == "counter")
        try await store.close()
    }
}
