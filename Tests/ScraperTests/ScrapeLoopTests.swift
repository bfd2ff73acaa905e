import AsyncHTTPClient
import OutboundHTTP
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
@testable import Config
@testable import Scraper
@testable import TSDB

/// A real HTTP target on loopback whose `/metrics` answer the test changes between scrapes.
final class FakeTarget: Sendable {
    struct Reply: Sendable {
        var status: HTTPResponse.Status = .ok
        var body = ""
        var contentType = "text/plain; version=0.0.4"
        var delay: Duration = .zero
    }

    let reply = Mutex(Reply())

    func set(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; version=0.0.4", delay: Duration = .zero) {
        reply.withLock { $0 = Reply(status: status, body: body, contentType: contentType, delay: delay) }
    }

    /// Serves until `body` returns, passing the port it listens on.
    func serve<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            let reply = self.reply.withLock { $0 }
            if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
            var headers = HTTPFields()
            headers[.contentType] = reply.contentType
            return Response(status: reply.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        return try await app.test(.live) { client in try await body(client.port!) }
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

final class StatusLog: Sendable {
    let items = Mutex<[TargetStatus]>([])
}

/// A scrape loop for `job` at `127.0.0.1:port`, over an in-memory store, driven by explicit times.
struct LoopHarness {
    let store = TimeSeriesStore()
    let clients: HTTPClientPool
    let loop: ScrapeLoop
    let statuses = StatusLog()

    init(port: Int, configure: (inout ScrapeConfig) -> Void = { _ in }) throws {
        var config = ScrapeConfig(jobName: "api")
        // The timeout is long on purpose: the suite runs CPU-bound tests on the same two-thread pool, and a
        // starved pool must not turn these behaviour checks into timeouts (a timeout may not exceed the interval).
        // Samples get explicit timestamps, so the interval changes nothing else. Timeout tests set their own.
        config.scrapeInterval = .seconds(60)
        config.scrapeTimeout = .seconds(60)
        config.staticConfigs = [TargetGroup(targets: ["127.0.0.1:\(port)"])]
        configure(&config)
        let target = try #require(config.staticTargets.active.first)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.decompression = .enabled(limit: .ratio(100))
        clients = HTTPClientPool(base: clientConfiguration)
        let statuses = self.statuses
        loop = ScrapeLoop(target: ScrapeTargetSpec(config: config, target: target), store: store,
                          fetcher: TargetFetcher(pool: clients), logger: quietLogger) { status, _ in
            statuses.items.withLock { $0.append(status) }
        }
    }

    var lastStatus: TargetStatus? { statuses.items.withLock { $0.last } }

    func samples(_ name: String, _ extra: [Matcher] = []) async throws -> [Series] {
        try await store.select([try Matcher(.equal, "__name__", name)] + extra, mint: .min, maxt: .max)
    }

    /// The samples of the first series named `name`, or none.
    func first(_ name: String) async throws -> [Sample] {
        try await samples(name).first?.samples ?? []
    }

    func value(_ name: String) async throws -> [Double] {
        try await samples(name).first?.samples.map(\.v) ?? []
    }

    func shutdown() async throws { await clients.shutdown() }
}

let healthyBody = """
# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{path="/a"} 10
http_requests_total{path="/b"} 3
# TYPE temperature gauge
temperature 21.5
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 1.0
latency_seconds_bucket{le="1.0"} 2.0
latency_seconds_bucket{le="+Inf"} 2.0
latency_seconds_sum 0.7
latency_seconds_count 2

"""

@Suite struct ScrapeLoopTests {
    /// Prometheus compares label values as bytes: a target exposing "café" in NFC and in NFD has two series.
    @Test func unicodeNormalisationFormsAreScrapedAsTwoSeries() async throws {
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let target = FakeTarget()
        target.set("m{path=\"\(nfc)\"} 1\nm{path=\"\(nfd)\"} 2\n")
        try await target.serve { port in
            let harness = try LoopHarness(port: port)
            await harness.loop.scrapeOnce(at: 1_000_000)
            await harness.loop.scrapeOnce(at: 1_015_000)
            let series = try await harness.samples("m")
            #expect(series.count == 2)
            #expect(series.map { Array($0.labels["path"]!.utf8) } == [Array(nfd.utf8), Array(nfc.utf8)])
            #expect(series.map { $0.samples.map(\.v) } == [[2, 2], [1, 1]])
            let selected = try await harness.samples("m", [try Matcher(.equal, "path", nfc)])
            #expect(selected.map { $0.samples.map(\.v) } == [[1, 1]])
            #expect(try await harness.value("scrape_series_added") == [2, 0])
            try await harness.shutdown()
        }
    }

    @Test func healthyTargetIsStoredWithTargetLabelsAndSyntheticSeries() async throws {
        let target = FakeTarget()
        target.set(healthyBody)
        try await target.serve { port in
            let harness = try LoopHarness(port: port)
            await harness.loop.scrapeOnce(at: 1_000_000)
            await harness.loop.scrapeOnce(at: 1_015_000)
            let requests = try await harness.samples("http_requests_total")
            #expect(requests.map(\.labels) == [
                ["__name__": "http_requests_total", "instance": "127.0.0.1:\(port)", "job": "api", "path": "/a"],
                ["__name__": "http_requests_total", "instance": "127.0.0.1:\(port)", "job": "api", "path": "/b"],
            ])
            #expect(try #require(requests.first).samples == [Sample(t: 1_000_000, v: 10), Sample(t: 1_015_000, v: 10)])
            #expect(try await harness.value("up") == [1, 1])
            #expect(try await harness.value("scrape_samples_scraped") == [8, 8])
            #expect(try await harness.value("scrape_samples_post_metric_relabeling") == [8, 8])
            #expect(try await harness.value("scrape_series_added") == [8, 0])
            // Measured (not zero, not a constant); on a loaded machine the timer itself can run late, so the bound is loose.
            let durations = try await harness.value("scrape_duration_seconds")
            #expect(durations.count == 2 && durations.allSatisfy { $0 > 0 && $0 < 60 }, "\(durations)")
            let buckets = try await harness.samples("latency_seconds_bucket")
            #expect(buckets.compactMap { $0.labels["le"] } == ["+Inf", "0.1", "1.0"])
            let status = try #require(harness.lastStatus)
            #expect(status.health == .up && status.lastError.isEmpty)
            let metadata = await harness.store.metadata()
            #expect(metadata["http_requests_total"] == MetricMetadata(type: "counter", help: "Requests.", unit: ""))
            #expect(metadata["latency_seconds"]?.type == "histogram")
            try await harness.shutdown()
        }
    }

