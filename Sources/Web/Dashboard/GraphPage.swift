import Foundation
import Model
import PromQL
import TSDB

/// GraphPage renders `/graph`, an expression browser like Prometheus's: query panels, each with a Table and a Graph tab.
///
/// Everything but drawing happens on the server so the page works without JavaScript: the Table tab is evaluated
/// here, panels are added and removed by links, and every control is a form field named as Prometheus's URL
/// parameters (`g0.expr`, `g0.tab`, …, see `GraphPanelOptions`). `/static/graph.js` adds completion, Enter to run
/// and drag-to-zoom; `/static/charts.js` draws the Graph tab from the range the server resolved.
public enum GraphPage {
    /// Outcome is what evaluating the expression gave, for the page to show.
    public enum Outcome: Sendable {
        /// No expression was entered.
        case empty
        /// The expression did not parse; `line` and `column` are 1-based, the column counted in bytes.
        case parseError(message: String, line: Int, column: Int)
        /// The expression parsed but evaluation failed.
        case failed(String)
        /// The instant query's value at `at` (milliseconds), which took `seconds`.
        case value(QueryValue, at: Timestamp, seconds: Double)
        /// The expression parsed; the browser draws it (Graph tab).
        case deferred
    }

    /// The graph ranges the picker offers, up to the storage's retention; any other duration can be typed into the URL.
    static let rangeChoices: [Int64] = {
        let minutes: [Int64] = [5, 15, 30, 60, 120, 360, 720, 1440, 2880, 10_080, 20_160, 43_200, 129_600, 525_600]
        return minutes.map { $0 * 60_000 }
    }()

    /// The picker's choices for a store keeping `retention` milliseconds (nil: no limit), plus `current` if it is not one.
    static func ranges(retention: Int64?, current: Int64) -> [Int64] {
        let limit = retention.map { max($0, 300_000) } ?? Int64.max
        var choices = rangeChoices.filter { $0 <= limit }
        // The retention itself, when it is not a round choice (15d), so the whole store can be shown.
        if let retention, retention > 300_000, retention < 365 * 86_400_000, !choices.contains(retention) { choices.append(retention) }
        if !choices.contains(current) { choices.append(current) }
        return choices.sorted()
    }

    /// Renders the page for `panels`, each with the outcome of evaluating it, at `now` (milliseconds).
    public static func render(panels: [GraphPanelOptions], outcomes: [Outcome], retention: Int64?, now: Timestamp) -> String {
        var body = "<style>\(DashboardPage.css)\(css)</style>\n"
        body += "<form id=\"graph-form\" method=\"get\" action=\"/graph\">\n"
        // The first empty panel takes the focus, so a new panel can be typed into at once.
        let focused = panels.firstIndex { $0.expr.isEmpty }
        for (index, panel) in panels.enumerated() {
            let outcome = index < outcomes.count ? outcomes[index] : .empty
            body += panelHTML(panel, index: index, of: panels, outcome: outcome, retention: retention, now: now, focused: focused == index)
        }
        var more = panels
        more.append(GraphPanelOptions())
        body += "<div class=\"toolbar\"><a class=\"pill\" id=\"add-panel\" href=\"\(HTML.escape(GraphPanelOptions.url(more)))\">Add panel</a></div>"
        body += "</form>\n<script src=\"/static/charts.js\"></script>\n<script src=\"/static/graph.js\"></script>\n"
        return PageLayout.render(title: "Graph", activePath: "/graph", body: body)
    }

