import Foundation
import Hummingbird
import HummingbirdTesting
import Config
import Scraper
import Testing
import TSDB
@testable import Rules
@testable import Web

/// The Status-menu pages, `/service-discovery`, the nav bar, and the search, silence and 24-hour counts of `/alerts`
/// and `/rules`, rendered from fixtures and served by a real `MonitoringServer`.
@Suite struct StatusPagesTests {
    static let status = RuntimeStatus(
        version: "1.2.3", startTime: PageFixtures.now.addingTimeInterval(-3725), workingDirectory: "/srv/vigil",
        configFile: "config/prometheus.yml", storagePath: "data/vigil.db", retentionTime: "15d", retentionSize: "2GB",
        bytesOnDisk: 3 * 1024 * 1024 + 512 * 1024, series: 407, reloadSuccess: false, lastSuccessfulReload: PageFixtures.now.addingTimeInterval(-600),
        lastReloadAttempt: PageFixtures.now.addingTimeInterval(-5), lastReloadError: "config/prometheus.yml:3:5: unknown key <bogus>",
        alertmanagers: ["http://127.0.0.1:9093/api/v2/alerts", "https://am.example/prefix/api/v2/alerts"])

    @Test func statusPageShowsUptimeStorageReloadAndAlertmanagers() {
        let html = StatusPage.render(Self.status, now: PageFixtures.now)
        #expect(html.contains("<dt>Uptime</dt><dd>1h 2m</dd>"))
        #expect(html.contains("<code>data/vigil.db</code>"))
        #expect(html.contains("<dt>Retention time</dt><dd>15d</dd>"))
        #expect(html.contains("<dt>Retention size</dt><dd>2GB</dd>"))
        #expect(html.contains("<dt>Size on disk</dt><dd>3.5 MiB</dd>"))
        #expect(html.contains("<span class=\"badge err\">failed</span> <span class=\"muted small\">5s ago</span>"))
        #expect(html.contains("unknown key &lt;bogus&gt;"))
        #expect(html.contains("<dt>Version</dt><dd>1.2.3</dd>"))
        #expect(html.contains("2 in use"))
        #expect(html.contains("<a href=\"http://127.0.0.1:9093\">http://127.0.0.1:9093</a>"))
        #expect(html.contains("<a href=\"https://am.example/prefix\">"))
        #expect(html.contains("<a href=\"/status\" class=\"current\" aria-current=\"page\">Runtime &amp; build info</a>"))
        #expect(html.contains("<details class=\"menu current\"><summary>Status</summary>"))
    }

    @Test func navBarLinksEveryPageOnEveryPage() {
        let pages = [
            StatusPage.render(Self.status, now: PageFixtures.now), FlagsPage.render(flags: ["a": "b"]),
            ConfigPage.render(yaml: "", lastLoaded: PageFixtures.now, now: PageFixtures.now), TSDBStatusPage.render(TSDBStatus.empty),
            ServiceDiscoveryPage.render(jobs: [], active: [], dropped: [], failed: []),
            AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now), RulesPage.render(groups: PageFixtures.groups, now: PageFixtures.now),
            TargetsPage.render(targets: PageFixtures.targets, now: PageFixtures.now),
        ]
        let paths = ["/graph", "/alerts", "/rules", "/targets", "/service-discovery", "/status", "/tsdb-status", "/flags", "/config", "/dashboards"]
        for page in pages {
            for path in paths { #expect(page.contains("href=\"\(path)\""), "missing \(path)") }
        }
    }

