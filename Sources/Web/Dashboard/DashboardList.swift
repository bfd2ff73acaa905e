import Foundation

/// DashboardList finds the Grafana dashboards in `--web.dashboards.path` and renders `/dashboards`.
enum DashboardList {
    /// Entry is one JSON file of the directory: the dashboard it holds, or why it could not be read.
    struct Entry: Sendable {
        /// The file's path.
        var path: String
        /// The dashboard's `uid`, or the file name without `.json` when it has none.
        var uid: String
        var title: String
        var panels: Int
        var variables: [String]
        var error: String?
        /// Set when an earlier file (by name) has the same uid; this one is not reachable.
        var shadowedBy: String?
    }

    /// Every `*.json` file directly in `directory`, sorted by file name; a missing directory gives no entries.
    static func scan(directory: String) -> [Entry] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var entries: [Entry] = []
        var seen: [String: String] = [:]
        for file in files.filter({ $0.lowercased().hasSuffix(".json") && !$0.hasPrefix(".") }).sorted() {
            let path = (directory as NSString).appendingPathComponent(file)
            let stem = String(file.dropLast(5))
            var entry: Entry
            do {
                let dashboard = try GrafanaDashboard.load(path: path)
                let uid = dashboard.uid.flatMap { $0.isEmpty ? nil : $0 } ?? stem
                entry = Entry(path: path, uid: uid, title: dashboard.title, panels: dashboard.flattenedPanels.filter { $0.type != "row" }.count,
                              variables: (dashboard.templating?.list ?? []).filter { !["datasource", "adhoc"].contains($0.type) }.map(\.name))
            } catch {
                entry = Entry(path: path, uid: stem, title: file, panels: 0, variables: [], error: error.message)
            }
            if let earlier = seen[entry.uid] {
                entry.shadowedBy = earlier
            } else {
                seen[entry.uid] = file
            }
            entries.append(entry)
        }
        return entries
    }

    /// The `/dashboards` page: a table of the directory's dashboards, linking each to `/dashboards/<uid>`.
    static func render(directory: String, entries: [Entry]) -> String {
        var body = "<p class=\"muted small\">Grafana dashboard JSON files in <code>\(HTML.escape(directory))</code> "
        body += "(<code>--web.dashboards.path</code>); drop a file there and reload.</p>\n"
        if entries.isEmpty {
            body += "<div class=\"card empty\" id=\"no-dashboards\">No dashboard files (*.json) in \(HTML.escape(directory)).</div>"
            return PageLayout.render(title: "Dashboards", activePath: "/dashboard", body: body)
        }
        body += "<section class=\"card\"><div class=\"scroll\"><table class=\"stack dashboards\"><thead><tr><th>Dashboard</th><th>UID</th>"
        body += "<th class=\"num\">Panels</th><th>Variables</th><th>File</th></tr></thead><tbody>\n"
        for entry in entries {
            let file = (entry.path as NSString).lastPathComponent
            body += "<tr>"
            if let error = entry.error {
                body += "<td data-label=\"Dashboard\"><span class=\"error\">\(HTML.escape(error))</span></td>"
            } else if let earlier = entry.shadowedBy {
                body += "<td data-label=\"Dashboard\">\(HTML.escape(entry.title)) <span class=\"error small\">uid also used by \(HTML.escape(earlier)), "
                body += "which is shown</span></td>"
            } else {
                let href = "/dashboards/" + HTML.queryValue(entry.uid)
                body += "<td data-label=\"Dashboard\"><a href=\"\(HTML.escape(href))\">\(HTML.escape(entry.title))</a></td>"
            }
            body += "<td data-label=\"UID\"><code>\(HTML.escape(entry.uid))</code></td><td class=\"num\" data-label=\"Panels\">\(entry.panels)</td>"
            body += "<td data-label=\"Variables\">\(HTML.escape(entry.variables.joined(separator: ", ")))</td>"
            body += "<td data-label=\"File\"><code>\(HTML.escape(file))</code></td></tr>\n"
        }
        body += "</tbody></table></div></section>"
        return PageLayout.render(title: "Dashboards", activePath: "/dashboard", body: body)
    }
}
