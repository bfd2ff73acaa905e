import Foundation
import PromQL
import Rules
import TSDB

/// RulesPage renders `/rules`: every alerting and recording rule per group, with its health and last evaluation.
public enum RulesPage {
    /// Renders the page from the rule manager's groups.
    public static func render(groups: [RuleGroup], now: Date, search: LabelSearch = LabelSearch(nil)) -> String {
        render(groups: groups.map(RuleGroupView.init), now: now, search: search)
    }

    /// Renders the page from view models; rules that `search` does not match are sent `hidden` (see `AlertsPage`).
    public static func render(groups: [RuleGroupView], now: Date, search: LabelSearch = LabelSearch(nil)) -> String {
        var body = ""
        if groups.isEmpty {
            body += "<div class=\"card empty\">No rule groups are loaded.</div>\n"
        } else {
            body += LabelSearch.form(action: "/rules", search: search, placeholder: "Filter by name or labels")
        }
        var visible = 0
        for group in groups {
            let texts = group.rules.map { LabelSearch.searchText([$0.name], labels: $0.labels) }
            let shown = texts.map(search.matches)
            visible += shown.count { $0 }
            body += "<section class=\"card\" data-filter-group\(shown.contains(true) ? "" : " hidden")><header><h2>\(HTML.escape(group.name))</h2>"
            body += "<span class=\"meta\">\(HTML.escape(group.file))</span>"
            body += "<span class=\"meta\">interval \(HTML.escape(formatDuration(group.interval)))</span>"
            body += "<span class=\"meta\">last evaluation \(HTML.escape(HTML.relative(ms: group.lastEvaluation, now: now)))"
            if group.lastEvaluation != nil { body += " in \(HTML.escape(HTML.duration(group.evaluationSeconds)))" }
            body += "</span></header>\n"
            body += "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>Rule</th><th>Health</th><th>Last error</th>"
            body += "<th>Last evaluation</th><th class=\"num\">Evaluation time</th></tr></thead><tbody>\n"
            for (index, rule) in group.rules.enumerated() { body += row(rule, now: now, searchText: texts[index], visible: shown[index]) }
            body += "</tbody></table></div></section>\n"
        }
        if !groups.isEmpty {
            body += "<div class=\"card empty\" data-filter-empty\(visible == 0 ? "" : " hidden")>No rule matches this search.</div>\n"
        }
        return PageLayout.render(title: "Rules", activePath: "/rules", scripts: [LabelSearch.scriptPath], body: body)
    }

    private static func row(_ rule: RuleView, now: Date, searchText: String, visible: Bool) -> String {
        var html = "<tr data-filter-item data-search=\"\(HTML.escape(searchText))\"\(visible ? "" : " hidden")>"
        // One wrapper, so the phone layout's two-column cell keeps the rule's parts together.
        html += "<td data-label=\"Rule\"><div><div>\(rule.isAlerting ? "<span class=\"muted small\">alert</span>" : "<span class=\"muted small\">record</span>") "
        html += "<strong>\(HTML.escape(rule.name))</strong> \(AlertsPage.fired(rule))</div><div>\(HTML.expression(rule.exprText))</div>"
        var extra: [String] = []
        if rule.holdDuration > 0 { extra.append("for \(formatDuration(rule.holdDuration))") }
        if rule.keepFiringFor > 0 { extra.append("keep_firing_for \(formatDuration(rule.keepFiringFor))") }
        if !extra.isEmpty { html += "<div class=\"muted small\">\(HTML.escape(extra.joined(separator: " · ")))</div>" }
        if !rule.labels.isEmpty { html += "<div style=\"margin-top:4px\">\(HTML.labels(rule.labels))</div>" }
        if !rule.annotations.isEmpty { html += HTML.annotations(rule.annotations) }
        html += "</div></td>"
        html += "<td data-label=\"Health\">\(HTML.badge(rule.health.rawValue, kind: rule.health.rawValue))</td>"
        let error = rule.lastError.isEmpty ? "<span class=\"muted\">—</span>" : "<span class=\"error\">\(HTML.escape(rule.lastError))</span>"
        html += "<td data-label=\"Last error\">\(error)</td>"
        html += "<td data-label=\"Last evaluation\" class=\"nowrap\">\(HTML.escape(HTML.relative(ms: rule.lastEvaluation, now: now)))</td>"
        let took = rule.lastEvaluation == nil ? "—" : HTML.duration(rule.evaluationSeconds)
        html += "<td data-label=\"Evaluation time\" class=\"num\">\(HTML.escape(took))</td></tr>\n"
        return html
    }
}
