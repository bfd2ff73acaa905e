import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TSDB
@testable import Web

private func variable(_ name: String, _ selected: [String], options: [String] = [], multi: Bool = false, includeAll: Bool = false,
                      allValue: String? = nil) -> DashboardVariable {
    DashboardVariable(name: name, label: name, type: "custom", options: options.map { .init(text: $0, value: $0) }, selected: selected,
                      multi: multi, includeAll: includeAll, allValue: allValue, hidden: false)
}

/// A dashboard file with variables of every supported kind and one panel that uses them all.
private let variablesDashboard = #"""
{
  "uid": "vars-demo", "title": "Variables <demo>", "time": {"from": "now-30m", "to": "now"},
  "templating": {"list": [
    {"name": "DS_PROMETHEUS", "type": "datasource", "query": "prometheus"},
    {"name": "job", "type": "query", "query": {"query": "label_values(up, job)", "refId": "A"}, "current": {"text": "vigil", "value": "vigil"}},
    {"name": "instance", "type": "query", "query": "label_values(up{job=\"$job\"}, instance)", "multi": true, "includeAll": true},
    {"name": "code", "type": "custom", "query": "OK : 200, Error : 500", "label": "Status"},
    {"name": "window", "type": "interval", "query": "1m,5m,1h", "auto": true, "auto_count": 10, "auto_min": "30s"},
    {"name": "broken", "type": "query", "query": "query_result(up)"}
  ]},
  "panels": [
    {"type": "row", "title": "Traffic", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1}, "collapsed": true, "panels": [
      {"type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 1, "w": 12, "h": 8},
       "targets": [{"expr": "sum(rate(requests_total{job=\"$job\", instance=~\"$instance\", code=\"${code}\"}[$window])) / [[window]]", "refId": "A"},
                   {"expr": "up", "refId": "B", "hide": true}]}
    ]},
    {"type": "piechart", "title": "Pie", "targets": [{"expr": "up"}]},
    {"type": "text", "title": "Notes", "options": {"content": "Read <me>"}}
  ]
}
"""#

@Suite struct DashboardVariablesTests {
    @Test func substitutionForms() {
        let variables = [
            variable("job", ["api"]),
            variable("path", ["/a.b", "c|d"], multi: true),
            variable("all", [DashboardVariable.all], options: ["x", "y.z"], includeAll: true),
            variable("any", [DashboardVariable.all], options: ["x"], includeAll: true, allValue: ".*"),
        ]
        let builtins = ["__interval": "15s", "__rate_interval": "1m"]
        func sub(_ text: String) -> String { DashboardVariables.substitute(text, variables: variables, builtins: builtins) }
        #expect(sub(#"up{job="$job"}"#) == #"up{job="api"}"#)
        #expect(sub(#"up{job="${job}"} [[job]] $job_total"#) == #"up{job="api"} api $job_total"#, "a longer name is another variable")
        #expect(sub(#"x{p=~"$path"}"#) == #"x{p=~"(/a\.b|c\|d)"}"#)
        #expect(sub("${path:pipe} ${path:csv} ${job:regex}") == "/a.b|c|d /a.b,c|d api")
        #expect(sub(#"x{a=~"$all", b=~"$any"}"#) == #"x{a=~"(x|y\.z)", b=~".*"}"#)
        #expect(sub("rate(x[$__rate_interval]) / $__interval") == "rate(x[1m]) / 15s")
        #expect(sub(#"x{a=~"end$", b="$", c="${nope}", d="$nope"} [[nope]]"#) == #"x{a=~"end$", b="$", c="${nope}", d="$nope"} [[nope]]"#)
        #expect(sub("ünïcode $job ✓") == "ünïcode api ✓")
    }

    @Test func timeRangesInGrafanaForms() {
        let now: Timestamp = 1_700_000_000_000
        let relative = DashboardTimeRange.resolve(from: "now-6h", to: "now", range: nil, fallback: nil, now: now)
        #expect(relative.start == now - 21_600_000 && relative.end == now && relative.isRelative && relative.problems.isEmpty)
        #expect(relative.step == 90_000)
        let absolute = DashboardTimeRange.resolve(from: "1699990000000", to: "1699993600000", range: nil, fallback: nil, now: now)
        #expect(absolute.start == 1_699_990_000_000 && absolute.end == 1_699_993_600_000 && !absolute.isRelative)
        let fallback = DashboardTimeRange.resolve(from: nil, to: nil, range: nil, fallback: .init(from: "now-30m", to: "now"), now: now)
        #expect(fallback.range == 1_800_000)
        let legacy = DashboardTimeRange.resolve(from: nil, to: nil, range: "24h", fallback: nil, now: now)
        #expect(legacy.range == 86_400_000 && legacy.from == "now-24h")
        let bad = DashboardTimeRange.resolve(from: "yesterday", to: "99999999999999999999", range: nil, fallback: nil, now: now)
        #expect(bad.range == 3_600_000 && bad.end == now && bad.problems.count == 2)
        #expect(bad.problems[0].hasPrefix("from: \"yesterday\""))
        let backwards = DashboardTimeRange.resolve(from: "now", to: "now-1h", range: nil, fallback: nil, now: now)
        #expect(backwards.range == 3_600_000 && !backwards.problems.isEmpty)
        #expect(DashboardVariables.builtins(relative)["__rate_interval"] == "1m45s" && DashboardVariables.builtins(relative)["__range"] == "21600s")
    }

    @Test func variablesResolveFromTheStoreAndTheURL() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        let dashboard = try GrafanaDashboard.decode(Data(variablesDashboard.utf8))
        let now = (Timestamp(Date().timeIntervalSince1970)) * 1000
        let window = DashboardTimeRange.resolve(from: nil, to: nil, range: nil, fallback: dashboard.time, now: now)

        let saved = await DashboardVariables.resolve(dashboard, query: FormQuery(nil), window: window, querier: fixture.store)
        #expect(saved.map(\.name) == ["job", "instance", "code", "window", "broken"], "the data source variable is not shown")
        #expect(saved[0].options.map(\.value) == ["api", "vigil"] && saved[0].selected == ["vigil"], "the file's saved choice")
        #expect(saved[1].options.map(\.value) == ["b:2"] && saved[1].isAll, "chained on $job; All by default")
        #expect(saved[2].options == [.init(text: "OK", value: "200"), .init(text: "Error", value: "500")] && saved[2].selected == ["200"])
        #expect(saved[2].label == "Status")
        #expect(saved[3].options.map(\.text) == ["auto", "1m", "5m", "1h"] && saved[3].values == ["3m"], "30m / 10 steps")
        #expect(saved[4].error?.contains("variable broken: query \"query_result(up)\" is not supported") == true)

        let chosen = await DashboardVariables.resolve(dashboard, query: FormQuery("var-job=api&var-instance=a%3A1&var-code=500&var-window=5m"),
                                                      window: window, querier: fixture.store)
        #expect(chosen[0].selected == ["api"] && chosen[1].options.map(\.value) == ["a:1"] && chosen[1].selected == ["a:1"])
        let expr = dashboard.flattenedPanels[1].targets[0].expr
        #expect(DashboardVariables.substitute(expr, variables: chosen, builtins: DashboardVariables.builtins(window))
            == #"sum(rate(requests_total{job="api", instance=~"a:1", code="500"}[5m])) / 5m"#)
        #expect(DashboardVariables.substitute(expr, variables: saved, builtins: [:])
            == #"sum(rate(requests_total{job="vigil", instance=~"(b:2)", code="200"}[3m])) / 3m"#)
    }

    @Test func dashboardsDirectoryIsListedAndEachRendersByUID() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-dashboards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try variablesDashboard.write(to: directory.appendingPathComponent("a-vars.json"), atomically: true, encoding: .utf8)
        try #"{"title": "No uid", "panels": [{"type": "stat", "title": "Up", "targets": [{"expr": "count(up)"}]}]}"#
            .write(to: directory.appendingPathComponent("plain.json"), atomically: true, encoding: .utf8)
        try #"{"uid": "vars-demo", "title": "Copy", "panels": []}"#.write(to: directory.appendingPathComponent("b-copy.json"), atomically: true, encoding: .utf8)
        try "{ not json".write(to: directory.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        try "ignored".write(to: directory.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)

        let fixture = try MonitoringFixture()
        try await fixture.load()
        let app = Application(router: dashboardRouter(fixture, directory: directory.path, file: "plain.json"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/dashboards", method: .get) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains("<a href=\"/dashboards/vars-demo\">Variables &lt;demo&gt;</a>"))
                #expect(page.contains("<a href=\"/dashboards/plain\">No uid</a>"), "a file without uid is named by its file")
                #expect(page.contains("uid also used by a-vars.json"))
                #expect(page.contains("invalid dashboard") && page.contains("broken.json"))
                #expect(!page.contains("notes.txt"))
                #expect(page.contains("job, instance, code, window, broken"))
            }
            try await client.execute(uri: "/dashboards/vars-demo?var-job=api&from=now-2h&to=now", method: .get) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains("<title>Variables &lt;demo&gt; · Vigil</title>"))
                #expect(page.contains("<select name=\"var-job\" id=\"var-job\"><option value=\"api\" selected>api</option><option value=\"vigil\">vigil</option></select>"))
                #expect(page.contains("<select name=\"var-instance\" id=\"var-instance\" multiple><option value=\"$__all\" selected>All</option>"))
                #expect(page.contains("Status <select name=\"var-code\""))
                // 2h / 240 points = 30 s; $window is auto: 2h / 10 = 12m.
                let expr = #"sum(rate(requests_total{job="api", instance=~"(a:1)", code="200"}[12m])) / 12m"#
                #expect(page.contains("<code class=\"expr\">\(HTML.escape(expr))</code>"))
                #expect(page.contains(#""expr":"sum(rate(requests_total{job=\"api\""#), "the script gets the substituted query")
                #expect(!page.contains("\"hide\""), "hidden targets are not sent to the script")
                #expect(attribute("data-step", in: page) == "30")
                #expect(page.contains("class=\"row-title\" id=\"panel-0\""), "a collapsed row's panels are shown")
                #expect(page.contains("Vigil does not draw piechart panels"))
                #expect(page.contains("<div class=\"panel-text\">Read &lt;me&gt;</div>"))
                #expect(page.contains("variable broken: query"))
                #expect(page.contains("href=\"/dashboards/vars-demo?from=now-5m&amp;to=now&amp;refresh=off&amp;var-job=api&amp;var-instance=%24__all"))
            }
            try await client.execute(uri: "/dashboards/vars-demo?from=1700000000000&to=1700003600000", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("data-start=\"1700000000\" data-end=\"1700003600\"") && page.contains("data-relative=\"0\""))
                #expect(page.contains("2023-11-14 22:13:20 to 2023-11-14 23:13:20 UTC"))
            }
            try await client.execute(uri: "/dashboards/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("no dashboard with uid &quot;nope&quot;"))
            }
            try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(String(buffer: response.body).contains("<code class=\"expr\">count(up)</code>"))
            }
        }
    }
}
