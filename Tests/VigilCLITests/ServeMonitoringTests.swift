import Foundation
import Testing
@testable import TSDB
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ServeMonitoringTests {
    @Test func serveScrapesItselfStoresSamplesAndKeepsThemAcrossRestart() async throws {
        let server = try ServerProcess(arguments: [])
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
        // The last sample of each is the staleness marker written at shutdown.
        #expect(up.allSatisfy { $0.samples.dropLast().allSatisfy { $0.v == 1 } && StaleNaN.isStale($0.samples.last!.v) })
        let requests = try await store.select([try Matcher(.equal, "__name__", "api_requests_total"),
                                                try Matcher(.equal, "endpoint", "/metrics")], mint: .min, maxt: .max)
        #expect(requests.first?.labels["job"] == "ml-api")
        #expect(await store.metadata()["api_requests_total"]?.type == "counter")
        try await store.close()
    }
}
