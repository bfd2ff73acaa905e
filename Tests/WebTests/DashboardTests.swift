import Foundation
import Hummingbird
import HummingbirdTesting
import PromQL
import Testing
import WebSecurity
import TSDB
@testable import Web

/// The repository root, found from this file's real location.
private let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let dashboardPath = repositoryRoot.appendingPathComponent("dashboards/ml-api-dashboard.json").path
private let dashboardsDirectory = repositoryRoot.appendingPathComponent("dashboards").path

/// The seed dashboard's panels: title, Grafana panel type, and queries in order.
private let expectedPanels: [(title: String, type: String, exprs: [String])] = [
    ("API Status", "stat", [#"up{job="ml-api"}"#]),
    ("Model Status", "stat", ["model_loaded"]),
    ("Request Rate per endpoint", "timeseries", ["sum by (endpoint) (rate(api_requests_total[1m])) * 60"]),
    ("Request Latency p50/p95/p99", "timeseries", ["0.5", "0.95", "0.99"].map {
        "histogram_quantile(\($0), sum by (le) (rate(api_request_duration_seconds_bucket[5m])))"
    }),
    ("Model Inference Time p50/p95/p99", "timeseries", ["0.5", "0.95", "0.99"].map {
        "histogram_quantile(\($0), sum by (le) (rate(model_inference_duration_seconds_bucket[5m])))"
    }),
    ("Predictions per Outcome", "timeseries", ["sum by (outcome) (rate(predictions_total[1m])) * 60"]),
    ("Error Rate by endpoint and type", "timeseries", ["sum by (endpoint, error_type) (rate(api_errors_total[1m])) * 60"]),
    ("Active Requests", "gauge", ["api_active_requests"]),
    ("Feature Drift (PSI)", "timeseries", ["model_feature_drift_psi"]),
]

/// A router with the query API and the dashboard routes over `fixture`'s store, behind the guard `vigil serve` puts
/// in front (so the browser tests run under its Content-Security-Policy).
func dashboardRouter(_ fixture: MonitoringFixture, directory: String = dashboardsDirectory, file: String = "ml-api-dashboard.json") -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: WebGuard(configuration: .open, enableLifecycle: false).middleware())
    fixture.server.api.addRoutes(to: router)
    DashboardRoutes(dashboardsDirectory: directory, defaultFile: file, querier: fixture.store).addRoutes(to: router)
    return router
}