    @Test func flagsPageListsEveryFlagAndSearchHidesTheOthers() {
        let flags = ["storage.path": "data/<x>.db", "web.listen-address": "127.0.0.1:9090", "log.level": "info"]
        let all = FlagsPage.render(flags: flags)
        #expect(all.contains("<code>--storage.path</code></td><td class=\"wrap\"><code>data/&lt;x&gt;.db</code>"))
        #expect(all.components(separatedBy: "data-filter-item").count == 4)
        #expect(!all.contains("data-filter-item data-search=\"log.level info\" hidden"))
        let filtered = FlagsPage.render(flags: flags, search: LabelSearch("LISTEN 9090"))
        #expect(filtered.contains("data-search=\"web.listen-address 127.0.0.1:9090\">"))
        #expect(filtered.contains("data-search=\"log.level info\" hidden>"))
        #expect(filtered.contains("value=\"LISTEN 9090\""))
        #expect(filtered.contains("data-filter-empty hidden"))
        let none = FlagsPage.render(flags: flags, search: LabelSearch("nothing-like-this"))
        #expect(none.contains("<div class=\"card empty\" data-filter-empty>No flag matches"))
    }

    @Test func configPageShowsRedactedYAMLEscaped() {
        let yaml = SecretRedaction.redact(yaml: """
            scrape_configs:
              - job_name: "a<b>"
                basic_auth: {username: u, password: hunter2}
            """)
        let html = ConfigPage.render(yaml: yaml, lastLoaded: PageFixtures.now.addingTimeInterval(-60), now: PageFixtures.now)
        #expect(!html.contains("hunter2"))
        #expect(html.contains("password: &lt;secret&gt;"))
        #expect(html.contains("a&lt;b&gt;"))
        #expect(html.contains("loaded 1m ago"))
    }

