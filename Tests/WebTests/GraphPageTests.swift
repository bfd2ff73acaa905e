import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TSDB
@testable import Rules
@testable import Web

/// Milliseconds since the epoch of a UTC ISO 8601 time, read by Foundation rather than by the code under test.
private func ms(_ iso: String) throws -> Timestamp {
    let date = try #require(ISO8601DateFormatter().date(from: iso))
    return Timestamp(date.timeIntervalSince1970 * 1000)
}

@Suite struct GraphPageTests {
    @Test func panelsReadPrometheusURLParameters() throws {
        let url = "g0.expr=rate(x%5B5m%5D)&g0.tab=0&g0.stacked=1&g0.range_input=7d&g0.end_input=2024-01-31+12%3A00%3A00&g0.step_input=60"
            + "&g1.expr=sum+by+(job)+(up)&g1.tab=1&g1.moment_input=2024-01-31%2011:30:15&g1.show_exemplars=0"
        let panels = GraphPanelOptions.panels(from: FormQuery(url))
        #expect(panels.count == 2)
        let graph = panels[0], table = panels[1]
        #expect(graph.expr == "rate(x[5m])" && graph.tab == .graph && graph.stacked)
        #expect(graph.range == 7 * 86_400_000, "7d must stay 7d")
        #expect(graph.end == (try ms("2024-01-31T12:00:00Z")))
        #expect(graph.step == 60_000 && graph.effectiveStep == 60_000)
        #expect(graph.problems.isEmpty)
        #expect(table.expr == "sum by (job) (up)" && table.tab == .table && !table.stacked)
        #expect(table.moment == (try ms("2024-01-31T11:30:15Z")))
        #expect(table.range == 3_600_000 && table.end == nil && table.step == nil)
    }

    @Test func panelsWithoutParametersAndOddIndexes() {
        #expect(GraphPanelOptions.panels(from: FormQuery(nil)) == [GraphPanelOptions()])
        // Indexes need not be contiguous; names that only look like panels are not panels.
        let panels = GraphPanelOptions.panels(from: FormQuery("g3.expr=b&g0.expr=a&g+1.expr=c&gx.expr=d&g00001.expr=e"))
        #expect(panels.map(\.expr) == ["a", "b"])
        let many = (0..<40).map { "g\($0).expr=x\($0)" }.joined(separator: "&")
        #expect(GraphPanelOptions.panels(from: FormQuery(many)).count == GraphPanelOptions.maxPanels)
    }

    @Test func badParametersAreNamedAndFallBackToDefaults() {
        let panel = GraphPanelOptions.panels(from: FormQuery("g0.expr=up&g0.tab=0&g0.range_input=soon&g0.step_input=-3&g0.end_input=yesterday"))[0]
        #expect(panel.range == 3_600_000 && panel.step == nil && panel.end == nil)
        #expect(panel.problems.count == 3)
        #expect(panel.problems.contains { $0.hasPrefix("g0.range_input: \"soon\"") })
        #expect(panel.problems.contains { $0.hasPrefix("g0.step_input: \"-3\"") })
        #expect(panel.problems.contains { $0.hasPrefix("g0.end_input: \"yesterday\"") })
        // Numbers a crafted URL could use to overflow are refused, not trapped on.
        let huge = GraphPanelOptions.panels(from: FormQuery("g0.step_input=1e300&g0.end_input=1e300&g0.range_input=999999999y"))[0]
        #expect(huge.step == nil && huge.end == nil && huge.range == 3_600_000 && huge.problems.count == 3)
    }

    @Test func urlsRoundTripThroughTheParser() throws {
        var graph = GraphPanelOptions(expr: "histogram_quantile(0.9, sum by (le) (rate(x_bucket{a=\"b c\"}[5m])))", tab: .graph)
        graph.range = 2 * 86_400_000 + 3_600_000
        graph.end = try ms("2025-06-01T00:00:10Z")
        graph.step = 1500
        graph.stacked = true
        var table = GraphPanelOptions(expr: "up == 0", tab: .table)
        table.moment = try ms("2025-06-01T00:00:00Z")
        let url = GraphPanelOptions.url([graph, table])
        #expect(url.hasPrefix("/graph?g0.expr="))
        #expect(url.contains("g0.range_input=2d1h") && url.contains("g0.step_input=1.5") && url.contains("g0.stacked=1"))
        #expect(url.contains("g0.end_input=2025-06-01%2000%3A00%3A10") && url.contains("g1.tab=1"))
        let parsed = GraphPanelOptions.panels(from: FormQuery(String(url.dropFirst("/graph?".count))))
        #expect(parsed == [graph, table])
    }

