import Foundation

/// DashboardPage renders `/dashboard`: the panels of a Grafana dashboard file, drawn in the browser by `/static/charts.js`.
///
/// The server lays out the panels and lists their queries (so the page says what it shows even without
/// JavaScript); the script fills in values from `/api/v1/query` and `/api/v1/query_range`.
public enum DashboardPage {
    /// The time ranges the picker offers, in seconds.
    static let ranges: [(label: String, seconds: Int)] = [("5m", 300), ("15m", 900), ("1h", 3600), ("6h", 21_600), ("24h", 86_400)]
    /// The auto-refresh choices, in seconds; 0 is off.
    static let refreshes: [(label: String, seconds: Int)] = [("off", 0), ("10s", 10), ("30s", 30)]

    /// Renders the page for `dashboard`; `range` and `refresh` are the `?range=` and `?refresh=` choices, if any.
    public static func render(dashboard: GrafanaDashboard, range: String?, refresh: String?) -> String {
        let rangeLabel = ranges.first { $0.label == range }?.label ?? defaultRange(dashboard)
        let refreshLabel = refreshes.first { $0.label == refresh }?.label ?? defaultRefresh(dashboard)
        let seconds = ranges.first { $0.label == rangeLabel }!.seconds
        let refreshSeconds = refreshes.first { $0.label == refreshLabel }!.seconds

        var body = "<div class=\"toolbar\"><span class=\"muted small\">Range</span>"
        for choice in ranges {
            body += pill(choice.label, href: "?range=\(choice.label)&refresh=\(refreshLabel)", selected: choice.label == rangeLabel)
        }
        body += "<span class=\"muted small\" style=\"margin-left:12px\">Refresh</span>"
        for choice in refreshes {
            body += pill(choice.label, href: "?range=\(rangeLabel)&refresh=\(choice.label)", selected: choice.label == refreshLabel)
        }
        body += "<span class=\"spacer\"></span><span class=\"muted small\" id=\"updated\"></span></div>\n"
        if let description = dashboard.description {
            body += "<p class=\"muted small\" style=\"margin-top:-8px\">\(HTML.escape(description))</p>\n"
        }
        body += "<noscript><div class=\"card empty\">The panels are drawn with JavaScript; the queries are listed under each title.</div></noscript>\n"
        body += "<div id=\"dashboard\" class=\"dash-grid\" data-range=\"\(seconds)\" data-refresh=\"\(refreshSeconds)\">\n"
        for (index, panel) in dashboard.panels.enumerated() {
            body += panelHTML(panel, index: index)
        }
        body += "</div>\n"
        body += "<script type=\"application/json\" id=\"dashboard-model\">\(scriptJSON(dashboard))</script>\n"
        body += "<script src=\"/static/charts.js\"></script>\n"
        return PageLayout.render(title: dashboard.title, activePath: "/dashboard", body: "<style>\(css)</style>\n" + body)
    }

    /// Renders an error page when the dashboard file cannot be read or decoded.
    public static func renderError(_ error: DashboardError) -> String {
        PageLayout.render(title: "Dashboard", activePath: "/dashboard",
                          body: "<div class=\"card empty error\">\(HTML.escape(error.message))</div>")
    }

    private static func panelHTML(_ panel: GrafanaDashboard.Panel, index: Int) -> String {
        let grid = panel.gridPos
        let style = "grid-column:\(grid.x + 1) / span \(max(1, grid.w));grid-row:\(grid.y + 1) / span \(max(1, grid.h));--rows:\(max(1, grid.h))"
        var html = "<section class=\"card panel panel-\(HTML.escape(panel.type))\" id=\"panel-\(index)\" data-type=\"\(HTML.escape(panel.type))\" style=\"\(style)\">"
        html += "<header><h2 title=\"\(HTML.escape(panel.description ?? ""))\">\(HTML.escape(panel.title))</h2>"
        html += "<details class=\"queries\"><summary>queries</summary><div class=\"qlist\">"
        for target in panel.targets {
            html += "<div>\(HTML.expression(target.expr))</div>"
        }
        html += "</div></details></header>"
        html += "<div class=\"panel-body\"><div class=\"loading muted small\">Loading…</div></div>"
        if panel.type == "timeseries" { html += "<div class=\"panel-legend\"></div>" }
        return html + "</section>\n"
    }

    private static func pill(_ label: String, href: String, selected: Bool) -> String {
        "<a class=\"pill\(selected ? " selected" : "")\" href=\"\(HTML.escape(href))\">\(HTML.escape(label))</a>"
    }

    private static func defaultRange(_ dashboard: GrafanaDashboard) -> String {
        let from = dashboard.time?.from ?? "now-1h"
        let label = from.hasPrefix("now-") ? String(from.dropFirst(4)) : "1h"
        return ranges.contains { $0.label == label } ? label : "1h"
    }

    private static func defaultRefresh(_ dashboard: GrafanaDashboard) -> String {
        let refresh = dashboard.refresh ?? ""
        return refreshes.contains { $0.label == refresh } ? refresh : "off"
    }

    /// The dashboard as JSON that is safe inside a `<script>` element: `<`, `>` and `&` are escaped as `\u00XX`.
    static func scriptJSON(_ dashboard: GrafanaDashboard) -> String {
        struct Model: Encodable {
            var title: String
            var panels: [ModelPanel]
        }
        struct ModelPanel: Encodable {
            var type: String
            var title: String
            var unit: String
            var targets: [GrafanaDashboard.Target]
            var fieldConfig: GrafanaDashboard.FieldConfig?
        }
        let model = Model(title: dashboard.title, panels: dashboard.panels.map {
            ModelPanel(type: $0.type, title: $0.title, unit: $0.unit, targets: $0.targets, fieldConfig: $0.fieldConfig)
        })
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