/// An hour of data shaped like the ML API's metrics at 15 s scrapes, ending now.
func loadSeedShapedHour(into store: TimeSeriesStore) async throws {
    let now = Timestamp(Date().timeIntervalSince1970) * 1000
    let steps = 241
    let start = now - Timestamp(steps - 1) * 15_000
    var rng = SplitMix(seed: 42)
    let api = ["job": "ml-api", "instance": "127.0.0.1:8002"]
    let endpoints: [(method: String, endpoint: String, status: String, perStep: Double, latency: Double)] = [
        ("POST", "/predict", "200", 30, 0.04), ("POST", "/predict", "422", 3, 0.01),
        ("GET", "/health", "200", 4, 0.003), ("GET", "/metrics", "200", 1, 0.006),
    ]
    let requestBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, .infinity]
    let inferenceBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, .infinity]
    var requests = [Double](repeating: 0, count: endpoints.count)
    var requestBucketCounts = [[Double]](repeating: [Double](repeating: 0, count: requestBuckets.count), count: endpoints.count)
    var inferenceCounts = [Double](repeating: 0, count: inferenceBuckets.count)
    var predictions = (diabetic: 0.0, nonDiabetic: 0.0)
    var errors = (validation: 0.0, invalidJSON: 0.0)
    var batch = AppendBatch()
    func add(_ labels: [String: String], _ t: Timestamp, _ v: Double) {
        batch.append(labels: Labels(api.merging(labels) { $1 }), t: t, v: v)
    }
    func le(_ bound: Double) -> String { bound.isInfinite ? "+Inf" : HTML.value(bound) }
    for step in 0..<steps {
        let t = start + Timestamp(step) * 15_000
        // A traffic burst in the middle of the hour makes the charts worth looking at.
        let load = 1 + 1.5 * exp(-pow(Double(step - 150) / 25, 2)) + 0.3 * sin(Double(step) / 12)
        for (index, endpoint) in endpoints.enumerated() {
            let count = (endpoint.perStep * load * (0.8 + 0.4 * rng.next())).rounded()
            requests[index] += count
            for _ in 0..<Int(count) {
                let duration = endpoint.latency * load * (0.3 + 2 * rng.next() * rng.next())
                for (b, bound) in requestBuckets.enumerated() where duration <= bound { requestBucketCounts[index][b] += 1 }
                if endpoint.endpoint == "/predict", endpoint.status == "200" {
                    let inference = 0.002 * load * (0.5 + 2 * rng.next() * rng.next())
                    for (b, bound) in inferenceBuckets.enumerated() where inference <= bound { inferenceCounts[b] += 1 }
                    if rng.next() < 0.35 { predictions.diabetic += 1 } else { predictions.nonDiabetic += 1 }
                }
            }
            let series = ["__name__": "api_requests_total", "method": endpoint.method, "endpoint": endpoint.endpoint, "status": endpoint.status]
            add(series, t, requests[index])
            for (b, bound) in requestBuckets.enumerated() {
                add(["__name__": "api_request_duration_seconds_bucket", "method": endpoint.method, "endpoint": endpoint.endpoint, "le": le(bound)],
                    t, requestBucketCounts[index][b])
            }
        }
        for (b, bound) in inferenceBuckets.enumerated() {
            add(["__name__": "model_inference_duration_seconds_bucket", "le": le(bound)], t, inferenceCounts[b])
        }
        errors.validation += (3 * load * rng.next()).rounded()
        errors.invalidJSON += rng.next() < 0.2 ? 1 : 0
        add(["__name__": "api_errors_total", "endpoint": "/predict", "error_type": "validation_error"], t, errors.validation)
        add(["__name__": "api_errors_total", "endpoint": "/predict", "error_type": "invalid_json"], t, errors.invalidJSON)
        add(["__name__": "predictions_total", "outcome": "diabetic"], t, predictions.diabetic)
        add(["__name__": "predictions_total", "outcome": "non_diabetic"], t, predictions.nonDiabetic)
        add(["__name__": "api_active_requests"], t, (3 * load * rng.next()).rounded())
        // Glucose inputs drift away from the training data after the burst; BMI stays put.
        add(["__name__": "model_feature_drift_psi", "feature": "Glucose"], t, step < 150 ? 0.02 + 0.02 * rng.next() : 0.3 + 0.05 * rng.next())
        add(["__name__": "model_feature_drift_psi", "feature": "BMI"], t, 0.01 + 0.02 * rng.next())
        add(["__name__": "up"], t, 1)
        add(["__name__": "model_loaded"], t, 1)
        batch.append(labels: ["__name__": "up", "job": "vigil", "instance": "127.0.0.1:9090"], t: t, v: 1)
    }
    _ = try await store.commit(batch)
}

/// SplitMix is a tiny seeded random generator, so the seed data and screenshots are the same on every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    /// A value in [0, 1).
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}

/// The value of the first `name="…"` attribute in `html`, unescaped only for `&amp;`.
func attribute(_ name: String, in html: String) -> String? {
    guard let start = html.range(of: " \(name)=\"") else { return nil }
    let rest = html[start.upperBound...]
    guard let end = rest.firstIndex(of: "\"") else { return nil }
    return rest[..<end].replacingOccurrences(of: "&amp;", with: "&")
}

