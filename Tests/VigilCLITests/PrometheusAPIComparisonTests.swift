import Foundation
import Testing

/// Vigil and Debian's Prometheus 2.42 side by side on the same data: what a real client library gets back,
/// and what the HTTP API answers, must agree.
@Suite(.serialized) struct PrometheusAPIComparisonTests {
    /// `prometheus-api-client` (PyPI, pinned in Fixtures/prometheus-api-client/requirements.txt) drives both servers
    /// through `custom_query`, `custom_query_range`, `get_metric_range_data`, `all_metrics`, `get_label_values` and
    /// friends, and builds its DataFrames; every answer must be the same.
    @Test(.enabled(if: ComparisonPeers.shouldRun, "prometheus, promtool or python3 is not installed"), .timeLimit(.minutes(10)))
    func pythonClientGetsTheSameFramesFromBoth() async throws {
        try ComparisonPeers.requireInstalled()
        let python: URL
        do { python = try await PythonClientEnvironment.python() } catch {
            try ComparisonPeers.unavailable("prometheus-api-client could not be installed: \(error)")
        }
        let pair = try await BackfilledPair(config: "global: {scrape_interval: 15s}\n")
        let driver = PythonClientEnvironment.fixtures.appendingPathComponent("drive.py").path
        let arguments = [String(pair.first), String(pair.last)]
        let fromPrometheus = try await runProgram(python.path, [driver, pair.prometheus.baseURL] + arguments)
        let fromVigil = try await runProgram(python.path, [driver, pair.vigilBaseURL] + arguments)
        try #require(fromPrometheus.status == 0, "driver against prometheus: \(fromPrometheus.stderr.suffix(3000))")
        try #require(fromVigil.status == 0, "driver against vigil: \(fromVigil.stderr.suffix(3000))")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(fromPrometheus.stdout.utf8)) as? [String: Any])
        let actual = try #require(try JSONSerialization.jsonObject(with: Data(fromVigil.stdout.utf8)) as? [String: Any])

        #expect(Set(actual.keys) == Set(expected.keys))
        var differing: [String] = []
        for key in expected.keys.sorted() {
            let want = canonicalJSON(expected[key]!), got = actual[key].map(canonicalJSON) ?? "(missing)"
            if want != got {
                differing.append(key)
                Issue.record("\(key)\n  prometheus: \(want.prefix(1500))\n  vigil:      \(got.prefix(1500))")
            }
        }
        // The comparison must have had something to compare: answers with data, frames, and errors.
        #expect(expected.count > 150, "only \(expected.count) answers")
        let withData = expected.values.filter { ($0 as? [Any])?.isEmpty == false || ($0 as? [String: Any])?["data"] != nil }
        #expect(withData.count > 100, "only \(withData.count) answers carry data")
        #expect(expected.keys.contains { $0.hasPrefix("MetricRangeDataFrame") } && expected.keys.contains { $0.hasPrefix("MetricSnapshotDataFrame") })
        #expect(fromPrometheus.stdout.contains("e-07") && fromPrometheus.stdout.contains("e+21"), "tiny and huge values were not exercised")
        #expect(fromPrometheus.stdout.contains("東京") && fromPrometheus.stdout.contains(#"New \"York\" \\ City"#))
        #expect((expected["custom_query bad query"] as? [String: Any])?["exception"] as? String == "HTTP Status Code 400")
        #expect((expected["get_metric_aggregation"] as? [String: Any])?.count == 7)
        if !differing.isEmpty { print("prometheus-api-client: \(differing.count) of \(expected.count) answers differ") }
    }

