import Foundation
import Scraper
import TSDB

/// ServiceDiscoveryPage renders `/service-discovery`: per job, each target's labels before and after relabeling,
/// and the targets that are not scraped with the reason.
public enum ServiceDiscoveryPage {
    /// Jobs appear in configuration order (`jobs`), then any other job a target names.
    public static func render(jobs: [String], active: [TargetStatus], dropped: [DroppedTarget], failed: [DroppedTarget]) -> String {
        var order = jobs
        for job in active.map(\.job) + dropped.map(\.job) + failed.map(\.job) where !order.contains(job) { order.append(job) }
        var body = ""
        if order.isEmpty { body += "<div class=\"card empty\">No scrape jobs are configured.</div>\n" }
        if !order.isEmpty {
            body += "<nav class=\"toolbar\" aria-label=\"Jobs\">"
            for job in order {
                let count = active.count { $0.job == job }
                let total = count + dropped.count { $0.job == job } + failed.count { $0.job == job }
                body += "<a class=\"pill\" href=\"#sd-\(HTML.escape(job))\">\(HTML.escape(job)) <b>\(count)/\(total)</b></a>"
            }
            body += "</nav>\n"
        }
        for job in order {
            let jobActive = active.filter { $0.job == job }
            let jobDropped = dropped.filter { $0.job == job }
            let jobFailed = failed.filter { $0.job == job }
            let total = jobActive.count + jobDropped.count + jobFailed.count
            body += "<section class=\"card\" id=\"sd-\(HTML.escape(job))\"><header><h2>\(HTML.escape(job))</h2>"
            body += "<span class=\"meta\">\(jobActive.count)/\(total) active targets</span></header>\n"
            if total == 0 {
                body += "<div class=\"empty\">Discovery found no targets for this job.</div></section>\n"
                continue
            }
            body += "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>Discovered labels</th><th>Target labels</th></tr></thead><tbody>\n"
            for target in jobActive {
                body += "<tr><td data-label=\"Discovered\">\(HTML.labels(target.discoveredLabels))</td>"
                body += "<td data-label=\"Target\">\(HTML.labels(target.labels))</td></tr>\n"
            }
            for target in jobDropped {
                body += "<tr><td data-label=\"Discovered\">\(HTML.labels(target.discoveredLabels))</td>"
                body += "<td data-label=\"Target\"><div>\(HTML.badge("dropped", kind: "inactive"))<div class=\"dropped\">\(HTML.escape(target.reason))</div></div></td></tr>\n"
            }
            for target in jobFailed {
                body += "<tr><td data-label=\"Discovered\">\(HTML.labels(target.discoveredLabels))</td>"
                body += "<td data-label=\"Target\"><div>\(HTML.badge("unusable", kind: "err"))<div class=\"error small\">\(HTML.escape(target.reason))</div></div></td></tr>\n"
            }
            body += "</tbody></table></div></section>\n"
        }
        return PageLayout.render(title: "Service discovery", activePath: "/service-discovery", body: body)
    }
}
