import Foundation
import PromQL
import TSDB

/// GraphPage renders `/graph`, an expression browser like Prometheus's: a PromQL input with a Table and a Graph tab.
///
/// The Table tab is evaluated and rendered on the server so it works without JavaScript; the Graph tab
/// draws a range query with `/static/charts.js`. Parameters use Prometheus's `g0.expr`/`g0.tab` form, where
/// tab 0 is the graph and tab 1 the table.
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

    /// The graph ranges offered, as in `/dashboard`.
    static let ranges = DashboardPage.ranges

    /// Renders the page for `expr` on `tab` (0 graph, 1 table) over the range labelled `range` (graph tab only).
    public static func render(expr: String, tab: Int, range: String, outcome: Outcome) -> String {
        let rangeLabel = ranges.contains { $0.label == range } ? range : "1h"
        let seconds = ranges.first { $0.label == rangeLabel }!.seconds
        var body = "<style>\(DashboardPage.css)\(css)</style>\n"
        let lines = max(1, min(8, expr.split(separator: "\n", omittingEmptySubsequences: false).count))
        body += "<form class=\"card query-form\" method=\"get\" action=\"/graph\">"
        body += "<textarea id=\"expr-input\" name=\"g0.expr\" rows=\"\(lines)\" spellcheck=\"false\" autocomplete=\"off\" "
        body += "placeholder=\"Expression (press Enter to execute)\" aria-label=\"PromQL expression\">\(HTML.escape(expr))</textarea>"
        body += "<input type=\"hidden\" name=\"g0.tab\" value=\"\(tab)\"><input type=\"hidden\" name=\"g0.range_input\" value=\"\(HTML.escape(rangeLabel))\">"
        body += "<button type=\"submit\" class=\"pill selected\">Execute</button></form>\n"
        if case .parseError(let message, let line, let column) = outcome {
            body += parseErrorHTML(expr: expr, message: message, line: line, column: column)
        }
        body += "<div class=\"toolbar tabs\">"
        body += tabLink("Table", expr: expr, tab: 1, range: rangeLabel, selected: tab == 1)
        body += tabLink("Graph", expr: expr, tab: 0, range: rangeLabel, selected: tab == 0)
        if tab == 0 {
            body += "<span class=\"spacer\"></span><span class=\"muted small\">Range</span>"
            for choice in ranges {
                let href = "/graph?g0.expr=\(HTML.queryValue(expr))&g0.tab=0&g0.range_input=\(choice.label)"
                body += "<a class=\"pill\(choice.label == rangeLabel ? " selected" : "")\" href=\"\(HTML.escape(href))\">\(choice.label)</a>"
            }
        }
        body += "</div>\n"
        switch outcome {
        case .empty:
            body += "<div class=\"card empty\">Enter a PromQL expression, such as <code class=\"expr\">up</code>.</div>"
        case .parseError:
            break
        case .failed(let message):
            body += "<div class=\"card empty error\" id=\"query-error\">\(HTML.escape(message))</div>"
        case .value(let value, let at, let took):
            body += tableHTML(value, at: at, took: took)
        case .deferred:
            body += "<section class=\"card\" id=\"graph\" data-expr=\"\(HTML.escape(expr))\" data-range=\"\(seconds)\">"
            body += "<div class=\"graph-chart\" id=\"graph-chart\"><div class=\"empty\">Loading…</div></div>"
            body += "<div class=\"graph-legend\" id=\"graph-legend\"></div>"
            body += "<noscript><div class=\"empty\">The graph needs JavaScript; the Table tab works without it.</div></noscript></section>"
        }
        body += "\n<script src=\"/static/charts.js\"></script>\n"
        return PageLayout.render(title: "Graph", activePath: "/graph", body: body)
    }

    /// Renders the API's message and the offending line with the column marked, like a compiler does.
    static func parseErrorHTML(expr: String, message: String, line: Int, column: Int) -> String {
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
        var html = "<div class=\"card parse-error\" id=\"parse-error\" data-line=\"\(line)\" data-column=\"\(column)\">"
        html += "<div class=\"error\">\(HTML.escape(full))</div>"
        html += "<pre class=\"caret\"><span class=\"muted\">\(line) | </span>\(HTML.escape(before))<mark>\(HTML.escape(marked))</mark>\(HTML.escape(after))\n"
        html += "<span class=\"muted\">\(String(repeating: " ", count: "\(line) | ".count))</span>"
        html += "\(String(repeating: " ", count: before.count))<span class=\"error\">^</span></pre></div>\n"
        return html
    }

    private static func tabLink(_ title: String, expr: String, tab: Int, range: String, selected: Bool) -> String {
        let href = "/graph?g0.expr=\(HTML.queryValue(expr))&g0.tab=\(tab)&g0.range_input=\(range)"
        return "<a class=\"pill\(selected ? " selected" : "")\" href=\"\(HTML.escape(href))\">\(title)</a>"
    }

    /// The instant query's result as a table of series and values.
    static func tableHTML(_ value: QueryValue, at: Timestamp, took: Double) -> String {
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
        var html = "<section class=\"card\" id=\"table\"><header><h2>Result</h2><span class=\"meta\">\(value.resultType), "
        html += "\(count) series · evaluated at \(HTML.escape(when)) in \(HTML.escape(HTML.duration(took)))</span></header>"
        if count == 0 {
            return html + "<div class=\"empty\">Empty query result</div></section>"
        }
        html += "<div class=\"scroll\"><table class=\"result\"><thead><tr><th>Series</th><th class=\"num\">Value</th></tr></thead><tbody>\n"
        return html + rows + "</tbody></table></div></section>"
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
        .query-form{display:flex;gap:8px;align-items:flex-start;padding:10px;overflow:visible}
        .query-form textarea{flex:1;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:6px 8px;\
        border:1px solid var(--border);border-radius:6px;background:var(--bg);color:var(--fg);resize:vertical;min-height:36px}
        .query-form button{cursor:pointer;font:inherit;padding:6px 14px}
        .parse-error{padding:10px 14px}
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
