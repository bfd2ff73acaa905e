import Foundation
import PromQL
import Rules
import TSDB

/// AlertsPage renders `/alerts`: alerting rules by file and group, each with its state and active alerts.
///
/// As in Prometheus, the state filter and the counts are per rule: a rule's state is the highest state of its alerts.
public enum AlertsPage {
    /// Seconds between automatic reloads, unless `?refresh=0`.
    public static let refreshSeconds = 30

    /// Renders the page from the rule manager's groups.
    public static func render(groups: [RuleGroup], now: Date, stateFilter: AlertState.State? = nil, autoRefresh: Bool = true) -> String {
        render(groups: groups.map(RuleGroupView.init), now: now, stateFilter: stateFilter, autoRefresh: autoRefresh)
    }

    /// Renders the page from view models; only alerting rules are shown.
    public static func render(groups: [RuleGroupView], now: Date, stateFilter: AlertState.State? = nil, autoRefresh: Bool = true) -> String {
        let alerting = groups.map { group in
            var group = group
            group.rules = group.rules.filter(\.isAlerting)
            return group
        }.filter { !$0.rules.isEmpty }
        let all = alerting.flatMap(\.rules)
        var body = toolbar(rules: all, stateFilter: stateFilter, autoRefresh: autoRefresh)

        var shown = 0
        var currentFile: String?
        for group in alerting {
            let rules = group.rules.filter { stateFilter == nil || $0.state == stateFilter }
            if rules.isEmpty { continue }
            if group.file != currentFile {
                currentFile = group.file
                body += "<p class=\"muted small\">\(HTML.escape(group.file))</p>\n"
            }
            body += "<section class=\"card\"><header><h2>\(HTML.escape(group.name))</h2>"
            body += "<span class=\"meta\">\(rules.count) rule\(rules.count == 1 ? "" : "s") · every \(HTML.escape(formatDuration(group.interval)))</span></header>\n"
            for rule in rules { body += self.rule(rule, now: now) }
            body += "</section>\n"
            shown += rules.count
        }
        if shown == 0 {
            let what = stateFilter.map { "No \($0) alerting rules." } ?? "No alerting rules are loaded."
            body += "<div class=\"card empty\">\(what)</div>\n"
        }
        return PageLayout.render(title: "Alerts", activePath: "/alerts", refreshSeconds: autoRefresh ? refreshSeconds : nil, body: body)
    }

    /// Parses `?state=`; nil for a missing or unknown value, which shows every rule.
    public static func stateFilter(_ value: String?) -> AlertState.State? {
        switch value?.lowercased() {
        case "firing": .firing
        case "pending": .pending
        case "inactive": .inactive
        default: nil
        }
    }

    private static func toolbar(rules: [RuleView], stateFilter: AlertState.State?, autoRefresh: Bool) -> String {
        let refreshQuery = autoRefresh ? "" : "refresh=0"
        func link(_ state: AlertState.State?, _ title: String, _ count: Int) -> String {
            var query: [String] = []
            if let state { query.append("state=\(state)") }
            if !refreshQuery.isEmpty { query.append(refreshQuery) }
            let href = "/alerts" + (query.isEmpty ? "" : "?" + query.joined(separator: "&amp;"))
            let selected = state == stateFilter
            let stateClass = state.map { " s-\($0)" } ?? ""
            return "<a class=\"pill\(stateClass)\(selected ? " selected" : "")\" href=\"\(href)\"\(selected ? " aria-current=\"true\"" : "")>\(title) <b>\(count)</b></a>"
        }
        var html = "<nav class=\"toolbar\" aria-label=\"Filter by state\">"
        html += link(nil, "All", rules.count)
        html += link(.firing, "Firing", rules.count { $0.state == .firing })
        html += link(.pending, "Pending", rules.count { $0.state == .pending })
        html += link(.inactive, "Inactive", rules.count { $0.state == .inactive })
        html += "<span class=\"spacer\"></span>"
        let stateQuery = stateFilter.map { "state=\($0)" }
        if autoRefresh {
            let href = "/alerts?" + ([stateQuery, "refresh=0"].compactMap { $0 }.joined(separator: "&amp;"))
            html += "<span class=\"muted small\">Refreshes every \(refreshSeconds)s · <a href=\"\(href)\">turn off</a></span>"
        } else {
            let href = "/alerts" + (stateQuery.map { "?" + $0 } ?? "")
            html += "<span class=\"muted small\">Auto-refresh off · <a href=\"\(href)\">turn on</a></span>"
        }
        return html + "</nav>\n"
    }

    private static func rule(_ rule: RuleView, now: Date) -> String {
        let state = rule.state
        let open = state != .inactive ? " open" : ""
        var html = "<details class=\"rule\"\(open)><summary>\(HTML.badge("\(state)", kind: "\(state)"))"
        html += "<span class=\"name\">\(HTML.escape(rule.name))</span>"
        let firing = rule.count(.firing), pending = rule.count(.pending)
        var counts: [String] = []
        if firing > 0 { counts.append("\(firing) firing") }
        if pending > 0 { counts.append("\(pending) pending") }
        if !counts.isEmpty { html += "<span class=\"muted small\">\(counts.joined(separator: ", "))</span>" }
        if rule.health == .err { html += HTML.badge("error", kind: "err") }
        html += "</summary>\n<div class=\"rule-body\"><dl class=\"props\">"
        html += "<dt>expr</dt><dd>\(HTML.expression(rule.exprText))</dd>"
        if rule.holdDuration > 0 { html += "<dt>for</dt><dd>\(HTML.escape(formatDuration(rule.holdDuration)))</dd>" }
        if rule.keepFiringFor > 0 { html += "<dt>keep_firing_for</dt><dd>\(HTML.escape(formatDuration(rule.keepFiringFor)))</dd>" }
        if !rule.labels.isEmpty { html += "<dt>labels</dt><dd>\(HTML.labels(rule.labels))</dd>" }
        if !rule.lastError.isEmpty { html += "<dt>error</dt><dd class=\"error\">\(HTML.escape(rule.lastError))</dd>" }
        html += "</dl>\n"
        let alerts = rule.alerts.sorted { ($0.state, $1.activeAt) > ($1.state, $0.activeAt) }
        if alerts.isEmpty {
            html += "<p class=\"muted small\">No active alerts.</p>"
        } else {
            html += "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>Labels</th><th>State</th><th>Active since</th>"
            html += "<th class=\"num\">Value</th><th>Annotations</th></tr></thead><tbody>\n"
            for alert in alerts {
                html += "<tr><td data-label=\"Labels\">\(HTML.labels(alert.labels))</td>"
                html += "<td data-label=\"State\">\(HTML.badge("\(alert.state)", kind: "\(alert.state)"))</td>"
                html += "<td data-label=\"Active since\" class=\"nowrap\">\(HTML.timestamp(alert.activeAt, now: now))</td>"
                html += "<td data-label=\"Value\" class=\"num\">\(HTML.escape(HTML.value(alert.value)))</td>"
                html += "<td data-label=\"Annotations\">\(alert.annotations.isEmpty ? "<span class=\"muted\">none</span>" : HTML.annotations(alert.annotations))</td></tr>\n"
            }
            html += "</tbody></table></div>"
        }
        return html + "</div></details>\n"
    }
}
