import Foundation
import PromQL
import Rules
import TSDB

/// RulesPage renders `/rules`: every alerting and recording rule per group, with its health and last evaluation.
public enum RulesPage {
    /// Renders the page from the rule manager's groups.
    public static func render(groups: [RuleGroup], now: Date) -> String {
        render(groups: groups.map(RuleGroupView.init), now: now)
    }

    /// Renders the page from view models.
    public static func render(groups: [RuleGroupView], now: Date) -> String {
        var body = ""
        if groups.isEmpty { body += "<div class=\"card empty\">No rule groups are loaded.</div>\n" }
        for group in groups {
            body += "<section class=\"card\"><header><h2>\(HTML.escape(group.name))</h2>"
            body += "<span class=\"meta\">\(HTML.escape(group.file))</span>"
            body += "<span class=\"meta\">interval \(HTML.escape(formatDuration(group.interval)))</span>"
            body += "<span class=\"meta\">last evaluation \(HTML.escape(HTML.relative(ms: group.lastEvaluation, now: now)))"
            if group.lastEvaluation != nil { body += " in \(HTML.escape(HTML.duration(group.evaluationSeconds)))" }
            body += "</span></header>\n"
            body += "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>Rule</th><th>Health</th><th>Last error</th>"
            body += "<th>Last evaluation</th><th class=\"num\">Evaluation time</th></tr></thead><tbody>\n"
            for rule in group.rules { body += row(rule, now: now) }
            body += "</tbody></table></div></section>\n"
        }
        return PageLayout.render(title: "Rules", activePath: "/rules", body: body)
    }

    private static func row(_ rule: RuleView, now: Date) -> String {
        var html = "<tr><td data-label=\"Rule\"><div>\(rule.isAlerting ? "<span class=\"muted small\">alert</span>" : "<span class=\"muted small\">record</span>") "
        html += "<strong>\(HTML.escape(rule.name))</strong></div><div>\(HTML.expression(rule.exprText))</div>"
        var extra: [String] = []
        if rule.holdDuration > 0 { extra.append("for \(formatDuration(rule.holdDuration))") }
        if rule.keepFiringFor > 0 { extra.append("keep_firing_for \(formatDuration(rule.keepFiringFor))") }
        if !extra.isEmpty { html += "<div class=\"muted small\">\(HTML.escape(extra.joined(separator: " · ")))</div>" }
        if !rule.labels.isEmpty { html += "<div style=\"margin-top:4px\">\(HTML.labels(rule.labels))</div>" }
        html += "</td>"
        html += "<td data-label=\"Health\">\(HTML.badge(rule.health.rawValue, kind: rule.health.rawValue))</td>"
        let error = rule.lastError.isEmpty ? "<span class=\"muted\">—</span>" : "<span class=\"error\">\(HTML.escape(rule.lastError))</span>"
        html += "<td data-label=\"Last error\">\(error)</td>"
        html += "<td data-label=\"Last evaluation\" class=\"nowrap\">\(HTML.escape(HTML.relative(ms: rule.lastEvaluation, now: now)))</td>"
        let took = rule.lastEvaluation == nil ? "—" : HTML.duration(rule.evaluationSeconds)
        html += "<td data-label=\"Evaluation time\" class=\"num\">\(HTML.escape(took))</td></tr>\n"
        return html
    }
}
