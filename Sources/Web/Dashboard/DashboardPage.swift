import Foundation

/// DashboardPage renders a Grafana dashboard file: its panels, variables and time range, drawn in the browser by
/// `/static/charts.js`.
///
/// The server resolves the time range and the variables and substitutes them into the panel queries, so the page
/// lists the queries it runs even without JavaScript; the script fills in values from `/api/v1/query` and
/// `/api/v1/query_range`, shades the periods each alert fired (from `ALERTS`), and zooms on a drag.
public enum DashboardPage {
    /// The relative time ranges the picker offers.
    static let ranges: [(label: String, seconds: Int)] = [
        ("5m", 300), ("15m", 900), ("1h", 3600), ("6h", 21_600), ("24h", 86_400), ("2d", 172_800), ("7d", 604_800),
    ]
    /// The auto-refresh choices, in seconds; 0 is off.
    static let refreshes: [(label: String, seconds: Int)] = [("off", 0), ("10s", 10), ("30s", 30), ("1m", 60), ("5m", 300)]
    /// The panel types the script draws, with Grafana's older names mapped to them.
    static let drawn: [String: String] = [
        "timeseries": "timeseries", "graph": "timeseries", "stat": "stat", "singlestat": "stat", "gauge": "gauge", "bargauge": "gauge",
    ]

    /// What the URL asked for besides the time range and variables.
    struct Request {
        /// Where the dashboard is served: `/dashboard` or `/dashboards/<uid>`.
        var path: String
        var window: DashboardTimeRange
        var variables: [DashboardVariable]
        var refresh: String?
        /// Whether alert periods are drawn (`?alerts=off` hides them).
        var alerts = true
    }

