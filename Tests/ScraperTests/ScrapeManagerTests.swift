import Foundation
import Hummingbird
import Testing
@testable import Config
@testable import Scraper
@testable import TSDB

@Suite struct ScrapeManagerTests {
    @Test func followsFileDiscoveryAndConfigurationChanges() async throws {
        let target = FakeTarget()
        target.set("a 1\n")
        try await target.serve { port in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sd-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let targetsFile = directory.appendingPathComponent("targets.json")
            try Data("[]".utf8).write(to: targetsFile)
            let yaml = """
                global: {scrape_interval: 1s, scrape_timeout: 500ms}
                scrape_configs:
                  - job_name: files
                    file_sd_configs: [{files: ["\(targetsFile.path)"], refresh_interval: 1s}]
                  - job_name: static
                    static_configs: [{targets: ["127.0.0.1:\(port)"], labels: {team: ml}}]
                    relabel_configs:
                      - {source_labels: [team], regex: ops, action: drop}
                """
            let configuration = try PrometheusConfiguration(yaml: yaml, file: "test.yml")
            let store = TimeSeriesStore()
            let manager = ScrapeManager(configuration: configuration, store: store, logger: quietLogger)
            let running = Task { try await manager.run() }
            defer { running.cancel() }

            try await eventually { await manager.activeTargets().map(\.job) == ["static"] }
            try Data(#"[{"targets": ["127.0.0.1:\#(port)"], "labels": {"env": "test"}}]"#.utf8).write(to: targetsFile)
            try await eventually { await manager.activeTargets().map(\.job) == ["files", "static"] }
            try await eventually { await manager.activeTargets().allSatisfy { $0.health == .up } }
            let files = try #require(await manager.activeTargets().first)
            #expect(files.labels["env"] == "test" && files.labels["job"] == "files")
            #expect(files.discoveredLabels["__meta_filepath"] == targetsFile.path)

            // A reload that drops the static job by relabeling stops its loop and lists it as dropped.
            let dropping = yaml.replacingOccurrences(of: "team: ml", with: "team: ops")
            await manager.apply(try PrometheusConfiguration(yaml: dropping, file: "test.yml"))
            #expect(await manager.activeTargets().map(\.job) == ["files"])
            #expect(await manager.droppedTargets().map(\.job) == ["static"])
            let up = try await store.select([try Matcher(.equal, "__name__", "up"), try Matcher(.equal, "job", "static")], mint: .min, maxt: .max)
            try await eventually {
                let samples = try await store.select([try Matcher(.equal, "__name__", "a"), try Matcher(.equal, "job", "static")], mint: .min, maxt: .max)
                return samples.first.map { StaleNaN.isStale($0.samples.last!.v) } ?? false
            }
            #expect(up.first?.samples.isEmpty == false)
            running.cancel()
            try? await running.value
        }
    }
}

/// Polls `condition` until it holds, failing after `timeout`.
func eventually(timeout: Duration = .seconds(90), _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("condition did not hold within \(timeout)")
}
