import Foundation
import TSDB

/// PageLayout wraps a page body in Vigil's shared HTML shell: inline CSS, a nav bar, light and dark themes.
///
/// Pages are self-contained (no scripts, no CDN) so they work offline and without JavaScript.
public enum PageLayout {
    /// One entry of the nav bar: a link, or a menu of links (drawn as `<details>`, so it opens without JavaScript).
    public enum NavEntry: Sendable {
        case link(path: String, title: String)
        case menu(title: String, links: [(path: String, title: String)])
    }

    /// The nav bar, in Prometheus's order and at its paths, so a Prometheus user finds every page where they expect it.
    public static let navigation: [NavEntry] = [
        .link(path: "/graph", title: "Graph"), .link(path: "/alerts", title: "Alerts"), .link(path: "/rules", title: "Rules"),
        .link(path: "/targets", title: "Targets"), .link(path: "/service-discovery", title: "Service discovery"),
        .menu(title: "Status", links: [
            ("/status", "Runtime & build info"), ("/tsdb-status", "TSDB status"), ("/flags", "Command-line flags"),
            ("/config", "Configuration"),
        ]),
        .link(path: "/dashboards", title: "Dashboards"),
    ]

    /// Renders a whole document; `refreshSeconds` adds a meta refresh, `scripts` are same-origin script paths loaded
    /// with `defer` (the Content-Security-Policy allows no inline script), and `body` is already-escaped HTML.
    public static func render(title: String, activePath: String, refreshSeconds: Int? = nil, scripts: [String] = [],
                              body: String) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">