    /// The endpoints Grafana and other clients call, against both servers scraping one static target with one
    /// Alertmanager configured: status codes and bodies must be equal, except where Prometheus reports its own
    /// internals (WAL segments), where the JSON shape must be.
    @Test(.enabled(if: ComparisonPeers.shouldRun, "prometheus, promtool or python3 is not installed"), .timeLimit(.minutes(5)))
    func clientEndpointsAnswerLikePrometheus() async throws {
        try ComparisonPeers.requireInstalled()
        let target = try StaticTarget()
        let alertmanagerPort = try freePort()
        let config = """
            global: {scrape_interval: 1s, scrape_timeout: 500ms}
            alerting:
              alertmanagers:
                - static_configs: [{targets: ["127.0.0.1:\(alertmanagerPort)"]}]
            scrape_configs:
              - job_name: shop
                metrics_path: /metrics.txt
                static_configs: [{targets: ["127.0.0.1:\(target.port)"]}]
            """
        try await target.waitUntilServing()
        let pair = try await BackfilledPair(config: config)
        let servers = [pair.prometheus.baseURL, pair.vigilBaseURL]

        // Both must have scraped the target and discovered the Alertmanager before they can agree.
        let deadline = ContinuousClock.now + .seconds(60)
        for base in servers {
            while true {
                let metadata = try await httpGet(base + "/api/v1/targets/metadata")
                let managers = try await httpGet(base + "/api/v1/alertmanagers")
                if metadata.body.contains("shop_rpc_seconds"), managers.body.contains("\(alertmanagerPort)") { break }
                guard ContinuousClock.now < deadline else {
                    Issue.record("\(base) did not scrape and discover in time: \(metadata.body) \(managers.body)")
                    return
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        var compared = 0
        for request in Self.requests(first: pair.first, last: pair.last) {
            let form = formEncoded(request.parameters)
            let url = "/api/v1/\(request.path)" + (request.post || form.isEmpty ? "" : "?" + form)
            let expected = try await httpRequest(servers[0] + url, form: request.post ? form : nil)
            let actual = try await httpRequest(servers[1] + url, form: request.post ? form : nil)
            compared += 1
            #expect(actual.status == expected.status, "\(url): status \(actual.status), Prometheus \(expected.status)\n  vigil: \(actual.body.prefix(600))")
            if request.comparison == .bytes || expected.body.isEmpty || actual.body.isEmpty {
                #expect(actual.body == expected.body, "\(url): body \(actual.body.prefix(600)), Prometheus \(expected.body.prefix(600))")
                continue
            }
            let want = try JSONSerialization.jsonObject(with: Data(expected.body.utf8), options: .fragmentsAllowed)
            let got = try JSONSerialization.jsonObject(with: Data(actual.body.utf8), options: .fragmentsAllowed)
            let (wantText, gotText): (String, String)
            switch request.comparison {
            case .equal, .bytes: (wantText, gotText) = (canonicalJSON(want), canonicalJSON(got))
            case .shape: (wantText, gotText) = (jsonShape(want), jsonShape(got))
            case .count:
                let count = { (value: Any) in (((value as? [String: Any])?["data"]) as? [String: Any])?.count ?? -1 }
                (wantText, gotText) = ("\(count(want)) entries", "\(count(got)) entries")
            case .targetLabels:
                // Who is listed where: each target's pool, health and labels, without its scrape timings.
                let summary = { (value: Any) -> String in
                    let data = ((value as? [String: Any])?["data"] as? [String: Any]) ?? [:]
                    return canonicalJSON(data.mapValues { list in
                        ((list as? [[String: Any]]) ?? []).map { target in
                            target.filter { ["scrapePool", "health", "labels", "discoveredLabels", "scrapeUrl"].contains($0.key) }
                        }
                    })
                }
                (wantText, gotText) = (summary(want), summary(got))
            }
            #expect(gotText == wantText, "\(url)\n  prometheus: \(wantText.prefix(1500))\n  vigil:      \(gotText.prefix(1500))")
        }
        #expect(compared > 100)
        print("compared \(compared) API requests with Prometheus 2.42")
    }

    enum Comparison { case equal, shape, count, targetLabels, bytes }

    struct Request {
        var path: String
        var parameters: [(String, String)] = []
        var comparison = Comparison.equal
        /// Sent as a form-encoded POST body instead of a query string.
        var post = false
    }

    /// Requests over the backfilled window (where no scraped sample falls) and over the scraped target's metadata.
    static func requests(first: Int, last: Int) -> [Request] {
        let middle = first + (last - first) / 2
        let (f, m, l) = (String(first), String(middle), String(last))
        var requests: [Request] = []
        func add(_ path: String, _ parameters: [(String, String)] = [], _ comparison: Comparison = .equal, post: Bool = false) {
            requests.append(Request(path: path, parameters: parameters, comparison: comparison, post: post))
        }
        // Instant and range queries on the same samples, and what they say about bad input.
        for query in ["temperature_celsius", "rate(http_requests_total[5m])", "sum by (le) (request_duration_seconds_bucket)",
                      "rpc_latency_seconds", "scalar(sum(build_info))", #""ünïcødé""#, #"temperature_celsius{city=~"S.*|東京"}"#,
                      "histogram_quantile(0.9, rate(request_duration_seconds_bucket[10m]))", "short_lived", "late_starter"] {
            for time in [f, m, l] { add("query", [("query", query), ("time", time)]) }
            add("query_range", [("query", query), ("start", String(first - 600)), ("end", String(last + 600)), ("step", "300")])
        }
        add("query_range", [("query", "http_requests_total"), ("start", m), ("end", String(middle + 120)), ("step", "15.0009")])
        add("query_range", [("query", "mystery"), ("start", "\(first - 60).5"), ("end", "\(first + 600).25"), ("step", "45")])
        for bad in [[("query", "sum(")], [("query", "up"), ("time", "abc")], [("query", "rate(up)")], [("query", "up"), ("timeout", "x")]] {
            add("query", bad)
        }
        for bad in [[("query", "up"), ("start", "2"), ("end", "1"), ("step", "1")], [("query", "up"), ("start", "1"), ("end", "2"), ("step", "0")],
                    [("query", "up"), ("start", "1"), ("end", "2")], [("query", "up"), ("start", "x"), ("end", "2"), ("step", "1")],
                    [("query", "up"), ("start", "0"), ("end", "100000000"), ("step", "1")]] {
            add("query_range", bad)
        }
        // Series, label names and label values, with and without selectors and windows.
        add("series", [("match[]", "temperature_celsius"), ("start", f), ("end", l)])
        add("series", [("match[]", #"{__name__=~"short_lived|late_starter"}"#), ("start", String(last - 600)), ("end", l)])
        add("series", [("match[]", "rpc_latency_seconds"), ("match[]", "build_info"), ("start", f), ("end", l)])
        add("series", [("match[]", "late_starter"), ("start", f), ("end", String(first + 7199))])
        for bad in ["sum(", "{}", #"{a=~".*"}"#, "up[5m]", "up offset 1m", "1", ""] { add("series", [("match[]", bad)]) }
        add("series")
        add("series", [("match[]", "up"), ("start", "abc")])
        add("labels", [("start", f), ("end", l)])
        add("labels", [("start", f), ("end", String(first + 7199))])
        add("labels", [("match[]", "rpc_latency_seconds"), ("start", f), ("end", l)])
        add("labels", [("match[]", "{}")])
        add("labels", [("end", "abc")])
        add("label/__name__/values", [("start", f), ("end", l)])
        add("label/__name__/values", [("start", String(first + 14400)), ("end", l)])
        add("label/city/values")
        add("label/city/values", [("match[]", #"temperature_celsius{city!="Zürich"}"#)])
        add("label/phase/values", [("start", String(first + 7200)), ("end", String(first + 14399))])
        add("label/phase/values", [("start", f), ("end", l)])
        add("label/1x/values")
        add("label/job/values", [("match[]", "sum(")])
        add("label/job/values", [("start", "x")])
        // Metadata of the scraped target, per family.
        add("metadata")
        add("metadata", [("metric", "shop_queue_depth")])
        add("metadata", [("metric", "shop_latency_seconds_bucket")])
        add("metadata", [("limit", "2")], .count)
        add("metadata", [("limit", "0")])
        add("metadata", [("limit", "")])
        add("metadata", [("limit", "1.5")])
        add("targets/metadata")
        add("targets/metadata", [("metric", "shop_latency_seconds")])
        add("targets/metadata", [("metric", "shop_latency_seconds_bucket")])
        add("targets/metadata", [("metric", "shop_untyped")])
        add("targets/metadata", [("match_target", #"{job="shop"}"#), ("metric", "shop_orders_total")])
        add("targets/metadata", [("match_target", #"{job="nope"}"#)])
        add("targets/metadata", [("match_target", "{}")])
        add("targets/metadata", [("match_target", "sum(")])
        add("targets/metadata", [("match_target", "1")])
        for limit in ["0", "1", "-1", "", "x"] { add("targets/metadata", [("limit", limit)]) }
        // Exemplars (none stored by either), query formatting, Alertmanagers, WAL replay.
        add("query_exemplars", [("query", "shop_orders_total"), ("start", f), ("end", l)])
        add("query_exemplars", [("query", "rate(temperature_celsius[5m])")])
        for bad in [[("query", "sum(")], [("query", "up"), ("start", "abc")], [("query", "up"), ("start", "10"), ("end", "5")], [("query", "1")], []] {
            add("query_exemplars", bad)
        }
        for query in ["sum(rate(x[5m]))by(a)", #"a and on(b) group_left(c) d{e=~"f"} offset 5m"#, "-(1+2)^3", "up[5m:1m] @ start()",
                      #"topk(3, {__name__="x"}) / ignoring(a) bool 2"#, "sum(", "1 +", "", "rate(up)", #"{a="東京"}"#] {
            add("format_query", [("query", query)])
        }
        add("alertmanagers")
        add("status/walreplay", [], .shape)
        // Targets: which ones are listed, and in what shape (scrape times and durations differ).
        add("scrape_pools")
        for filter in [[], [("scrapePool", "shop")], [("scrapePool", "nope")], [("state", "active")], [("state", "dropped")], [("state", "bogus")]] {
            add("targets", filter, .shape)
            add("targets", filter, .targetLabels)
        }
        for path in ["status/buildinfo", "status/runtimeinfo", "status/tsdb", "status/config", "rules", "alerts"] { add(path, [], .shape) }
        for type in ["alert", "record", "Bogus"] { add("rules", [("type", type)]) }
        // Byte for byte: number spelling (1e-07, 1e+21), string escaping (<, >, &, U+2028), key order.
        add("query", [("query", "temperature_celsius"), ("time", m)], .bytes)
        add("query", [("query", "\"a\\u2028b\\u2029<>&\\\"'\""), ("time", m)], .bytes)
        add("query_range", [("query", #"temperature_celsius{city=~"São.*|東京"}"#), ("start", f), ("end", m), ("step", "1800")], .bytes)
        add("series", [("match[]", "temperature_celsius"), ("start", f), ("end", l)], .bytes)
        add("labels", [("start", f), ("end", l)], .bytes)
        add("label/city/values", [("start", f), ("end", l)], .bytes)
        add("format_query", [("query", #"sum by (a) (rate(x{b="<&>"}[5m]))"#)], .bytes)
        add("query", [("query", "sum(")], .bytes)
        // Form bodies, which clients send for long queries, where Prometheus takes them.
        add("query", [("query", #"temperature_celsius{city="東京"} + 1"#), ("time", m)], post: true)
        add("query_range", [("query", "rate(http_requests_total[5m])"), ("start", f), ("end", l), ("step", "900")], post: true)
        add("series", [("match[]", "rpc_latency_seconds"), ("start", f), ("end", l)], post: true)
        add("labels", [("match[]", "build_info"), ("start", f), ("end", l)], post: true)
        add("format_query", [("query", "sum(x)by(y)")], post: true)
        add("query_exemplars", [("query", "up")], post: true)
        add("query", [("query", "sum(")], post: true)
        return requests
    }
}

/// A static exposition (`/metrics.txt`, text format) served by Python's http.server, for both servers to scrape.
final class StaticTarget {
    let process = Process()
    let port: Int
    let directory: URL

    static let exposition = """
        # HELP shop_orders_total Orders placed, by currency.
        # TYPE shop_orders_total counter
        shop_orders_total{currency="€"} 17
        shop_orders_total{currency="¥"} 3
        # HELP shop_queue_depth Items waiting — in the queue "now".
        # TYPE shop_queue_depth gauge
        shop_queue_depth 4
        # HELP shop_latency_seconds Checkout latency.
        # TYPE shop_latency_seconds histogram
        shop_latency_seconds_bucket{le="0.5"} 3
        shop_latency_seconds_bucket{le="+Inf"} 5
        shop_latency_seconds_sum 2.5
        shop_latency_seconds_count 5
        # HELP shop_rpc_seconds RPC time.
        # TYPE shop_rpc_seconds summary
        shop_rpc_seconds{quantile="0.5"} 0.1
        shop_rpc_seconds_sum 1
        shop_rpc_seconds_count 10
        shop_untyped 1

        """

    init() throws {
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-static-target-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(Self.exposition.utf8).write(to: directory.appendingPathComponent("metrics.txt"))
        process.executableURL = URL(fileURLWithPath: ComparisonPeers.python)
        process.arguments = ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func waitUntilServing(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let answer = try? await httpGet("http://127.0.0.1:\(port)/metrics.txt"), answer.status == 200 { return }
            guard process.isRunning else { throw CLITestError("http.server exited early") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CLITestError("http.server did not serve within \(timeout)")
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}