    /// Renders `dashboard` for `request`.
    static func render(dashboard: GrafanaDashboard, request: Request) -> String {
        let refreshLabel = refreshes.first { $0.label == request.refresh }?.label ?? defaultRefresh(dashboard)
        let refreshSeconds = refreshes.first { $0.label == refreshLabel }?.seconds ?? 0
        let window = request.window
        func link(from: String, to: String, refresh: String = refreshLabel) -> String {
            var items = [("from", from), ("to", to), ("refresh", refresh)]
            for variable in request.variables where !variable.hidden {
                items += variable.selected.map { ("var-\(variable.name)", $0) }
            }
            if !request.alerts { items.append(("alerts", "off")) }
            return request.path + "?" + items.map { "\($0.0)=\(HTML.queryValue($0.1))" }.joined(separator: "&")
        }

        var body = "<div class=\"toolbar\"><span class=\"muted small\">Range</span>"
        for choice in ranges {
            let from = "now-\(choice.label)"
            body += pill(choice.label, href: link(from: from, to: "now"), selected: window.from == from && window.isRelative)
        }
        let half = window.range / 2
        let zoomTo = window.isRelative ? "now" : String(window.end + half)
        body += pill("Zoom out", href: link(from: String(window.start - half), to: zoomTo), selected: false, id: "zoom-out")
        body += "<span class=\"muted small\" style=\"margin-left:12px\">Refresh</span>"
        for choice in refreshes {
            body += pill(choice.label, href: link(from: window.from, to: window.to, refresh: choice.label), selected: choice.label == refreshLabel)
        }
        body += "<span class=\"spacer\"></span><span class=\"muted small\" id=\"updated\"></span>"
        body += "<a class=\"pill\" href=\"/dashboards\">All dashboards</a></div>\n"
        if !window.isRelative {
            body += "<p class=\"small\" id=\"absolute-range\">\(HTML.escape(GraphPanelOptions.formatTime(window.start))) to "
            body += "\(HTML.escape(GraphPanelOptions.formatTime(window.end))) UTC · <a href=\"\(HTML.escape(link(from: "now-1h", to: "now")))\">back to now</a></p>\n"
        }
        body += variablesForm(request, refresh: refreshLabel)
        for problem in window.problems + request.variables.compactMap(\.error) {
            body += "<div class=\"error small problem\">\(HTML.escape(problem))</div>\n"
        }
        if let description = dashboard.description {
            body += "<p class=\"muted small\">\(HTML.escape(description))</p>\n"
        }
        body += "<noscript><div class=\"card empty\">The panels are drawn with JavaScript; the queries are listed under each title.</div></noscript>\n"
        body += "<div id=\"dashboard\" class=\"dash-grid\" data-start=\"\(GraphPanelOptions.formatSeconds(window.start))\" "
        body += "data-end=\"\(GraphPanelOptions.formatSeconds(window.end))\" data-step=\"\(GraphPanelOptions.formatSeconds(window.step))\" "
        body += "data-relative=\"\(window.isRelative ? 1 : 0)\" data-refresh=\"\(refreshSeconds)\" data-alerts=\"\(request.alerts ? 1 : 0)\">\n"
        let builtins = DashboardVariables.builtins(window)
        var model: [ModelPanel] = []
        for (index, original) in dashboard.flattenedPanels.enumerated() {
            // Titles take variables too, as in Grafana ("Requests on $endpoint").
            var panel = original
            panel.title = DashboardVariables.substitute(panel.title, variables: request.variables, builtins: builtins)
            let targets = panel.targets.filter { $0.hide != true && !$0.expr.isEmpty }.map { target in
                var target = target
                target.expr = DashboardVariables.substitute(target.expr, variables: request.variables, builtins: builtins)
                target.legendFormat = target.legendFormat.map { DashboardVariables.substitute($0, variables: request.variables, builtins: builtins) }
                target.hide = nil
                return target
            }
            let type = drawn[panel.type]
            body += panelHTML(panel, index: index, type: type, targets: targets)
            if let type, !targets.isEmpty {
                model.append(ModelPanel(index: index, type: type, title: panel.title, unit: panel.unit, targets: targets, fieldConfig: panel.fieldConfig))
            }
        }
        body += "</div>\n"
        body += "<script type=\"application/json\" id=\"dashboard-model\">\(scriptJSON(title: dashboard.title, panels: model))</script>\n"
        body += "<script src=\"/static/charts.js\"></script>\n"
        return PageLayout.render(title: dashboard.title, activePath: "/dashboard", body: "<style>\(css)</style>\n" + body)
    }

    /// The variables as drop-downs in a GET form that Grafana's `var-<name>` parameters fill; the script submits it
    /// on change, and an Apply button does without JavaScript.
    private static func variablesForm(_ request: Request, refresh: String) -> String {
        let visible = request.variables.filter { !$0.hidden }
        if visible.isEmpty { return "" }
        var html = "<form class=\"toolbar variables\" id=\"variables\" method=\"get\" action=\"\(HTML.escape(request.path))\">"
        for (name, value) in [("from", request.window.from), ("to", request.window.to), ("refresh", refresh)] {
            html += "<input type=\"hidden\" name=\"\(name)\" value=\"\(HTML.escape(value))\">"
        }
        if !request.alerts { html += "<input type=\"hidden\" name=\"alerts\" value=\"off\">" }
        for variable in visible {
            let field = "var-" + variable.name
            html += "<label class=\"control\">\(HTML.escape(variable.label)) "
            if variable.type == "textbox" {
                html += "<input type=\"text\" name=\"\(HTML.escape(field))\" value=\"\(HTML.escape(variable.selected.first ?? ""))\">"
            } else {
                html += "<select name=\"\(HTML.escape(field))\" id=\"\(HTML.escape(field))\"\(variable.multi ? " multiple" : "")>"
                if variable.includeAll {
                    html += "<option value=\"$__all\"\(variable.isAll ? " selected" : "")>All</option>"
                }
                var options = variable.options
                for value in variable.selected where value != DashboardVariable.all && !options.contains(where: { $0.value == value }) {
                    options.append(.init(text: value, value: value))
                }
                for option in options {
                    let selected = !variable.isAll && variable.selected.contains(option.value)
                    html += "<option value=\"\(HTML.escape(option.value))\"\(selected ? " selected" : "")>\(HTML.escape(option.text))</option>"
                }
                html += "</select>"
            }
            html += "</label>"
        }
        return html + "<noscript><button type=\"submit\" class=\"pill\">Apply</button></noscript></form>\n"
    }