            """
        if let refreshSeconds { html += "<meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\">\n" }
        html += "<title>\(HTML.escape(title)) · Vigil</title>\n<style>\(css)\(navCSS)\(PageStyle.css)</style>\n"
        for script in scripts { html += "<script defer src=\"\(HTML.escape(script))\"></script>\n" }
        html += "</head>\n<body>\n"
        html += "<header class=\"top\">\(navigationBar(activePath: activePath))</header>\n"
        html += "<main>\n<h1>\(HTML.escape(title))</h1>\n\(body)\n</main>\n</body>\n</html>\n"
        return html
    }

    /// The nav bar; the entry for `activePath` (or the menu holding it) is marked current. `/dashboard/…` pages
    /// count as Dashboards.
    static func navigationBar(activePath: String) -> String {
        func isCurrent(_ path: String) -> Bool {
            path == activePath || (path == "/dashboards" && activePath.hasPrefix("/dashboard"))
        }
        func link(_ path: String, _ title: String) -> String {
            let current = isCurrent(path) ? " class=\"current\" aria-current=\"page\"" : ""
            return "<a href=\"\(path)\"\(current)>\(HTML.escape(title))</a>"
        }
        var html = "<nav aria-label=\"Main\"><a class=\"brand\" href=\"/\">Vigil</a>"
        for entry in navigation {
            switch entry {
            case .link(let path, let title):
                html += link(path, title)
            case .menu(let title, let links):
                let current = links.contains { isCurrent($0.path) } ? " current" : ""
                html += "<details class=\"menu\(current)\"><summary>\(HTML.escape(title))</summary><div class=\"menu-items\">"
                for item in links { html += link(item.path, item.title) }
                html += "</div></details>"
            }
        }
        return html + "</nav>"
    }

    /// The nav bar's drop-down menu, added to the shared style.
    static let navCSS = """
        .top details.menu{position:relative}
        .top details.menu>summary{color:var(--navfg);padding:6px 10px;border-radius:6px;opacity:.8;cursor:pointer;list-style:none}
        .top details.menu>summary::-webkit-details-marker{display:none}
        .top details.menu>summary::after{content:" ▾";font-size:.8em}
        .top details.menu>summary:hover,.top details.menu[open]>summary{opacity:1;background:rgba(255,255,255,.08)}
        .top details.menu.current>summary{opacity:1;background:rgba(255,255,255,.14)}
        .top .menu-items{position:absolute;top:100%;right:0;z-index:2;min-width:14em;margin-top:4px;padding:4px;\
        background:var(--nav);border:1px solid rgba(255,255,255,.15);border-radius:8px;display:flex;flex-direction:column}
        .top .menu-items a{white-space:nowrap}
        """

    static let css = """
        :root{--bg:#f6f7f9;--card:#fff;--fg:#1d2330;--muted:#5f6b7a;--border:#dde1e7;--code:#eef1f5;--link:#1f5fbf;\
        --nav:#1d2330;--navfg:#e6e9ef;--ok:#1a7f37;--okbg:#dcf5e3;--warn:#8a5a00;--warnbg:#fff1c7;--bad:#b42318;\
        --badbg:#fde3e1;--none:#5f6b7a;--nonebg:#e9ecf0;--chip:#eef1f5}
        @media (prefers-color-scheme:dark){:root{--bg:#0f1217;--card:#171b22;--fg:#e3e7ee;--muted:#97a1b0;--border:#2a313c;\
        --code:#1f252e;--link:#7fb0ff;--nav:#0a0c10;--navfg:#e3e7ee;--ok:#6fdd8b;--okbg:#12351f;--warn:#f2c14e;\
        --warnbg:#3a2e0c;--bad:#ff8a80;--badbg:#421a17;--none:#a4adba;--nonebg:#252b34;--chip:#222833}}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
        a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
        .top{background:var(--nav);position:sticky;top:0;z-index:1}
        .top nav{max-width:1200px;margin:0 auto;display:flex;flex-wrap:wrap;gap:2px;padding:6px 12px}
        .top nav a{color:var(--navfg);padding:6px 10px;border-radius:6px;opacity:.8}
        .top nav a:hover{opacity:1;text-decoration:none;background:rgba(255,255,255,.08)}
        .top nav a.current{opacity:1;background:rgba(255,255,255,.14)}
        .top nav a.brand{font-weight:700;opacity:1;margin-right:8px}
        main{max-width:1200px;margin:0 auto;padding:12px 16px 48px}
        h1{font-size:1.5rem;margin:8px 0 12px}
        h2{font-size:1.1rem;margin:0}
        .muted{color:var(--muted)}.small{font-size:.85rem}
        .toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:16px}
        .toolbar .spacer{flex:1}
        .pill{display:inline-block;padding:4px 12px;border-radius:999px;border:1px solid var(--border);background:var(--card);color:var(--fg)}
        .pill:hover{text-decoration:none;border-color:var(--link)}
        .pill.selected{background:var(--link);border-color:var(--link);color:var(--card)}
        .card{background:var(--card);border:1px solid var(--border);border-radius:10px;margin:0 0 16px;overflow:hidden}
        .card>header{padding:10px 14px;border-bottom:1px solid var(--border);display:flex;flex-wrap:wrap;gap:4px 16px;align-items:baseline}
        .card>header .meta{color:var(--muted);font-size:.85rem}
        .badge{display:inline-block;min-width:64px;text-align:center;padding:1px 8px;border-radius:6px;font-size:.75rem;font-weight:700;\
        letter-spacing:.03em;text-transform:uppercase;background:var(--nonebg);color:var(--none);white-space:nowrap}
        .badge.firing,.badge.down,.badge.err{background:var(--badbg);color:var(--bad)}
        .badge.pending{background:var(--warnbg);color:var(--warn)}
        .badge.ok,.badge.up{background:var(--okbg);color:var(--ok)}
        code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
        code.expr{display:inline-block;background:var(--code);padding:2px 6px;border-radius:4px;white-space:pre-wrap;word-break:break-word}
        a code.expr{color:var(--link)}
        .chips{display:flex;flex-wrap:wrap;gap:4px}
        .chip{background:var(--chip);border-radius:4px;padding:0 6px;font-size:.8rem;font-family:ui-monospace,Menlo,Consolas,monospace;\
        word-break:break-all}
        .chip b{font-weight:600}
        details.rule{border-top:1px solid var(--border)}
        details.rule:first-of-type{border-top:0}
        details.rule>summary{padding:10px 14px;cursor:pointer;display:flex;gap:10px;align-items:center;flex-wrap:wrap;list-style:none}
        details.rule>summary::-webkit-details-marker{display:none}
        details.rule>summary::before{content:"▸";color:var(--muted);width:1em}
        details.rule[open]>summary::before{content:"▾"}
        details.rule>summary .name{font-weight:600}
        .rule-body{padding:0 14px 12px 38px}
        dl.props{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0 0 10px}
        dl.props dt{color:var(--muted)}dl.props dd{margin:0;min-width:0}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%}
        th,td{text-align:left;vertical-align:top;padding:8px 14px;border-top:1px solid var(--border)}
        th{font-size:.8rem;color:var(--muted);font-weight:600;border-top:0;white-space:nowrap}
        td.num,th.num{text-align:right;white-space:nowrap}
        td.nowrap{white-space:nowrap}
        table.targets{table-layout:fixed}
        table.targets th:nth-child(1){width:26%}table.targets th:nth-child(2){width:9%}table.targets th:nth-child(3){width:27%}
        table.targets th:nth-child(4),table.targets th:nth-child(5){width:11%}
        .error{color:var(--bad);word-break:break-word}
        .annotations{margin:4px 0 0;font-size:.85rem}
        .annotations dt{color:var(--muted);font-weight:600}
        .annotations dd{margin:0 0 4px;white-space:pre-wrap;word-break:break-word}
        .empty{padding:24px;text-align:center;color:var(--muted)}
        @media (max-width:640px){
        main{padding:8px 10px 32px}
        .rule-body{padding:0 12px 12px}
        table.stack thead{display:none}
        table.stack tr{display:block;border-top:1px solid var(--border);padding:6px 0}
        table.stack td{display:grid;grid-template-columns:7.5em 1fr;gap:8px;border:0;padding:3px 12px}
        table.stack td::before{content:attr(data-label);color:var(--muted);font-size:.8rem}
        table.stack td.num{text-align:left}
        table.stack td .badge{justify-self:start}
        table.targets th{width:auto}
        }
        """
}

/// HTML holds the escaping and formatting helpers the pages share.
public enum HTML {
    /// Escapes text for use in element content and quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay as they are).
    public static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet()
        allowed.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The `/graph` link for an expression, in Prometheus's `g0.expr` form.
    public static func graphLink(_ expr: String) -> String { "/graph?g0.expr=\(queryValue(expr))&g0.tab=1" }

    /// An expression as a `<code>` block that links to the graph page.
    static func expression(_ expr: String) -> String {
        "<a href=\"\(escape(graphLink(expr)))\"><code class=\"expr\">\(escape(expr))</code></a>"
    }

    /// Labels as chips; `{}` in muted text when there are none.
    static func labels(_ labels: Labels) -> String {
        if labels.isEmpty { return "<span class=\"muted\">none</span>" }
        var html = "<span class=\"chips\">"
        for label in labels {
            html += "<span class=\"chip\"><b>\(escape(label.name))</b>=\(escape(label.value))</span>"
        }
        return html + "</span>"
    }

    /// A label set as a definition list, for annotations.
    static func annotations(_ annotations: Labels) -> String {
        if annotations.isEmpty { return "" }
        var html = "<dl class=\"annotations\">"
        for annotation in annotations {
            html += "<dt>\(escape(annotation.name))</dt><dd>\(escape(annotation.value))</dd>"
        }
        return html + "</dl>"
    }

    /// A badge; `kind` picks the colour class and must be a plain word.
    static func badge(_ text: String, kind: String) -> String {
        "<span class=\"badge \(kind)\">\(escape(text))</span>"
    }

    /// How long ago `time` was, as "12s ago" or "3m 4s ago"; "never" for nil.
    public static func relative(_ time: Date?, now: Date) -> String {
        guard let time else { return "never" }
        let seconds = now.timeIntervalSince(time)
        if seconds < 0 { return "in " + span(-seconds) }
        return span(seconds) + " ago"
    }

    /// Like `relative(_:now:)` for a Vigil timestamp in milliseconds.
    public static func relative(ms time: Timestamp?, now: Date) -> String {
        relative(time.map { Date(timeIntervalSince1970: Double($0) / 1000) }, now: now)
    }

    /// A rough duration: "850ms", "12s", "3m 4s", "2h 5m", "3d 4h".
    public static func span(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        let total = Int(seconds.rounded(.down))
        let (d, h, m, s) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60)
        if d > 0 { return h > 0 ? "\(d)d \(h)h" : "\(d)d" }
        if h > 0 { return m > 0 ? "\(h)h \(m)m" : "\(h)h" }
        if m > 0 { return s > 0 ? "\(m)m \(s)s" : "\(m)m" }
        return "\(s)s"
    }

    /// An evaluation or scrape duration: "1.234ms", "0.512s".
    public static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return String(format: "%.3fms", seconds * 1000) }
        return String(format: "%.3fs", seconds)
    }

    /// An absolute UTC time with its relative age, for tooltips.
    static func timestamp(_ time: Timestamp, now: Date) -> String {
        let date = Date(timeIntervalSince1970: Double(time) / 1000)
        let formatter = ISO8601DateFormatter()
        return "<time datetime=\"\(formatter.string(from: date))\" title=\"\(formatter.string(from: date))\">\(escape(relative(date, now: now)))</time>"
    }

    /// A sample value as Prometheus prints it.
    static func value(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