    @Test(arguments: [
        ("metric{a=\"1\" 5\n", "parse error at line 1"),
        ("ok 1\nbad value here\n", "parse error at line 2"),
    ])
    func malformedBodyFailsTheWholeScrape(body: String, error: String) async throws {
        let target = FakeTarget()
        target.set(body)
        try await target.serve { port in
            let harness = try LoopHarness(port: port)
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(try await harness.value("up") == [0])
            #expect(try await harness.samples("ok").isEmpty, "half a scrape must not be stored")
            let status = try #require(harness.lastStatus)
            #expect(status.health == .down)
            #expect(status.lastError.hasPrefix(error), "\(status.lastError)")
            try await harness.shutdown()
        }
    }

    @Test func slowTargetTimesOut() async throws {
        let target = FakeTarget()
        target.set(healthyBody, delay: .seconds(5))
        try await target.serve { port in
            let harness = try LoopHarness(port: port) { $0.scrapeTimeout = .init(milliseconds: 200) }
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(try await harness.value("up") == [0])
            #expect(harness.lastStatus?.lastError == "context deadline exceeded")
            try await harness.shutdown()
        }
    }

    @Test func oversizedBodyFailsTheScrape() async throws {
        let target = FakeTarget()
        target.set(healthyBody)
        try await target.serve { port in
            let harness = try LoopHarness(port: port) { $0.bodySizeLimit = ByteSize(bytes: 100) }
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(try await harness.value("up") == [0])
            #expect(harness.lastStatus?.lastError.hasPrefix("body size limit exceeded") == true)
            #expect(try await harness.samples("temperature").isEmpty)
            try await harness.shutdown()
        }
    }

    @Test func serverErrorIsReported() async throws {
        let target = FakeTarget()
        target.set("oops", status: .internalServerError)
        try await target.serve { port in
            let harness = try LoopHarness(port: port)
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(try await harness.value("up") == [0])
            #expect(harness.lastStatus?.lastError == "server returned HTTP status 500 Internal Server Error")
            try await harness.shutdown()
        }
    }

    @Test func sampleLimitFailsTheScrape() async throws {
        let target = FakeTarget()
        target.set(healthyBody)
        try await target.serve { port in
            let harness = try LoopHarness(port: port) { $0.sampleLimit = 5 }
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(try await harness.value("up") == [0])
            #expect(harness.lastStatus?.lastError == "sample limit exceeded: more than 5 samples")
            try await harness.shutdown()
        }
    }

    @Test func labelLimitsFailTheScrapeOnEveryAttempt() async throws {
        let target = FakeTarget()
        target.set("wide{a=\"1\",b=\"2\",c=\"3\"} 1\n")
        try await target.serve { port in
            let harness = try LoopHarness(port: port) { $0.labelLimit = 4 }
            // __name__, a, b, c, instance and job: six labels.
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(harness.lastStatus?.lastError == "label_limit exceeded (metric: wide, number of labels: 6, limit: 4)")
            await harness.loop.scrapeOnce(at: 1_015_000)
            #expect(try await harness.value("up") == [0, 0])
            #expect(harness.lastStatus?.lastError.hasPrefix("label_limit exceeded") == true)
            try await harness.shutdown()
        }
    }