    private static func panelHTML(_ panel: GraphPanelOptions, index: Int, of panels: [GraphPanelOptions], outcome: Outcome,
                                  retention: Int64?, now: Timestamp, focused: Bool) -> String {
        let name = "g\(index)."
        func link(_ change: (inout GraphPanelOptions) -> Void) -> String {
            var changed = panels
            change(&changed[index])
            return HTML.escape(GraphPanelOptions.url(changed))
        }
        let lines = max(1, min(8, panel.expr.split(separator: "\n", omittingEmptySubsequences: false).count))
        var html = "<section class=\"card graph-panel\" id=\"panel-\(index)\" data-index=\"\(index)\">\n<div class=\"query-form\">"
        html += "<div class=\"expr-box\"><textarea id=\"expr-\(index)\" class=\"expr-input\" name=\"\(name)expr\" rows=\"\(lines)\" "
        html += "spellcheck=\"false\" autocomplete=\"off\" autocapitalize=\"off\" role=\"combobox\" aria-autocomplete=\"list\" "
        html += "aria-expanded=\"false\" aria-controls=\"complete-\(index)\" \(focused ? "autofocus " : "")"
        html += "placeholder=\"Expression (press Enter to execute)\" aria-label=\"PromQL expression of panel \(index + 1)\">\(HTML.escape(panel.expr))</textarea>"
        html += "<ul class=\"completions\" id=\"complete-\(index)\" role=\"listbox\" hidden></ul></div>"
        html += "<button type=\"submit\" class=\"pill selected\">Execute</button>"
        if panels.count > 1 {
            var fewer = panels
            fewer.remove(at: index)
            html += "<a class=\"pill remove\" href=\"\(HTML.escape(GraphPanelOptions.url(fewer)))\" title=\"Remove this panel\" "
            html += "aria-label=\"Remove panel \(index + 1)\">✕</a>"
        }
        html += "</div>\n"
        for problem in panel.problems {
            html += "<div class=\"error small panel-problem\">\(HTML.escape(problem))</div>"
        }
        if case .parseError(let message, let line, let column) = outcome {
            html += parseErrorHTML(expr: panel.expr, message: message, line: line, column: column, index: index)
        }
        html += "<div class=\"toolbar tabs\"><input type=\"hidden\" name=\"\(name)tab\" value=\"\(panel.tab.rawValue)\">"
        html += "<a class=\"pill\(panel.tab == .table ? " selected" : "")\" href=\"\(link { $0.tab = .table })\">Table</a>"
        html += "<a class=\"pill\(panel.tab == .graph ? " selected" : "")\" href=\"\(link { $0.tab = .graph })\">Graph</a>"
        html += "<span class=\"spacer\"></span>"
        if panel.tab == .graph {
            html += "<label class=\"control\">Range <select name=\"\(name)range_input\" class=\"range-input\">"
            for choice in ranges(retention: retention, current: panel.range) {
                let text = PrometheusDuration(milliseconds: choice).description
                html += "<option value=\"\(text)\"\(choice == panel.range ? " selected" : "")>\(text)</option>"
            }
            html += "</select></label>"
            html += "<label class=\"control\">End <input type=\"datetime-local\" step=\"1\" name=\"\(name)end_input\" "
            html += "value=\"\(panel.end.map(localInputValue) ?? "")\"> <span class=\"muted small\">UTC</span></label>"
            let auto = GraphPanelOptions.formatSeconds(GraphPanelOptions.automaticStep(range: panel.range))
            html += "<label class=\"control\">Step <input type=\"number\" min=\"0.001\" step=\"any\" class=\"step-input\" "
            html += "name=\"\(name)step_input\" value=\"\(panel.step.map(GraphPanelOptions.formatSeconds) ?? "")\" placeholder=\"\(auto)\"> s"
            html += " <span class=\"muted small step-note\">\(panel.step == nil ? "auto: \(auto) s" : "auto would be \(auto) s")</span></label>"
            html += "<label class=\"control\"><input type=\"checkbox\" name=\"\(name)stacked\" value=\"1\"\(panel.stacked ? " checked" : "")> Stacked</label>"
            if let moment = panel.moment { html += hidden(name + "moment_input", GraphPanelOptions.formatTime(moment)) }
        } else {
            html += "<label class=\"control\">Evaluation time <input type=\"datetime-local\" step=\"1\" name=\"\(name)moment_input\" "
            html += "value=\"\(panel.moment.map(localInputValue) ?? "")\" title=\"UTC; empty evaluates now\"> UTC</label>"
            html += hidden(name + "range_input", PrometheusDuration(milliseconds: panel.range).description)
            if let end = panel.end { html += hidden(name + "end_input", GraphPanelOptions.formatTime(end)) }
            if let step = panel.step { html += hidden(name + "step_input", GraphPanelOptions.formatSeconds(step)) }
            if panel.stacked { html += hidden(name + "stacked", "1") }
        }
        html += "</div>\n"
        switch outcome {
        case .empty:
            html += "<div class=\"empty\">Enter a PromQL expression, such as <code class=\"expr\">up</code>.</div>"
        case .parseError:
            break
        case .failed(let message):
            html += "<div class=\"empty error query-error\" id=\"query-error-\(index)\">\(HTML.escape(message))</div>"
        case .value(let value, let at, let took):
            html += tableHTML(value, at: at, took: took, index: index)
        case .deferred:
            let end = panel.end ?? now
            let step = panel.effectiveStep
            html += "<div class=\"graph\" id=\"graph-\(index)\" data-expr=\"\(HTML.escape(panel.expr))\" "
            html += "data-start=\"\(GraphPanelOptions.formatSeconds(end - panel.range))\" data-end=\"\(GraphPanelOptions.formatSeconds(end))\" "
            html += "data-step=\"\(GraphPanelOptions.formatSeconds(step))\" data-stacked=\"\(panel.stacked ? 1 : 0)\">"
            html += "<div class=\"graph-chart\"><div class=\"empty\">Loading…</div></div><div class=\"graph-legend\"></div>"
            html += "<noscript><div class=\"empty\">The graph needs JavaScript; the Table tab works without it.</div></noscript></div>"
        }
        return html + "</section>\n"
    }

