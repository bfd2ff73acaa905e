import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Config
import Scraper
import Testing
import TSDB
@testable import Web

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// A monitoring server over a small in-memory store, running on a loopback port for the test.
struct MonitoringFixture {
    let store = TimeSeriesStore()
    /// The first sample's time: 150 s ago, rounded to a whole second.
    let base = (Timestamp(Date().timeIntervalSince1970) - 150) * 1000
    let manager: ScrapeManager
    let server: MonitoringServer

    init(config: String = "") throws {
        let configuration = try PrometheusConfiguration(yaml: config, file: "test.yml")
        manager = ScrapeManager(configuration: configuration, store: store, logger: quietLogger)
        let state = ServerState(flags: ["storage.path": "test.db"], storageRetention: "15d", configYAML: config)
        server = MonitoringServer(store: store, scrapeManager: manager, metrics: VigilMetrics(store: store), state: state,
                                  version: "0.1.0-test", logger: quietLogger) { nil }
    }

    /// Two jobs' `up` and a request counter, at 15 s steps over the last 150 s (clients ask about recent times).
    func load() async throws {
        var batch = AppendBatch()
        for step in 0..<10 {
            let t = base + Timestamp(step * 15_000)
            batch.append(labels: ["__name__": "up", "job": "api", "instance": "a:1"], t: t, v: 1)
            batch.append(labels: ["__name__": "up", "job": "vigil", "instance": "b:2"], t: t, v: step < 5 ? 1 : 0)
            batch.append(labels: ["__name__": "requests_total", "job": "api", "instance": "a:1", "code": "200"], t: t, v: Double(step * 10))
        }
        _ = try await store.commit(batch)
        try await store.setMetadata(["up": MetricMetadata(type: "gauge", help: "Target is up.", unit: ""),
                                     "requests_total": MetricMetadata(type: "counter", help: "Requests.", unit: "")])
    }

    func run<T: Sendable>(_ body: @Sendable (any TestClientProtocol, Int) async throws -> T) async throws -> T {
        let app = Application(router: server.makeRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        return try await app.test(.live) { client in try await body(client, client.port!) }
    }
}

func json(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
}

/// Runs Debian's promtool on its own thread, so waiting for it never blocks the server under test;
/// a missing promtool fails the test under CI and skips it elsewhere.
func promtool(_ arguments: [String]) async throws -> (status: Int32, output: String)? {
    let path = "/usr/bin/promtool"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("promtool is not installed (apt-get install prometheus)") }
        return nil
    }
    return try await onOwnThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Runs blocking work on a dedicated thread; the concurrency pool has only as many threads as cores.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