    @Test func labelLengthLimitsNameTheLabel() async throws {
        let target = FakeTarget()
        target.set("m{long_label_name=\"short\"} 1\nn{a=\"a much longer value\"} 1\n")
        try await target.serve { port in
            let names = try LoopHarness(port: port) { $0.labelNameLengthLimit = 10 }
            await names.loop.scrapeOnce(at: 1_000_000)
            #expect(names.lastStatus?.lastError
                == "label_name_length_limit exceeded (metric: m, label name: long_label_name, length: 15, limit: 10)")
            try await names.shutdown()
            // 16 bytes: longer than any `instance` value (127.0.0.1:PORT), shorter than the long value.
            let values = try LoopHarness(port: port) { $0.labelValueLengthLimit = 16 }
            await values.loop.scrapeOnce(at: 1_000_000)
            #expect(values.lastStatus?.lastError
                == "label_value_length_limit exceeded (metric: n, label name: a, value: \"a much longer value\", length: 19, limit: 16)")
            try await values.shutdown()
        }
    }

    @Test func vanishedSeriesAndDownTargetsGetStalenessMarkers() async throws {
        let target = FakeTarget()
        target.set("a 1\nb 2\n")
        try await target.serve { port in
            let harness = try LoopHarness(port: port)
            await harness.loop.scrapeOnce(at: 1_000_000)
            target.set("a 1\n")
            await harness.loop.scrapeOnce(at: 1_015_000)
            let b = try await harness.first("b")
            try #require(b.count == 2)
            #expect(b[0] == Sample(t: 1_000_000, v: 2) && b[1].t == 1_015_000 && StaleNaN.isStale(b[1].v))
            // The target goes away: its remaining series end too, once.
            target.set("", status: .serviceUnavailable)
            await harness.loop.scrapeOnce(at: 1_030_000)
            await harness.loop.scrapeOnce(at: 1_045_000)
            let a = try await harness.first("a")
            try #require(a.count == 3)
            #expect(StaleNaN.isStale(a[2].v) && a[2].t == 1_030_000)
            #expect(try await harness.first("b").count == 2)
            #expect(try await harness.value("up") == [1, 1, 0, 0])
            try await harness.shutdown()
        }
    }

    @Test func restartedTargetResetsItsCounterWithoutLosingSamples() async throws {
        let target = FakeTarget()
        target.set("requests_total 100\n")
        try await target.serve { port in
            let harness = try LoopHarness(port: port)
            await harness.loop.scrapeOnce(at: 1_000_000)
            target.set("", status: .serviceUnavailable)
            await harness.loop.scrapeOnce(at: 1_015_000)
            target.set("requests_total 3\n")
            await harness.loop.scrapeOnce(at: 1_030_000)
            let samples = try await harness.first("requests_total")
            #expect(samples.map(\.t) == [1_000_000, 1_015_000, 1_030_000])
            try #require(samples.count == 3)
            #expect(samples[0].v == 100 && StaleNaN.isStale(samples[1].v) && samples[2].v == 3)
            #expect(harness.lastStatus?.health == .up)
            try await harness.shutdown()
        }
    }

    @Test func targetLabelsWinUnlessHonorLabelsIsSet() async throws {
        let target = FakeTarget()
        target.set("m{job=\"other\",instance=\"x\"} 1\n")
        try await target.serve { port in
            let plain = try LoopHarness(port: port)
            await plain.loop.scrapeOnce(at: 1_000_000)
            let labels = try #require(try await plain.samples("m").first?.labels)
            #expect(labels["job"] == "api" && labels["exported_job"] == "other" && labels["exported_instance"] == "x")
            let honoring = try LoopHarness(port: port) { $0.honorLabels = true }
            await honoring.loop.scrapeOnce(at: 1_000_000)
            let honored = try #require(try await honoring.samples("m").first?.labels)
            #expect(honored["job"] == "other" && honored["instance"] == "x" && honored["exported_job"] == nil)
            try await plain.shutdown()
            try await honoring.shutdown()
        }
    }

    @Test func metricRelabelingDropsSeriesBeforeStorage() async throws {
        let target = FakeTarget()
        target.set(healthyBody)
        try await target.serve { port in
            let harness = try LoopHarness(port: port) { config in
                config.metricRelabelConfigs = [RelabelConfig(sourceLabels: ["__name__"], regex: try! GoRegex(anchored: "latency_.*"), action: .drop)]
            }
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(try await harness.samples("latency_seconds_bucket").isEmpty)
            #expect(try await harness.value("scrape_samples_scraped") == [8])
            #expect(try await harness.value("scrape_samples_post_metric_relabeling") == [3])
            try await harness.shutdown()
        }
    }

    @Test func openMetricsTimestampsAreSecondsAndHonored() async throws {
        let target = FakeTarget()
        target.set("# TYPE g gauge\ng 5 1000.5\n# EOF\n", contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8")
        try await target.serve { port in
            let harness = try LoopHarness(port: port)
            await harness.loop.scrapeOnce(at: 2_000_000)
            #expect(try await harness.first("g") == [Sample(t: 1_000_500, v: 5)])
            let ignoring = try LoopHarness(port: port) { $0.honorTimestamps = false }
            await ignoring.loop.scrapeOnce(at: 2_000_000)
            #expect(try await ignoring.first("g") == [Sample(t: 2_000_000, v: 5)])
            try await harness.shutdown()
            try await ignoring.shutdown()
        }
    }
}