    private static func hidden(_ name: String, _ value: String) -> String {
        "<input type=\"hidden\" name=\"\(HTML.escape(name))\" value=\"\(HTML.escape(value))\">"
    }

    /// A time as an HTML `datetime-local` value (`YYYY-MM-DDTHH:mm:ss`), in UTC like Prometheus's URL.
    static func localInputValue(_ time: Timestamp) -> String {
        GraphPanelOptions.formatTime(time).replacingOccurrences(of: " ", with: "T")
    }

    /// Renders the API's message and the offending line with the column marked, like a compiler does.
    static func parseErrorHTML(expr: String, message: String, line: Int, column: Int, index: Int) -> String {
        let full = "invalid parameter \"query\": \(line):\(column): parse error: \(message)"
        let allLines = expr.split(separator: "\n", omittingEmptySubsequences: false)
        let text = line >= 1 && line <= allLines.count ? allLines[line - 1] : ""
        let bytes = Array(text.utf8)
        let cut = min(max(column - 1, 0), bytes.count)
        // Count characters, not bytes, so the caret sits under the right glyph in a monospace font.
        let before = String(decoding: bytes[..<cut], as: UTF8.self)
        let rest = String(decoding: bytes[cut...], as: UTF8.self)
        let marked = rest.first.map { String($0) } ?? " "
        let after = rest.isEmpty ? "" : String(rest.dropFirst())
        var html = "<div class=\"parse-error\" id=\"parse-error-\(index)\" data-line=\"\(line)\" data-column=\"\(column)\">"
        html += "<div class=\"error\">\(HTML.escape(full))</div>"
        html += "<pre class=\"caret\"><span class=\"muted\">\(line) | </span>\(HTML.escape(before))<mark>\(HTML.escape(marked))</mark>\(HTML.escape(after))\n"
        html += "<span class=\"muted\">\(String(repeating: " ", count: "\(line) | ".count))</span>"
        html += "\(String(repeating: " ", count: before.count))<span class=\"error\">^</span></pre></div>\n"
        return html
    }