    /// Renders an error page when the dashboard file cannot be read or decoded.
    public static func renderError(_ error: DashboardError) -> String {
        PageLayout.render(title: "Dashboard", activePath: "/dashboard",
                          body: "<div class=\"card empty error\">\(HTML.escape(error.message))</div>")
    }

    private static func panelHTML(_ panel: GrafanaDashboard.Panel, index: Int, type: String?, targets: [GrafanaDashboard.Target]) -> String {
        let grid = panel.gridPos
        if panel.type == "row" {
            return "<h2 class=\"row-title\" id=\"panel-\(index)\" style=\"grid-column:1 / -1;grid-row:\(grid.y + 1)\">\(HTML.escape(panel.title))</h2>\n"
        }
        let style = "grid-column:\(grid.x + 1) / span \(min(grid.w, 24 - grid.x));grid-row:\(grid.y + 1) / span \(grid.h);--rows:\(grid.h)"
        let shown = type ?? "other"
        var html = "<section class=\"card panel panel-\(HTML.escape(shown))\" id=\"panel-\(index)\" data-type=\"\(HTML.escape(panel.type))\" style=\"\(style)\">"
        html += "<header><h2 title=\"\(HTML.escape(panel.description ?? ""))\">\(HTML.escape(panel.title))</h2>"
        if !targets.isEmpty {
            html += "<details class=\"queries\"><summary>queries</summary><div class=\"qlist\">"
            for target in targets {
                html += "<div>\(HTML.expression(target.expr))</div>"
            }
            html += "</div></details>"
        }
        html += "</header>"
        if panel.type == "text" {
            return html + "<div class=\"panel-text\">\(HTML.escape(panel.options?.content ?? ""))</div></section>\n"
        }
        if type == nil {
            return html + "<div class=\"panel-body\"><div class=\"muted small\">Vigil does not draw \(HTML.escape(panel.type)) panels; its queries are listed above.</div></div></section>\n"
        }
        if targets.isEmpty {
            return html + "<div class=\"panel-body\"><div class=\"muted small\">No queries</div></div></section>\n"
        }
        html += "<div class=\"panel-body\"><div class=\"loading muted small\">Loading…</div></div>"
        if type == "timeseries" { html += "<div class=\"panel-legend\"></div>" }
        return html + "</section>\n"
    }