    /// The link an alert carries to Alertmanager must open its expression's table here, as Prometheus's does.
    @Test func alertGeneratorURLOpensTheExpressionTable() async throws {
        let expr = #"sum by (job) (rate(api_errors_total{endpoint="/predict", error_type=~"val.*"}[5m])) > 0.5 + 1"#
        let link = OutgoingAlert.generatorURL(externalURL: "http://vigil.example:9090/", expr: expr)
        let components = try #require(URLComponents(string: link))
        #expect(components.path == "/graph")
        let panels = GraphPanelOptions.panels(from: FormQuery(components.percentEncodedQuery))
        #expect(panels.count == 1 && panels[0].expr == expr && panels[0].tab == .table)

        let fixture = try MonitoringFixture()
        try await fixture.load()
        let app = Application(router: dashboardRouter(fixture))
        try await app.test(.router) { client in
            try await client.execute(uri: "/graph?" + (components.percentEncodedQuery ?? ""), method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains(">\(HTML.escape(expr))</textarea>"))
                #expect(page.contains("id=\"table-0\""), "the table tab is rendered on the server")
            }
        }
    }

    @Test func graphTabResolvesRangeStepAndRetention() async throws {
        let fixture = try MonitoringFixture()
        let router = Router()
        DashboardRoutes(querier: fixture.store, retention: 15 * 86_400_000).addRoutes(to: router)
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/graph?g0.expr=up&g0.tab=0&g0.range_input=7d", method: .get) { response in
                let page = String(buffer: response.body)
                let startText = try #require(attribute("data-start", in: page)), endText = try #require(attribute("data-end", in: page))
                let start = try #require(Double(startText)), end = try #require(Double(endText))
                #expect(end - start == 604_800, "a 7d range must not shrink")
                #expect(abs(end - Date().timeIntervalSince1970) < 60)
                // About 250 points: 604800 / 250 = 2419.2, in whole seconds.
                #expect(attribute("data-step", in: page) == "2419")
                #expect(page.contains("placeholder=\"2419\"") && page.contains("auto: 2419 s"))
                #expect(page.contains("<option value=\"1w\" selected>1w</option>"))
                #expect(page.contains("<option value=\"15d\">15d</option>"), "the retention itself is offered")
                #expect(page.contains("<option value=\"5m\">") && !page.contains("<option value=\"30d\">"), "ranges stop at the retention")
                #expect(page.contains("name=\"g0.stacked\" value=\"1\">"), "stacked is off")
            }
            let end = try ms("2024-03-01T10:00:00Z")
            try await client.execute(uri: "/graph?g0.expr=up&g0.tab=0&g0.range_input=90m&g0.end_input=2024-03-01T10:00:00&g0.step_input=30&g0.stacked=1",
                                     method: .get) { response in
                let page = String(buffer: response.body)
                #expect(attribute("data-end", in: page) == String(end / 1000))
                #expect(attribute("data-start", in: page) == String(end / 1000 - 5400))
                #expect(attribute("data-step", in: page) == "30" && page.contains("data-stacked=\"1\""))
                #expect(page.contains("<option value=\"1h30m\" selected>1h30m</option>"), "a typed range is kept and offered")
                #expect(page.contains("value=\"2024-03-01T10:00:00\""), "the end shows in the picker")
                #expect(page.contains("auto would be 21 s"))
            }
        }
    }

    @Test func severalPanelsTableAtAMomentAndAddRemoveLinks() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        let app = Application(router: dashboardRouter(fixture))
        // `up{job="vigil"}` is 1 for the first five samples and 0 afterwards.
        let moment = fixture.base + 30_000
        let momentText = GraphPanelOptions.formatTime(moment)
        let query = "g0.expr=up%7Bjob%3D%22vigil%22%7D&g0.tab=1&g0.moment_input=\(HTML.queryValue(momentText))"
            + "&g1.expr=up%7Bjob%3D%22vigil%22%7D&g1.tab=1&g2.expr=requests_total&g2.tab=0"
        try await app.test(.router) { client in
            try await client.execute(uri: "/graph?" + query, method: .get) { response in
                let page = String(buffer: response.body)
                let sections = page.components(separatedBy: "<section class=\"card graph-panel\"").dropFirst()
                #expect(sections.count == 3)
                let past = try #require(sections.first), now = try #require(sections.dropFirst().first)
                #expect(past.contains("<td class=\"num\">1</td>") && !past.contains("<td class=\"num\">0</td>"))
                #expect(past.contains("evaluated at \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(moment) / 1000)))"))
                #expect(past.contains("name=\"g0.moment_input\" value=\"\(GraphPage.localInputValue(moment))\""))
                #expect(now.contains("<td class=\"num\">0</td>"))
                #expect(sections.last?.contains("id=\"graph-2\" data-expr=\"requests_total\"") == true)
                // Removing the middle panel renumbers the rest; adding one appends an empty g3.
                let remove = GraphPanelOptions.url([GraphPanelOptions.panels(from: FormQuery(query))[0], GraphPanelOptions.panels(from: FormQuery(query))[2]])
                #expect(page.contains("href=\"\(HTML.escape(remove))\" title=\"Remove this panel\" aria-label=\"Remove panel 2\""))
                #expect(page.contains("id=\"add-panel\" href=\"") && page.contains("g3.expr=&amp;g3.tab=1"))
                #expect(page.components(separatedBy: "autofocus").count == 1, "no empty panel, so nothing takes the focus")
            }
            try await client.execute(uri: "/graph", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("id=\"expr-0\"") && page.contains("autofocus"))
                #expect(!page.contains("Remove panel"))
            }
        }
    }
}
