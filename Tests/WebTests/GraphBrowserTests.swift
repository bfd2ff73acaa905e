import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TSDB
@testable import Rules
@testable import Web

/// The repository root, found from this file's real location.
private let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A dashboard over the seed's metrics with an `endpoint` variable, as a Grafana user would write it.
private let endpointDashboard = #"""
{
  "uid": "endpoint-demo", "title": "Endpoint detail", "time": {"from": "now-1h", "to": "now"},
  "templating": {"list": [
    {"name": "endpoint", "label": "Endpoint", "type": "query", "query": "label_values(api_requests_total, endpoint)"},
    {"name": "quantile", "type": "custom", "query": "0.5,0.95,0.99", "current": {"value": "0.95"}}
  ]},
  "panels": [
    {"type": "timeseries", "title": "Requests on $endpoint", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 9},
     "fieldConfig": {"defaults": {"unit": "reqps"}},
     "targets": [{"expr": "sum by (status) (rate(api_requests_total{endpoint=\"$endpoint\"}[$__rate_interval]))", "legendFormat": "{{status}}"}]},
    {"type": "timeseries", "title": "p$quantile latency on ${endpoint}", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 9},
     "fieldConfig": {"defaults": {"unit": "s"}},
     "targets": [{"expr": "histogram_quantile($quantile, sum by (le) (rate(api_request_duration_seconds_bucket{endpoint=\"[[endpoint]]\"}[5m])))", "legendFormat": "p$quantile"}]},
    {"type": "stat", "title": "Requests in range", "gridPos": {"x": 0, "y": 9, "w": 6, "h": 4},
     "targets": [{"expr": "sum(increase(api_requests_total{endpoint=\"$endpoint\"}[$__range]))"}]}
  ]
}
"""#

/// The ALERTS series of an alert that fired for `steps` of the seed hour's 15 s steps.
private func loadFiringAlert(into store: TimeSeriesStore, name: String, steps: Range<Int>) async throws {
    let now = Timestamp(Date().timeIntervalSince1970) * 1000
    var batch = AppendBatch()
    for step in steps {
        batch.append(labels: ["__name__": "ALERTS", "alertname": name, "alertstate": "firing", "severity": "warning"],
                     t: now - Timestamp(240 - step) * 15_000, v: 1)
    }
    _ = try await store.commit(batch)
}

/// The overlay of the chart in `selector`, as [left, top, width, height] in CSS pixels.
private func overlayBox(_ page: ChromiumSession, _ selector: String) throws -> [Double] {
    let box = try page.evaluate("(function () { var r = document.querySelector(\"\(selector) rect.overlay\").getBoundingClientRect(); "
        + "return [r.left, r.top, r.width, r.height]; })()") as? [Any]
    let values = (box ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
    guard values.count == 4 else { throw ChromiumSession.Failure(description: "no chart overlay in \(selector)") }
    return values
}

/// Saves light, dark and phone screenshots of the open page; `redrawn` is true once the charts drew again.
private func screenshots(_ page: ChromiumSession, name: String, into directory: URL, redrawn: String, height: Int) throws {
    try page.resize(width: 1280, height: height)
    try page.colorScheme(dark: false)
    try page.screenshot(directory.appendingPathComponent("\(name).png").path)
    try page.colorScheme(dark: true)
    try page.screenshot(directory.appendingPathComponent("\(name)-dark.png").path)
    try page.colorScheme(dark: false)
    try page.evaluate("document.querySelectorAll('svg.chart-svg').forEach(function (s) { s.setAttribute('data-old', '1'); }); true")
    try page.resize(width: 390, height: 844, mobile: true, scale: 2)
    try page.waitFor(redrawn, what: "charts redrawn at phone width")
    try page.screenshot(directory.appendingPathComponent("\(name)-phone.png").path)
    // Back at desktop width, wait for the redraw, so later drags measure the charts the page shows.
    try page.evaluate("document.querySelectorAll('svg.chart-svg').forEach(function (s) { s.setAttribute('data-old', '1'); }); true")
    try page.resize(width: 1280, height: height)
    try page.waitFor(redrawn, what: "charts redrawn at desktop width")
}

@Suite(.serialized) struct GraphBrowserTests {
    /// Types a query with completion and runs it using only the keyboard, opens Prometheus-style links with two panels,
    /// checks stacked drawing and axis labels, and zooms by dragging.
    @Test(.timeLimit(.minutes(3))) func graphFromTheKeyboardFromLinksAndByZooming() async throws {
        guard let browser = chromiumPath() else { return }
        let shots = try screenshotDirectory(repository: repositoryRoot)
        let fixture = try MonitoringFixture()
        try await loadSeedShapedHour(into: fixture.store)
        let app = Application(router: dashboardRouter(fixture), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let errors = try await onOwnThread { () throws -> [String] in
                let page = try ChromiumSession(browser: browser, width: 1280, height: 1000)
                defer { page.shutdown() }
                func value() throws -> String? { try page.evaluate("document.getElementById('expr-0').value") as? String }
                func completions(contain text: String) -> String {
                    "!document.getElementById('complete-0').hidden && document.getElementById('complete-0').textContent.indexOf('\(text)') >= 0"
                }

                // Keyboard only: the empty panel has the focus; type, complete, run.
                try page.navigate(base + "/graph")
                try page.waitFor("document.activeElement && document.activeElement.id === 'expr-0'", what: "the expression input to take the focus")
                try page.type("api_requests_t")
                try page.waitFor(completions(contain: "api_requests_total"), what: "metric name completion")
                try page.press("Tab")
                #expect(try value() == "api_requests_total")
                try page.type("{end")
                try page.waitFor(completions(contain: "endpoint"), what: "label name completion")
                try page.press("Enter")
                #expect(try value() == "api_requests_total{endpoint")
                try page.type("=\"/pr")
                try page.waitFor(completions(contain: "/predict"), what: "label value completion")
                try page.press("Enter")
                #expect(try value() == #"api_requests_total{endpoint="/predict""#)
                try page.type("}")
                try page.press("Enter")
                try page.waitFor("document.getElementById('table-0') !== null", what: "Enter to run the query")
                #expect(try value() == #"api_requests_total{endpoint="/predict"}"#)
                #expect(try page.evaluate("document.querySelectorAll('#table-0 tbody tr').length") as? Int == 2, "200 and 422 on /predict")
                // Tab from the input to the Graph tab: Execute, Table, Graph.
                try page.evaluate("document.getElementById('expr-0').focus(); true")
                for _ in 0..<3 { try page.press("Tab") }
                #expect(try page.evaluate("document.activeElement.textContent") as? String == "Graph")
                try page.press("Enter")
                try page.waitFor("document.querySelector('#graph-0[data-loaded]') !== null", what: "the graph tab")
                #expect(try page.evaluate("document.getElementById('graph-0').getAttribute('data-loaded')") as? String == "2")

                // A Prometheus link with two panels: a stacked graph over 30m and a table.
                let graphExpr = "sum by (endpoint) (rate(api_requests_total[5m]))", tableExpr = "sum by (status) (rate(api_requests_total[5m]))"
                let link = "/graph?g0.expr=\(HTML.queryValue(graphExpr))&g0.tab=0&g0.stacked=1&g0.range_input=30m"
                    + "&g1.expr=\(HTML.queryValue(tableExpr))&g1.tab=1"
                try page.navigate(base + link)
                try page.waitFor("document.querySelector('#graph-0[data-loaded]') !== null", what: "the linked graph")
                #expect(try value() == graphExpr)
                #expect(try page.evaluate("document.getElementById('expr-1').value") as? String == tableExpr)
                #expect(try page.evaluate("document.querySelectorAll('#table-1 tbody tr').length") as? Int == 2)
                #expect(try page.evaluate("document.querySelectorAll('#graph-0 path.area').length") as? Int == 3, "stacked areas for 3 endpoints")
                let ticks = try page.evaluate("Array.prototype.map.call(document.querySelectorAll('#graph-0 text.tick'), function (t) { return t.textContent; })") as? [String] ?? []
                #expect(ticks.count >= 6 && Set(ticks).count == ticks.count, "axis labels repeat: \(ticks)")
                // Ranges from 5m to 30d at narrow and wide widths: time labels never repeat; small values keep their digits.
                let repeats = try page.evaluate(#"""
                    (function () {
                      var now = Math.floor(Date.now() / 1000), out = [];
                      [300, 3600, 86400, 2 * 86400, 7 * 86400, 30 * 86400].forEach(function (range) {
                        [4, 12, 30].forEach(function (count) {
                          var labels = VigilCharts.timeTicks(now - range, now, count, true).map(function (t) { return t[1]; });
                          if (!labels.length || new Set(labels).size !== labels.length) out.push(range + 's/' + count + ': ' + labels.join(' '));
                        });
                      });
                      var y = VigilCharts.axisLabels([0.0046, 0.00465, 0.0047, 0.00475, 0.0048], 0.00005, 'none');
                      if (new Set(y).size !== y.length) out.push('y: ' + y.join(' '));
                      return out;
                    })()
                    """#) as? [Any]
                #expect(repeats?.isEmpty == true, "repeated labels: \(String(describing: repeats))")
                try screenshots(page, name: "graph", into: shots, redrawn: "document.querySelector('#graph-0 svg.chart-svg:not([data-old])') !== null", height: 1100)

                // Dragging across the middle half of the 30m graph zooms to about 15m and keeps the table panel.
                let box = try overlayBox(page, "#graph-0")
                try page.drag(fromX: box[0] + box[2] * 0.25, toX: box[0] + box[2] * 0.75, y: box[1] + box[3] / 2)
                try page.waitFor("location.search.indexOf('g0.end_input=') >= 0 && document.querySelector('#graph-0[data-loaded]') !== null", what: "the zoomed graph")
                let span = try page.evaluate("parseFloat(document.getElementById('graph-0').dataset.end) - parseFloat(document.getElementById('graph-0').dataset.start)") as? NSNumber
                #expect((600...1200).contains(span?.doubleValue ?? 0), "zoomed range is \(String(describing: span)) s after dragging across \(box)")
                #expect(try page.evaluate("document.getElementById('table-1') !== null") as? Bool == true)

                // An alert's generatorURL lands on its expression's table.
                let alertExpr = #"sum by (endpoint) (rate(api_errors_total{error_type="validation_error"}[5m])) > 0"#
                let generator = OutgoingAlert.generatorURL(externalURL: base, expr: alertExpr)
                try page.navigate(generator)
                #expect(try value() == alertExpr)
                #expect(try page.evaluate("document.querySelectorAll('#table-0 tbody tr').length") as? Int == 1)
                try page.evaluate("1")
                return page.consoleErrors
            }
            #expect(errors.isEmpty, "console errors: \(errors)")
        }
    }

    /// Renders a dropped-in Grafana dashboard with variables, changes a variable, checks the alert periods and zooms.
    @Test(.timeLimit(.minutes(3))) func dashboardVariablesAlertPeriodsAndZoom() async throws {
        guard let browser = chromiumPath() else { return }
        let shots = try screenshotDirectory(repository: repositoryRoot)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-dashboards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try endpointDashboard.write(to: directory.appendingPathComponent("endpoint.json"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("dashboards/ml-api-dashboard.json"),
                                         to: directory.appendingPathComponent("ml-api-dashboard.json"))
        let fixture = try MonitoringFixture()
        try await loadSeedShapedHour(into: fixture.store)
        try await loadFiringAlert(into: fixture.store, name: "HighLatency", steps: 140..<175)
        let app = Application(router: dashboardRouter(fixture, directory: directory.path), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              logger: quietLogger)
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let errors = try await onOwnThread { () throws -> [String] in
                let page = try ChromiumSession(browser: browser, width: 1280, height: 900)
                defer { page.shutdown() }
                func queries() throws -> String { try page.evaluate("Array.prototype.map.call(document.querySelectorAll('.qlist'), function (q) { return q.textContent; }).join('\\n')") as? String ?? "" }
                let loaded = "document.getElementById('dashboard').hasAttribute('data-loaded')"

                try page.navigate(base + "/dashboards")
                #expect(try page.evaluate("document.querySelectorAll('table.dashboards a').length") as? Int == 2)
                try page.navigate(base + "/dashboards/endpoint-demo")
                try page.waitFor(loaded, what: "the dashboard to draw")
                #expect(try page.evaluate("document.getElementById('var-endpoint').value") as? String == "/health")
                let initial = try queries()
                #expect(initial.contains(#"api_requests_total{endpoint="/health"}[1m]"#), "\(initial)")
                #expect(initial.contains("histogram_quantile(0.95,"))
                #expect(try page.evaluate("document.querySelectorAll('[data-state=ok]').length") as? Int == 3)
                // The alert's firing period is shaded on both time-series panels.
                #expect(try page.evaluate("document.querySelectorAll('rect.alert-band[data-alert=HighLatency]').length") as? Int == 2)

                // Choosing another endpoint reloads with `var-endpoint` and the queries follow.
                try page.evaluate("var s = document.getElementById('var-endpoint'); s.value = '/predict'; s.dispatchEvent(new Event('change', { bubbles: true })); true")
                try page.waitFor("location.search.indexOf('var-endpoint=%2Fpredict') >= 0 && " + loaded, what: "the variable to apply")
                let changed = try queries()
                #expect(changed.contains(#"api_requests_total{endpoint="/predict"}"#) && !changed.contains("/health"))
                #expect(try page.evaluate("document.querySelectorAll('#panel-0 path.line').length") as? Int == 2, "200 and 422 on /predict")
                #expect(try page.evaluate("document.querySelector('#panel-0 h2').textContent") as? String == "Requests on /predict")
                let legend = try page.evaluate("document.querySelector('#panel-1 .panel-legend').textContent") as? String ?? ""
                #expect(legend.contains("p0.95") && !legend.contains("$"), "legend formats take variables: \(legend)")
                try screenshots(page, name: "dashboard-variables", into: shots,
                                redrawn: "document.querySelectorAll('svg.chart-svg').length === 2 && document.querySelector('svg.chart-svg[data-old]') === null", height: 900)

                // Dragging across a panel sets an absolute range and keeps the variable.
                let box = try overlayBox(page, "#panel-0")
                try page.drag(fromX: box[0] + box[2] * 0.5, toX: box[0] + box[2] * 0.75, y: box[1] + box[3] / 2)
                try page.waitFor("/[?&]from=\\d+/.test(location.search) && " + loaded, what: "the zoomed dashboard")
                #expect(try page.evaluate("document.getElementById('dashboard').getAttribute('data-relative')") as? String == "0")
                let span = try page.evaluate("parseFloat(document.getElementById('dashboard').dataset.end) - parseFloat(document.getElementById('dashboard').dataset.start)") as? NSNumber
                #expect((600...1200).contains(span?.doubleValue ?? 0), "zoomed range is \(String(describing: span)) s after dragging across \(box)")
                #expect(try page.evaluate("document.getElementById('var-endpoint').value") as? String == "/predict")
                #expect(try page.evaluate("document.getElementById('absolute-range') !== null") as? Bool == true)
                try page.evaluate("1")
                return page.consoleErrors
            }
            #expect(errors.isEmpty, "console errors: \(errors)")
        }
    }
}