@Suite struct DashboardTests {
    @Test func dashboardFileIsAGrafanaDashboardWithTheSeedPanels() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: dashboardPath))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["title"] as? String == "ML API Monitoring Dashboard")
        #expect((json["schemaVersion"] as? Int ?? 0) >= 36)
        #expect(json["uid"] is String)
        let variables = try #require((json["templating"] as? [String: Any])?["list"] as? [[String: Any]])
        let source = try #require(variables.first { $0["name"] as? String == "DS_PROMETHEUS" })
        #expect(source["type"] as? String == "datasource")
        #expect(source["query"] as? String == "prometheus")

        let panels = try #require(json["panels"] as? [[String: Any]])
        #expect(panels.count == expectedPanels.count)
        var ids = Set<Int>()
        for (panel, expected) in zip(panels, expectedPanels) {
            #expect(panel["title"] as? String == expected.title)
            #expect(panel["type"] as? String == expected.type, "\(expected.title)")
            let targets = try #require(panel["targets"] as? [[String: Any]])
            #expect(targets.compactMap { $0["expr"] as? String } == expected.exprs, "\(expected.title)")
            #expect(Set(targets.compactMap { $0["refId"] as? String }).count == targets.count, "refIds of \(expected.title) repeat")
            let datasource = try #require(panel["datasource"] as? [String: String])
            #expect(datasource == ["type": "prometheus", "uid": "${DS_PROMETHEUS}"], "\(expected.title)")
            for target in targets { #expect(target["datasource"] as? [String: String] == datasource) }
            let grid = try #require(panel["gridPos"] as? [String: Int])
            #expect(grid["x"]! >= 0 && grid["w"]! > 0 && grid["x"]! + grid["w"]! <= 24, "\(expected.title) leaves the 24-column grid")
            ids.insert(try #require(panel["id"] as? Int))
        }
        #expect(ids.count == panels.count)

        func mapping(_ index: Int) -> [String: String] {
            let defaults = (panels[index]["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any]
            let options = ((defaults?["mappings"] as? [[String: Any]])?.first?["options"] as? [String: [String: Any]]) ?? [:]
            return options.compactMapValues { $0["text"] as? String }
        }
        #expect(mapping(0) == ["0": "DOWN", "1": "UP"])
        #expect(mapping(1) == ["0": "NOT LOADED", "1": "LOADED"])
        let units = panels.map { ((($0["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any])?["unit"] as? String) ?? "" }
        #expect(units[2] == "reqpm" && units[3] == "s" && units[4] == "s")

        // The decoder the page uses reads the same file.
        let decoded = try GrafanaDashboard.decode(data)
        #expect(decoded.panels.map(\.title) == expectedPanels.map(\.title))
    }

    @Test func provisioningFilesPointGrafanaAtVigil() throws {
        let provider = try String(contentsOf: repositoryRoot.appendingPathComponent("dashboards/provisioning.yml"), encoding: .utf8)
        #expect(provider.contains("apiVersion: 1") && provider.contains("providers:") && provider.contains("type: file"))
        let datasource = try String(contentsOf: repositoryRoot.appendingPathComponent("dashboards/datasource.yml"), encoding: .utf8)
        #expect(datasource.contains("type: prometheus") && datasource.contains("url: http://127.0.0.1:9090"))
    }

    @Test func dashboardPageEmbedsEveryPanelQueryFromTheFile() async throws {
        let fixture = try MonitoringFixture()
        let app = Application(router: dashboardRouter(fixture))
        try await app.test(.router) { client in
            try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let page = String(buffer: response.body)
                #expect(page.contains("<title>ML API Monitoring Dashboard · Vigil</title>"))
                #expect(page.contains("<script src=\"/static/charts.js\"></script>"))
                #expect(!page.contains("http://") && !page.contains("https://"), "the page must not load anything from the internet")
                for panel in expectedPanels {
                    #expect(page.contains(">\(HTML.escape(panel.title))</h2>"), "\(panel.title)")
                    for expr in panel.exprs {
                        #expect(page.contains("<code class=\"expr\">\(HTML.escape(expr))</code>"), "\(expr)")
                        #expect(page.contains(HTML.escape(HTML.graphLink(expr))), "\(expr)")
                    }
                }
                #expect(page.components(separatedBy: "<section class=\"card panel ").count - 1 == expectedPanels.count)
                #expect(!page.contains("</script><"), "the model must not end its script element early")
            }
            // The older `?range=` still works; links use Grafana's `from`/`to`.
            try await client.execute(uri: "/dashboard?range=6h&refresh=10s", method: .get) { response in
                let page = String(buffer: response.body)
                let startText = try #require(attribute("data-start", in: page)), endText = try #require(attribute("data-end", in: page))
                let start = try #require(Double(startText)), end = try #require(Double(endText))
                #expect(end - start == 21_600)
                #expect(page.contains("data-relative=\"1\" data-refresh=\"10\""))
                #expect(page.contains("<a class=\"pill selected\" href=\"/dashboard?from=now-6h&amp;to=now&amp;refresh=10s\">6h</a>"))
            }
            try await client.execute(uri: "/static/charts.js", method: .get) { response in
                #expect(response.headers[.contentType] == "application/javascript; charset=utf-8")
                #expect(String(buffer: response.body).contains("function drawChart("))
            }
        }
    }

    @Test func dashboardIsReadFromTheFileOnEveryRequest() async throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-dashboard-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: copy) }
        let original = try String(contentsOfFile: dashboardPath, encoding: .utf8)
        try original.write(to: copy, atomically: true, encoding: .utf8)
        let fixture = try MonitoringFixture()
        let app = Application(router: dashboardRouter(fixture, directory: copy.deletingLastPathComponent().path, file: copy.lastPathComponent))
        try await app.test(.router) { client in
            try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(String(buffer: response.body).contains(">API Status</h2>"))
            }
            try original.replacingOccurrences(of: "\"API Status\"", with: "\"API <Health>\"").write(to: copy, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(String(buffer: response.body).contains(">API &lt;Health&gt;</h2>"))
            }
            try "{\"title\": 1}".write(to: copy, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(String(buffer: response.body).contains("invalid dashboard \(copy.path)"))
            }
        }
    }

    @Test func graphTableShowsLoadedSeriesWithEscapedLabels() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        var batch = AppendBatch()
        batch.append(labels: ["__name__": "up", "job": "<script>alert(1)</script>", "instance": "x\"y"], t: fixture.base, v: 1)
        _ = try await fixture.store.commit(batch)
        let app = Application(router: dashboardRouter(fixture))
        try await app.test(.router) { client in
            try await client.execute(uri: "/graph?g0.expr=\(HTML.queryValue("up"))&g0.tab=1", method: .get) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains("<textarea id=\"expr-0\" class=\"expr-input\" name=\"g0.expr\""))
                #expect(page.contains(">up</textarea>"))
                #expect(page.contains(#"<span class="metric">up</span>{<span class="lname">instance</span>="<span class="lvalue">a:1</span>", <span class="lname">job</span>="<span class="lvalue">api</span>"}"#))
                #expect(page.contains("vector, 3 series"))
                #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>alert(1)"))
                #expect(page.contains(#"x\&quot;y"#))
            }
            // A form submission writes spaces as `+`.
            try await client.execute(uri: "/graph?g0.expr=sum+by+(job)+(up)&g0.tab=1", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains(">sum by (job) (up)</textarea>"))
                #expect(page.contains(#"{<span class="lname">job</span>="<span class="lvalue">api</span>"}</td><td class="num">1</td>"#))
            }
            try await client.execute(uri: "/graph?g0.expr=\(HTML.queryValue("rate(requests_total[5m])"))&g0.tab=0", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("id=\"graph-0\" data-expr=\"rate(requests_total[5m])\""))
                #expect(!page.contains("id=\"table-0\""))
            }
        }
    }

    @Test func graphShowsParseErrorsWithTheirPosition() async throws {
        let fixture = try MonitoringFixture()
        let app = Application(router: dashboardRouter(fixture))
        let expr = "sum(rate(up[5m]) + * 2)"
        try await app.test(.router) { client in
            let apiError = try await client.execute(uri: "/api/v1/query?query=\(HTML.queryValue(expr))", method: .get) { response in
                try #require(try json(response)["error"] as? String)
            }
            #expect(apiError.hasPrefix("invalid parameter \"query\": 1:20: parse error:"))
            for tab in [0, 1] {
                try await client.execute(uri: "/graph?g0.expr=\(HTML.queryValue(expr))&g0.tab=\(tab)", method: .get) { response in
                    let page = String(buffer: response.body)
                    #expect(page.contains("<div class=\"error\">\(HTML.escape(apiError))</div>"))
                    #expect(page.contains("data-line=\"1\" data-column=\"20\""))
                    // The caret line puts `^` under column 20, after the `1 | ` gutter.
                    #expect(page.contains("sum(rate(up[5m]) + <mark>*</mark> 2)"))
                    #expect(page.contains("<span class=\"muted\">    </span>\(String(repeating: " ", count: 19))<span class=\"error\">^</span>"))
                    #expect(!page.contains("id=\"table-0\"") && !page.contains("id=\"graph-0\""))
                }
            }
        }
    }

    /// Serves the dashboard over an hour of seed-shaped data, runs it in headless Chromium, checks that every panel
    /// drew data without console errors, and saves `docs/screenshots/dashboard.png` and `graph.png`.
    @Test(.timeLimit(.minutes(5))) func dashboardAndGraphDrawInHeadlessChromium() async throws {
        guard let browser = chromiumPath() else { return }
        let shots = try screenshotDirectory(repository: repositoryRoot)
        let fixture = try MonitoringFixture()
        try await loadSeedShapedHour(into: fixture.store)
        let app = Application(router: dashboardRouter(fixture), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let graphPath = "/graph?g0.expr=\(HTML.queryValue("sum by (endpoint, status) (rate(api_requests_total[5m]))"))&g0.tab=0&g0.range_input=1h"
            let budget = "--virtual-time-budget=5000"

            let dom = try await chromium(browser, [budget, "--window-size=1280,1000", "--dump-dom", base + "/dashboard?range=1h&refresh=off"])
            #expect(dom.status == 0, "chromium failed: \(dom.stderr.suffix(2000))")
            #expect(dom.consoleErrors.isEmpty, "console errors on /dashboard: \(dom.consoleErrors)")
            let page = dom.stdout
            #expect(page.contains("data-loaded="), "the dashboard script never finished")
            #expect(page.components(separatedBy: "data-state=\"ok\"").count - 1 == expectedPanels.count, "not every panel drew: \(page.components(separatedBy: "data-state=\"error\"").count - 1) failed")
            let panels = page.components(separatedBy: "<section class=\"card panel ").dropFirst()
            #expect(panels.count == expectedPanels.count)
            for (panel, expected) in zip(panels, expectedPanels) {
                switch expected.type {
                case "timeseries":
                    let lines = panel.components(separatedBy: "class=\"line\"").count - 1
                    #expect(lines >= expected.exprs.count, "\(expected.title) drew \(lines) lines")
                    #expect(panel.contains("<table class=\"legend\">"), "\(expected.title) has no legend")
                case "gauge": #expect(panel.contains("class=\"gauge-value\""), "\(expected.title) drew no value")
                default: break
                }
                #expect(!panel.contains("No data") && !panel.contains("panel-error"), "\(expected.title) shows no data")
            }
            #expect(panels.first?.contains(">UP</div>") == true)
            #expect(panels.dropFirst().first?.contains(">LOADED</div>") == true)
            #expect(page.contains("req/min") && page.contains(" ms"), "units are missing from axes or legends")
            #expect(page.contains(">/predict</span>") && page.contains(">p99</span>") && page.contains(">non_diabetic</span>"))

            let graph = try await chromium(browser, [budget, "--window-size=1280,1000", "--dump-dom", base + graphPath])
            #expect(graph.consoleErrors.isEmpty, "console errors on /graph: \(graph.consoleErrors)")
            #expect(graph.stdout.contains("data-loaded=\"4\""), "the graph did not draw the 4 series")
            #expect(graph.stdout.components(separatedBy: "class=\"line\"").count - 1 == 4)

            // graph.png and its dark and phone forms are GraphBrowserTests' screenshots.
            for (file, path, size) in [("dashboard.png", "/dashboard?range=1h&refresh=off", "1280,1420")] {
                let target = shots.appendingPathComponent(file).path
                try? FileManager.default.removeItem(atPath: target)
                let run = try await chromium(browser, [budget, "--window-size=\(size)", "--screenshot=\(target)", base + path])
                #expect(run.status == 0, "chromium failed for \(path): \(run.stderr.suffix(2000))")
                #expect(run.consoleErrors.isEmpty, "console errors on \(path): \(run.consoleErrors)")
                let bytes = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
                #expect(bytes > 20_000, "screenshot \(file) is \(bytes) bytes")
            }
        }
    }
}
