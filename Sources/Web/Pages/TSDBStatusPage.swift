import Foundation
import TSDB

/// TSDBStatusPage renders `/tsdb-status`: head statistics and the top series counts, the same data as
/// `/api/v1/status/tsdb`, laid out to find a cardinality explosion.
public enum TSDBStatusPage {
    public static func render(_ status: TSDBStatus) -> String {
        let iso = ISO8601DateFormatter()
        func time(_ t: Timestamp?) -> String {
            guard let t else { return "<span class=\"muted\">—</span>" }
            let date = Date(timeIntervalSince1970: Double(t) / 1000)
            return "\(HTML.escape(iso.string(from: date))) <span class=\"muted small\">(\(t))</span>"
        }
        var head = "<dt>Number of series</dt><dd>\(status.numSeries)</dd>"
        head += "<dt>Number of label pairs</dt><dd>\(status.numLabelPairs)</dd>"
        head += "<dt>Number of chunks</dt><dd>\(status.chunkCount)</dd>"
        head += "<dt>Current min time</dt><dd>\(time(status.minTime))</dd>"
        head += "<dt>Current max time</dt><dd>\(time(status.maxTime))</dd>"
        var body = "<section class=\"card\"><header><h2>Head statistics</h2></header><dl class=\"kv\">\(head)</dl></section>\n"
        body += "<div class=\"cards2\">"
        body += table("Top \(TSDBStatus.limit) series count by metric name", "Metric name", "Series", status.seriesCountByMetricName, link: true)
        body += table("Top \(TSDBStatus.limit) label names with value count", "Label name", "Values", status.labelValueCountByLabelName)
        body += table("Top \(TSDBStatus.limit) label names with high memory usage", "Label name", "Bytes", status.memoryInBytesByLabelName)
        body += table("Top \(TSDBStatus.limit) series count by label value pairs", "Label pair", "Series", status.seriesCountByLabelValuePair)
        body += "</div>\n"
        return PageLayout.render(title: "TSDB status", activePath: "/tsdb-status", body: body)
    }

    /// One top-ten list; metric names link to their series count by job on `/graph`.
    private static func table(_ title: String, _ nameHeader: String, _ valueHeader: String, _ entries: [TSDBStatus.Entry],
                              link: Bool = false) -> String {
        var html = "<section class=\"card\"><header><h2>\(HTML.escape(title))</h2></header>"
        if entries.isEmpty { return html + "<div class=\"empty\">No series are stored.</div></section>\n" }
        html += "<div class=\"scroll\"><table><thead><tr><th>\(HTML.escape(nameHeader))</th><th class=\"num\">\(HTML.escape(valueHeader))</th></tr></thead><tbody>"
        for entry in entries {
            var name = "<code>\(HTML.escape(entry.name))</code>"
            if link, !entry.name.isEmpty {
                name = "<a href=\"\(HTML.escape(HTML.graphLink("count by (job) ({__name__=\"\(entry.name)\"})")))\">\(name)</a>"
            }
            html += "<tr><td class=\"wrap\">\(name)</td><td class=\"num\">\(entry.value)</td></tr>"
        }
        return html + "</tbody></table></div></section>\n"
    }
}