    private static func pill(_ label: String, href: String, selected: Bool, id: String? = nil) -> String {
        "<a class=\"pill\(selected ? " selected" : "")\"\(id.map { " id=\"\($0)\"" } ?? "") href=\"\(HTML.escape(href))\">\(HTML.escape(label))</a>"
    }

    private static func defaultRefresh(_ dashboard: GrafanaDashboard) -> String {
        let refresh = dashboard.refresh ?? ""
        return refreshes.contains { $0.label == refresh } ? refresh : "off"
    }

    /// One drawable panel as the script reads it; `index` is its element's `panel-<index>` id.
    struct ModelPanel: Encodable {
        var index: Int
        var type: String
        var title: String
        var unit: String
        var targets: [GrafanaDashboard.Target]
        var fieldConfig: GrafanaDashboard.FieldConfig?
    }

    /// The dashboard as JSON that is safe inside a `<script>` element: `<`, `>` and `&` are escaped as `\u00XX`.
    static func scriptJSON(title: String, panels: [ModelPanel]) -> String {
        struct Model: Encodable {
            var title: String
            var panels: [ModelPanel]
        }
        let model = Model(title: title, panels: panels)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: (try? encoder.encode(model)) ?? Data("{}".utf8), as: UTF8.self)
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Styles for the panel grid, charts, legends, stats and gauges, shared with `/graph`.
    static let css = """
        main{max-width:1400px}
        .dash-grid{display:grid;grid-template-columns:repeat(24,minmax(0,1fr));grid-auto-rows:30px;gap:8px}
        .panel{margin:0;position:relative;overflow:visible;display:flex;flex-direction:column;min-width:0}
        .panel>header{padding:6px 10px;justify-content:space-between;flex-wrap:nowrap}
        .panel>header h2{font-size:.95rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
        details.queries{font-size:.75rem;color:var(--muted);flex:none}
        details.queries summary{cursor:pointer}
        .qlist{position:absolute;left:8px;right:8px;top:34px;background:var(--card);border:1px solid var(--border);\
        border-radius:6px;padding:6px 8px;z-index:3;display:flex;flex-direction:column;gap:4px}
        .panel-body{flex:1;min-height:0;position:relative;display:flex;align-items:center;justify-content:center}
        .panel-timeseries .panel-body{display:block}
        .panel-legend{flex:none;max-height:35%;overflow:auto;padding:0 6px 4px}
        .panel-body.colored{color:#fff;border-radius:0 0 9px 9px}
        .stat-value{font-size:2.2rem;font-weight:700;letter-spacing:.02em}
        .stat-more{position:absolute;bottom:4px;right:8px;font-size:.75rem;opacity:.8}
        .nodata{color:var(--muted);font-weight:400;font-size:1rem}
        .panel-error{padding:10px;font-size:.85rem}
        .chart-svg,.gauge-svg{display:block;max-width:100%;height:auto}
        .chart-svg .grid line{stroke:var(--border);stroke-width:1}
        .chart-svg .tick{fill:var(--muted);font-size:11px}
        .chart-svg .line{fill:none;stroke-width:1.8;stroke-linejoin:round;stroke-linecap:round}
        .chart-svg .rule{stroke:var(--muted);stroke-dasharray:3 3}
        .chart-svg .nodata{fill:var(--muted);font-size:13px}
        .chart-tip{position:absolute;z-index:4;background:var(--card);border:1px solid var(--border);border-radius:6px;\
        padding:6px 8px;font-size:.78rem;pointer-events:none;box-shadow:0 2px 8px rgba(0,0,0,.15);white-space:nowrap}
        .chart-tip .tip-time{color:var(--muted)}
        .swatch{display:inline-block;width:10px;height:3px;border-radius:2px;margin-right:6px;vertical-align:middle}
        table.legend{font-size:.78rem}
        table.legend th,table.legend td{padding:1px 8px;border-top:0}
        table.legend td:first-child{word-break:break-all}
        .control{display:inline-flex;flex-wrap:wrap;gap:6px;align-items:center;font-size:.85rem;color:var(--muted)}
        .control select,.control input{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--border);border-radius:6px;padding:3px 6px;max-width:100%}
        .row-title{font-size:1.05rem;margin:10px 0 0;align-self:end}
        .panel-text{padding:8px 12px;white-space:pre-wrap;font-size:.9rem;overflow:auto}
        .problem{margin:0 0 8px}
        .variables{margin-top:-8px}
        .chart-svg .alert-band{fill:var(--bad);opacity:.13}
        .chart-svg .alert-edge{stroke:var(--bad);stroke-width:1;opacity:.6}
        .chart-svg .area{stroke:none;opacity:.35}
        .chart-svg .zoom-box{fill:var(--link);opacity:.18}
        .gauge-track{fill:none;stroke:var(--code);stroke-width:18}
        .gauge-band{fill:none;stroke-width:4;opacity:.9}
        .gauge-value{fill:none;stroke-width:14}
        .gauge-text{fill:var(--fg);font-size:28px;font-weight:700}
        @media (max-width:800px){
        .dash-grid{display:block}
        .panel{height:calc(var(--rows) * 38px);margin-bottom:8px}
        }
        """
}
