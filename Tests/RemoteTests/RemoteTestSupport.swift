import Config
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Model
@testable import Remote
import Scraper
import SwiftProtobuf
import Testing
import TSDB
import Web

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// A temporary directory removed when the value goes away.
final class TemporaryDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-remote-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A Vigil monitoring server over `store`, with the remote-write receiver on or off.
func monitoringServer(store: TimeSeriesStore, receiver: Bool, config: String = "") throws -> MonitoringServer {
    let configuration = try PrometheusConfiguration(yaml: config, file: "test.yml")
    let state = ServerState(flags: ["web.enable-remote-write-receiver": String(receiver)], storageRetention: "15d", configYAML: config)
    return MonitoringServer(store: store, scrapeManager: ScrapeManager(configuration: configuration, store: store, logger: quietLogger),
                            metrics: VigilMetrics(store: store), state: state, version: "test", logger: quietLogger) { nil }
}

/// A snappy-compressed WriteRequest of the given series.
func writeRequest(_ series: [(labels: [String: String], samples: [(Timestamp, Double)])]) throws -> [UInt8] {
    var request = Prometheus_WriteRequest()
    request.timeseries = series.map { entry in
        var wire = Prometheus_TimeSeries()
        wire.labels = entry.labels.sorted { $0.key < $1.key }.map { name, value in
            var label = Prometheus_Label()
            label.name = name
            label.value = value
            return label
        }
        wire.samples = entry.samples.map { t, v in
            var sample = Prometheus_Sample()
            sample.timestamp = t
            sample.value = v
            return sample
        }
        return wire
    }
    return Snappy.compress(try request.serializedBytes())
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; false on timeout.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Every sample of every series in `store`.
func allSamples(_ store: TimeSeriesStore) async throws -> [Series] {
    try await store.select([try Matcher(.regexMatch, "__name__", ".+")], mint: .min, maxt: .max)
}

/// The value of one metric line (`name{labels}`) in exposition text, or nil.
func metricValue(_ text: String, _ prefix: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(prefix + " ") {
        return Double(line.split(separator: " ").last ?? "")
    }
    return nil
}
