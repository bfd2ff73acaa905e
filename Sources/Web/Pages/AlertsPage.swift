import Foundation
import Model
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
    public static func render(groups: [RuleGroup], now: Date, stateFilter: AlertState.State? = nil, autoRefresh: Bool = true,
                              search: LabelSearch = LabelSearch(nil), alertmanagerURL: String? = nil) -> String {
        render(groups: groups.map(RuleGroupView.init), now: now, stateFilter: stateFilter, autoRefresh: autoRefresh,
               search: search, alertmanagerURL: alertmanagerURL)
    }

    /// Renders the page from view models; only alerting rules are shown.
    ///
    /// Rules and alerts that `search` does not match are sent `hidden`, so the filter works without JavaScript and the
    /// search script can show them again as the search changes. `alertmanagerURL` (the Alertmanager's web address)
    /// adds a silence link to each firing alert.
    public static func render(groups: [RuleGroupView], now: Date, stateFilter: AlertState.State? = nil, autoRefresh: Bool = true,
                              search: LabelSearch = LabelSearch(nil), alertmanagerURL: String? = nil) -> String {
        let alerting = groups.map { group in
            var group = group
            group.rules = group.rules.filter(\.isAlerting)
            return group
        }.filter { !$0.rules.isEmpty }
        let all = alerting.flatMap(\.rules)
        var body = toolbar(rules: all, stateFilter: stateFilter, autoRefresh: autoRefresh, search: search)
        var hidden: [(String, String)] = []
        if let stateFilter { hidden.append(("state", "\(stateFilter)")) }
        if !autoRefresh { hidden.append(("refresh", "0")) }
        body += LabelSearch.form(action: "/alerts", search: search, placeholder: "Filter by name or labels", hidden: hidden)

        var shown = 0, visible = 0
        for group in alerting {
            let rules = group.rules.filter { stateFilter == nil || $0.state == stateFilter }
            if rules.isEmpty { continue }
            let rendered = rules.map { self.rule($0, now: now, search: search, alertmanagerURL: alertmanagerURL) }
            let groupVisible = rendered.contains { $0.visible }
            body += "<section class=\"card\" data-filter-group\(groupVisible ? "" : " hidden")><header><h2>\(HTML.escape(group.name))</h2>"
            body += "<span class=\"meta\">\(HTML.escape(group.file))</span>"
            body += "<span class=\"meta\">\(rules.count) rule\(rules.count == 1 ? "" : "s") · every \(HTML.escape(formatDuration(group.interval)))</span></header>\n"
            for rule in rendered { body += rule.html }
            body += "</section>\n"
            shown += rules.count
            visible += rendered.count { $0.visible }
        }
        if shown == 0 {
            let what = stateFilter.map { "No \($0) alerting rules." } ?? "No alerting rules are loaded."
            body += "<div class=\"card empty\">\(what)</div>\n"
        } else {
            body += "<div class=\"card empty\" data-filter-empty\(visible == 0 ? "" : " hidden")>No alerting rule matches this search.</div>\n"
        }
        return PageLayout.render(title: "Alerts", activePath: "/alerts", refreshSeconds: autoRefresh ? refreshSeconds : nil,
                                 scripts: [LabelSearch.scriptPath], body: body)
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

    /// The Alertmanager page that opens a new silence pre-filled with matchers for every label of `labels`.
    ///
    /// Alertmanager's web UI reads the matchers from the `filter` parameter of its `#/silences/new` route.
    public static func silenceLink(alertmanagerURL: String, labels: Labels) -> String {
        let matchers = labels.map { "\($0.name)=\(GoQuote.quote($0.value))" }.joined(separator: ",")
        var base = alertmanagerURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/#/silences/new?filter=" + HTML.queryValue("{" + matchers + "}")
    }

    private static func toolbar(rules: [RuleView], stateFilter: AlertState.State?, autoRefresh: Bool, search: LabelSearch) -> String {
        let refreshQuery = autoRefresh ? "" : "refresh=0"
        let searchQuery = search.isEmpty ? nil : "search=" + HTML.queryValue(search.text)
        func link(_ state: AlertState.State?, _ title: String, _ count: Int) -> String {
            var query: [String] = []
            if let state { query.append("state=\(state)") }
            if !refreshQuery.isEmpty { query.append(refreshQuery) }
            if let searchQuery { query.append(searchQuery) }
            let href = "/alerts" + (query.isEmpty ? "" : "?" + query.joined(separator: "&amp;"))
            let selected = state == stateFilter
            let stateClass = state.map { " s-\($0)" } ?? ""
            return "<a class=\"pill\(stateClass)\(selected ? " selected" : "")\" href=\"\(href)\"\(selected ? " aria-current=\"true\"" : "") data-keep-search>\(title) <b>\(count)</b></a>"
        }
        var html = "<nav class=\"toolbar\" aria-label=\"Filter by state\">"
        html += link(nil, "All", rules.count)
        html += link(.firing, "Firing", rules.count { $0.state == .firing })
        html += link(.pending, "Pending", rules.count { $0.state == .pending })
        html += link(.inactive, "Inactive", rules.count { $0.state == .inactive })
        html += "<span class=\"spacer\"></span>"
        let stateQuery = stateFilter.map { "state=\($0)" }
        if autoRefresh {
            let href = "/alerts?" + ([stateQuery, "refresh=0", searchQuery].compactMap { $0 }.joined(separator: "&amp;"))
            html += "<span class=\"muted small\">Refreshes every \(refreshSeconds)s · <a href=\"\(href)\" data-keep-search>turn off</a></span>"
        } else {
            let query = [stateQuery, searchQuery].compactMap { $0 }
            let href = "/alerts" + (query.isEmpty ? "" : "?" + query.joined(separator: "&amp;"))
            html += "<span class=\"muted small\">Auto-refresh off · <a href=\"\(href)\" data-keep-search>turn on</a></span>"
        }
        return html + "</nav>\n"
    }

    /// Shows "fired N× in 24h" when the count is known.
    static func fired(_ rule: RuleView) -> String {
        guard let count = rule.firedLast24h else { return "" }
        return "<span class=\"fired\" title=\"Firing episodes in the last 24 hours, from stored ALERTS\">fired <b>\(count)×</b> in 24h</span>"
    }

    private static func rule(_ rule: RuleView, now: Date, search: LabelSearch, alertmanagerURL: String?) -> (html: String, visible: Bool) {
        let state = rule.state
        let ruleText = LabelSearch.searchText([rule.name], labels: rule.labels)
        let ruleMatches = search.matches(ruleText)
        let alerts = rule.alerts.sorted { ($0.state, $1.activeAt) > ($1.state, $0.activeAt) }
        let alertTexts = alerts.map { LabelSearch.searchText([], labels: $0.labels) }
        let alertVisible = alertTexts.map { ruleMatches || search.matches(ruleText + " " + $0) }
        let visible = ruleMatches || alertVisible.contains(true)

        let open = state != .inactive ? " open" : ""
        var html = "<details class=\"rule\"\(open) data-filter-item data-search=\"\(HTML.escape(ruleText))\"\(visible ? "" : " hidden")>"
        html += "<summary>\(HTML.badge("\(state)", kind: "\(state)"))"
        html += "<span class=\"name\">\(HTML.escape(rule.name))</span>"
        let firing = rule.count(.firing), pending = rule.count(.pending)
        var counts: [String] = []
        if firing > 0 { counts.append("\(firing) firing") }
        if pending > 0 { counts.append("\(pending) pending") }
        if !counts.isEmpty { html += "<span class=\"muted small\">\(counts.joined(separator: ", "))</span>" }
        if rule.health == .err { html += HTML.badge("error", kind: "err") }
        html += fired(rule)
        html += "</summary>\n<div class=\"rule-body\"><dl class=\"props\">"
        html += "<dt>expr</dt><dd>\(HTML.expression(rule.exprText))</dd>"
        if rule.holdDuration > 0 { html += "<dt>for</dt><dd>\(HTML.escape(formatDuration(rule.holdDuration)))</dd>" }
        if rule.keepFiringFor > 0 { html += "<dt>keep_firing_for</dt><dd>\(HTML.escape(formatDuration(rule.keepFiringFor)))</dd>" }
        if !rule.labels.isEmpty { html += "<dt>labels</dt><dd>\(HTML.labels(rule.labels))</dd>" }
        if !rule.lastError.isEmpty { html += "<dt>error</dt><dd class=\"error\">\(HTML.escape(rule.lastError))</dd>" }
        html += "</dl>\n"
        if alerts.isEmpty {
            html += "<p class=\"muted small\">No active alerts.</p>"
        } else {
            html += "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>Labels</th><th>State</th><th>Active since</th>"
            html += "<th class=\"num\">Value</th><th>Annotations</th></tr></thead><tbody>\n"
            for (index, alert) in alerts.enumerated() {
                html += "<tr data-filter-row data-search=\"\(HTML.escape(alertTexts[index]))\"\(alertVisible[index] ? "" : " hidden")>"
                html += "<td data-label=\"Labels\">\(HTML.labels(alert.labels))</td>"
                html += "<td data-label=\"State\"><div>\(HTML.badge("\(alert.state)", kind: "\(alert.state)"))"
                if alert.state == .firing, let alertmanagerURL {
                    let href = silenceLink(alertmanagerURL: alertmanagerURL, labels: alert.labels)
                    html += "<br><a class=\"silence\" href=\"\(HTML.escape(href))\" title=\"Silence this alert in Alertmanager\">Silence</a>"
                }
                html += "</div></td>"
                html += "<td data-label=\"Active since\" class=\"nowrap\">\(HTML.timestamp(alert.activeAt, now: now))</td>"
                html += "<td data-label=\"Value\" class=\"num\">\(HTML.escape(HTML.value(alert.value)))</td>"
                html += "<td data-label=\"Annotations\">\(alert.annotations.isEmpty ? "<span class=\"muted\">none</span>" : HTML.annotations(alert.annotations))</td></tr>\n"
            }
            html += "</tbody></table></div>"
        }
        return (html + "</div></details>\n", visible)
    }
}