    @Test func tsdbStatusPageShowsWhatTheAPIReports() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        try await fixture.run { client, _ in
            let api = try json(try await client.execute(uri: "/api/v1/status/tsdb", method: .get))
            let data = try #require(api["data"] as? [String: Any])
            let page = try await client.execute(uri: "/tsdb-status", method: .get) { String(buffer: $0.body) }
            let head = try #require(data["headStats"] as? [String: Any])
            #expect(page.contains("<dt>Number of series</dt><dd>\(try #require(head["numSeries"] as? Int))</dd>"))
            #expect(page.contains("<dt>Number of label pairs</dt><dd>\(try #require(head["numLabelPairs"] as? Int))</dd>"))
            for key in ["seriesCountByMetricName", "labelValueCountByLabelName", "memoryInBytesByLabelName", "seriesCountByLabelValuePair"] {
                let entries = try #require(data[key] as? [[String: Any]])
                #expect(!entries.isEmpty)
                for entry in entries {
                    let name = try #require(entry["name"] as? String), value = try #require(entry["value"] as? Int)
                    #expect(page.contains("<code>\(HTML.escape(name))</code>"), "\(key) \(name)")
                    #expect(page.contains("<td class=\"num\">\(value)</td>"), "\(key) \(value)")
                }
            }
            // Two `up` series and one `requests_total`: the biggest metric comes first and links to its count by job.
            #expect(page.contains("count%20by%20%28job%29%20%28%7B__name__%3D%22up%22%7D%29"))
        }
    }

    @Test func serviceDiscoveryShowsLabelsBeforeAndAfterRelabelingAndWhyTargetsDropped() async throws {
        let yaml = """
            scrape_configs:
              - job_name: api
                scrape_interval: 1h
                static_configs: [{targets: ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3/bad"], labels: {env: dev}}]
                relabel_configs:
                  - {source_labels: [__address__], regex: "127.0.0.1:2", action: drop}
                  - {source_labels: [env], target_label: stage}
            """
        let fixture = try MonitoringFixture(config: yaml)
        let scraping = Task { try await fixture.manager.run() }
        defer { scraping.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        while await fixture.manager.activeTargets().isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let dropped = await fixture.manager.droppedTargets()
        #expect(dropped.map(\.reason) == ["relabel_configs[0]: action drop, source_labels [__address__], regex 127.0.0.1:2"])
        #expect(await fixture.manager.failedTargets().map(\.reason) == ["\"127.0.0.1:3/bad\" is not a valid hostname"])
        try await fixture.run { client, _ in
            let page = try await client.execute(uri: "/service-discovery", method: .get) { String(buffer: $0.body) }
            #expect(page.contains("<h2>api</h2><span class=\"meta\">1/3 active targets</span>"))
            // Before relabeling: the address and the job's defaults; after: the copied label and no `__` labels.
            #expect(page.contains("<span class=\"chip\"><b>__address__</b>=127.0.0.1:1</span>"))
            #expect(page.contains("<span class=\"chip\"><b>stage</b>=dev</span>"))
            #expect(page.contains("<span class=\"badge inactive\">dropped</span><div class=\"dropped\">relabel_configs[0]: action drop"))
            #expect(page.contains("<span class=\"badge err\">unusable</span><div class=\"error small\">&quot;127.0.0.1:3/bad&quot; is not a valid hostname"))
        }
        scraping.cancel()
        _ = await scraping.result
    }

    @Test func everyNewPageIsServedAsHTMLAndTheScriptAsJavaScript() async throws {
        let fixture = try MonitoringFixture(config: "scrape_configs:\n  - job_name: ml-api\n    static_configs: [{targets: ['127.0.0.1:1']}]\n")
        try await fixture.load()
        try await fixture.run { client, _ in
            for path in ["/status", "/flags", "/flags?search=storage", "/config", "/tsdb-status", "/service-discovery"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(String(buffer: response.body).hasPrefix("<!DOCTYPE html>"))
                }
            }
            let status = try await client.execute(uri: "/status", method: .get) { String(buffer: $0.body) }
            #expect(status.contains("<code>test.db</code>"))
            #expect(status.contains("<dt>Version</dt><dd>0.1.0-test</dd>"))
            let config = try await client.execute(uri: "/config", method: .get) { String(buffer: $0.body) }
            #expect(config.contains("job_name: ml-api"))
            try await client.execute(uri: LabelSearch.scriptPath, method: .get) { response in
                #expect(response.headers[.contentType] == "application/javascript; charset=utf-8")
                #expect(String(buffer: response.body).contains("data-filter-item"))
            }
        }
    }

    // MARK: - /alerts and /rules

    @Test func alertsSearchHidesRulesAndAlertsThatDoNotMatch() {
        let byRuleLabel = AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now, search: LabelSearch("severity=\"critical\""))
        #expect(byRuleLabel.contains("data-search=\"apidown severity=&quot;critical&quot; severity=critical\">"))
        #expect(byRuleLabel.contains("data-filter-item data-search=\"highlatency severity=&quot;warning&quot; severity=warning\" hidden>"))
        #expect(byRuleLabel.contains("value=\"severity=&quot;critical&quot;\""))
        #expect(byRuleLabel.contains("href=\"/alerts?state=firing&amp;search=severity%3D%22critical%22\""))

        // A word found only in an alert's labels shows that rule with just that alert.
        let byAlertLabel = AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now, search: LabelSearch("/PREDICT"))
        #expect(byAlertLabel.contains("data-search=\"highlatency severity=&quot;warning&quot; severity=warning\">"))
        #expect(byAlertLabel.contains("<tr data-filter-row data-search=\"alertname=&quot;highlatency&quot;"))
        #expect(byAlertLabel.contains("data-search=\"apidown severity=&quot;critical&quot; severity=critical\" hidden>"))
        #expect(byAlertLabel.contains("<section class=\"card\" data-filter-group>"))

        let nothing = AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now, search: LabelSearch("zzz"))
        #expect(nothing.contains("<section class=\"card\" data-filter-group hidden>"))
        #expect(nothing.contains("<div class=\"card empty\" data-filter-empty>No alerting rule matches this search.</div>"))
        #expect(nothing.contains("<script defer src=\"/static/search.js\"></script>"))
    }

    @Test func rulesSearchAnnotationsAndFiredCounts() {
        var groups = PageFixtures.groups
        groups[0].rules[0].firedLast24h = 3
        let html = RulesPage.render(groups: groups, now: PageFixtures.now, search: LabelSearch("job:up"))
        #expect(html.contains("<dl class=\"annotations\"><dt>summary</dt><dd>ML API {{ $labels.instance }} is down</dd></dl>"))
        #expect(html.contains("fired <b>3×</b> in 24h"))
        #expect(html.contains("data-filter-item data-search=\"job:up:sum\">"))
        #expect(html.contains("data-filter-item data-search=\"apidown severity=&quot;critical&quot; severity=critical\" hidden>"))
        #expect(AlertsPage.render(groups: groups, now: PageFixtures.now).contains("fired <b>3×</b> in 24h"))
    }

    @Test func firingAlertsLinkToANewSilenceInAlertmanager() {
        let link = AlertsPage.silenceLink(alertmanagerURL: "http://am:9093/", labels: ["alertname": "APIDown", "instance": "a \"b\""])
        #expect(link == "http://am:9093/#/silences/new?filter=%7Balertname%3D%22APIDown%22%2Cinstance%3D%22a%20%5C%22b%5C%22%22%7D")
        let html = AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now, alertmanagerURL: "http://am:9093")
        // One firing alert gets the link; the pending one does not.
        #expect(html.components(separatedBy: "class=\"silence\"").count == 2)
        #expect(html.contains("href=\"http://am:9093/#/silences/new?filter=%7Balertname%3D%22APIDown%22%2Cinstance%3D%22api%3A8080%22%2Cjob%3D%22ml-api%22%2Cseverity%3D%22critical%22%7D\""))
        #expect(!AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now).contains("class=\"silence\""))
    }

    @Test func firingEpisodesAreCountedFromStoredAlertsAndCachedForAMinute() async throws {
        let store = TimeSeriesStore()
        let now = Date()
        let end = Timestamp(now.timeIntervalSince1970 * 1000)
        let critical: Labels = ["__name__": "ALERTS", "alertname": "APIDown", "alertstate": "firing", "instance": "a", "severity": "critical"]
        let other: Labels = ["__name__": "ALERTS", "alertname": "APIDown", "alertstate": "firing", "instance": "b", "severity": "critical"]
        let warning: Labels = ["__name__": "ALERTS", "alertname": "APIDown", "alertstate": "firing", "instance": "a", "severity": "warning"]
        let pending: Labels = ["__name__": "ALERTS", "alertname": "APIDown", "alertstate": "pending", "instance": "c", "severity": "critical"]
        var batch = AppendBatch()
        let start = end - 3 * 3_600_000
        // Instance a: two episodes split by a staleness marker. Instance b: two split by a 10-minute gap.
        for step in 0..<4 { batch.append(labels: critical, t: start + Timestamp(step) * 15_000, v: 1) }
        batch.append(labels: critical, t: start + 60_000, v: StaleNaN.value)
        for step in 0..<3 { batch.append(labels: critical, t: start + 600_000 + Timestamp(step) * 15_000, v: 1) }
        for t in [start, start + 15_000, start + 615_000] { batch.append(labels: other, t: t, v: 1) }
        batch.append(labels: warning, t: start, v: 1)
        batch.append(labels: pending, t: start, v: 1)
        // Older than 24 hours: not counted.
        batch.append(labels: other, t: end - 25 * 3_600_000, v: 1)
        _ = try await store.commit(batch)

        let history = AlertHistory(querier: store)
        var groups = PageFixtures.groups
        groups[0].rules[0].labels = ["severity": "critical"]
        let counted = await history.annotate(groups, now: now)
        #expect(counted[0].rules[0].firedLast24h == 4)
        #expect(counted[0].rules[1].firedLast24h == 0)
        #expect(counted[1].rules[0].firedLast24h == nil)

        var later = AppendBatch()
        later.append(labels: critical, t: end - 1000, v: 1)
        _ = try await store.commit(later)
        #expect(await history.annotate(groups, now: now.addingTimeInterval(30))[0].rules[0].firedLast24h == 4)
        #expect(await history.annotate(groups, now: now.addingTimeInterval(61))[0].rules[0].firedLast24h == 5)
    }
}

extension TSDBStatus {
    static let empty = TSDBStatus(numSeries: 0, numLabelPairs: 0, chunkCount: 0, minTime: nil, maxTime: nil, seriesCountByMetricName: [],
                                  labelValueCountByLabelName: [], memoryInBytesByLabelName: [], seriesCountByLabelValuePair: [])
}
