import Foundation
import Config
import Scraper
import TSDB

/// TargetsPage renders `/targets`: each job's targets with their scrape URL, health, labels and last scrape.
public enum TargetsPage {
    /// Renders the page; jobs appear in the order their first target does.
    public static func render(targets: [TargetStatus], now: Date) -> String {
        var jobs: [String] = []
        var byJob: [String: [TargetStatus]] = [:]
        for target in targets {
            if byJob[target.job] == nil { jobs.append(target.job) }
            byJob[target.job, default: []].append(target)
        }
        var body = ""
        if jobs.isEmpty { body += "<div class=\"card empty\">No scrape targets are configured.</div>\n" }
        for job in jobs {
            let members = byJob[job]!
            let up = members.count { $0.health == .up }
            body += "<section class=\"card\" id=\"job-\(HTML.escape(job))\"><header><h2>\(HTML.escape(job))</h2>"
            body += "<span class=\"meta\">\(up)/\(members.count) up</span></header>\n"
            body += "<div class=\"scroll\"><table class=\"stack targets\"><thead><tr><th>Endpoint</th><th>State</th><th>Labels</th>"
            body += "<th>Last scrape</th><th class=\"num\">Scrape duration</th><th>Error</th></tr></thead><tbody>\n"
            for target in members { body += row(target, now: now) }
            body += "</tbody></table></div></section>\n"
        }
        return PageLayout.render(title: "Targets", activePath: "/targets", body: body)
    }

    private static func row(_ target: TargetStatus, now: Date) -> String {
        let url = HTML.escape(target.scrapeURL)
        var html = "<tr><td data-label=\"Endpoint\"><a href=\"\(url)\" style=\"word-break:break-all\">\(url)</a></td>"
        let health = target.health.rawValue
        html += "<td data-label=\"State\">\(HTML.badge(health.uppercased(), kind: health))</td>"
        html += "<td data-label=\"Labels\">\(HTML.labels(target.labels.withoutMetricName))</td>"
        html += "<td data-label=\"Last scrape\" class=\"nowrap\">\(HTML.escape(HTML.relative(target.lastScrape, now: now)))</td>"
        let took = target.lastScrape == nil ? "—" : HTML.duration(target.lastScrapeDuration)
        html += "<td data-label=\"Scrape duration\" class=\"num\">\(HTML.escape(took))</td>"
        let error = target.lastError.isEmpty ? "<span class=\"muted\">—</span>" : "<span class=\"error\">\(HTML.escape(target.lastError))</span>"
        html += "<td data-label=\"Error\">\(error)</td></tr>\n"
        return html
    }
}