    /// The instant query's result as a table of series and values.
    static func tableHTML(_ value: QueryValue, at: Timestamp, took: Double, index: Int) -> String {
        var rows = ""
        var count = 0
        switch value {
        case .scalar(_, let v):
            count = 1
            rows += "<tr><td><span class=\"muted\">scalar</span></td><td class=\"num\">\(HTML.escape(HTML.value(v)))</td></tr>\n"
        case .string(_, let text):
            count = 1
            rows += "<tr><td><span class=\"muted\">string</span></td><td class=\"num\">\(HTML.escape(text))</td></tr>\n"
        case .vector(let samples):
            count = samples.count
            for sample in samples {
                rows += "<tr><td class=\"series\">\(seriesHTML(sample.labels))</td><td class=\"num\">\(HTML.escape(HTML.value(sample.v)))</td></tr>\n"
            }
        case .matrix(let series):
            count = series.count
            for one in series {
                let values = one.samples.map { "\(HTML.value($0.v)) @\(String(format: "%.3f", Double($0.t) / 1000))" }.joined(separator: "\n")
                rows += "<tr><td class=\"series\">\(seriesHTML(one.labels))</td><td class=\"num\"><pre>\(HTML.escape(values))</pre></td></tr>\n"
            }
        }
        let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(at) / 1000))
        var html = "<div class=\"result-table\" id=\"table-\(index)\"><div class=\"meta muted small\">\(value.resultType), "
        html += "\(count) series · evaluated at \(HTML.escape(when)) in \(HTML.escape(HTML.duration(took)))</div>"
        if count == 0 {
            return html + "<div class=\"empty\">Empty query result</div></div>"
        }
        html += "<div class=\"scroll\"><table class=\"result\"><thead><tr><th>Series</th><th class=\"num\">Value</th></tr></thead><tbody>\n"
        return html + rows + "</tbody></table></div></div>"
    }

    /// A series as Prometheus prints it, `name{label="value", …}`, with every part escaped.
    static func seriesHTML(_ labels: Labels) -> String {
        var html = "<span class=\"metric\">\(HTML.escape(labels.name ?? ""))</span>{"
        html += labels.withoutMetricName.map { label in
            "<span class=\"lname\">\(HTML.escape(label.name))</span>=\"<span class=\"lvalue\">\(HTML.escape(escapeLabelValue(label.value)))</span>\""
        }.joined(separator: ", ")
        return html + "}"
    }

    private static func escapeLabelValue(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static let css = """
        .graph-panel{overflow:visible;padding-bottom:4px}
        .graph-panel>.toolbar{padding:0 10px;margin-bottom:8px}
        .control input.step-input{width:6em}
        .expr-box{flex:1;position:relative;display:flex;min-width:0}
        .completions{position:absolute;left:0;top:100%;z-index:5;margin:2px 0 0;padding:4px 0;list-style:none;min-width:260px;max-width:100%;\
        max-height:280px;overflow:auto;background:var(--card);border:1px solid var(--border);border-radius:6px;box-shadow:0 4px 12px rgba(0,0,0,.18);\
        font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        .completions li{padding:2px 10px;cursor:pointer;display:flex;gap:12px;justify-content:space-between}
        .completions li[aria-selected=true]{background:var(--link);color:var(--card)}
        .completions li .kind{opacity:.65;font-size:11px}
        .panel-problem{padding:0 12px 6px}
        .result-table .meta{padding:0 14px 6px}
        .graph{padding:0 4px}
        .pill.remove{padding:4px 10px}
        .zoom-box{fill:var(--link);opacity:.15}
        .query-form{display:flex;gap:8px;align-items:flex-start;padding:10px;overflow:visible}
        .query-form textarea{flex:1;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:6px 8px;\
        border:1px solid var(--border);border-radius:6px;background:var(--bg);color:var(--fg);resize:vertical;min-height:36px;\
        field-sizing:content;max-height:12em;min-width:0}
        .query-form button{cursor:pointer;font:inherit;padding:6px 14px}
        .parse-error{padding:0 14px 10px}
        pre.caret{margin:6px 0 0;font-size:14px;line-height:1.4;overflow-x:auto}
        pre.caret mark{background:var(--badbg);color:var(--bad);border-bottom:2px solid var(--bad)}
        table.result td.series{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;word-break:break-all}
        table.result .metric{font-weight:600}
        table.result .lname{color:var(--muted)}
        table.result td pre{margin:0}
        .graph-chart{height:420px;position:relative;padding:8px 4px 0}
        .graph-legend{padding:4px 10px 10px}
        """
}
