import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PromQL
import Config
import Scraper
import Testing
import WebSecurity
import TSDB
@testable import Rules
@testable import Web

@Suite struct PagesTests {
    @Test func alertsPageEscapesLabelsAndAnnotations() {
        let html = AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now)
        #expect(html.contains("API &lt;script&gt;alert(1)&lt;/script&gt; is down"))
        #expect(html.contains("up = 0 &amp; &quot;quoted&quot;"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("<b>instance</b>=api:8080"))
    }

    @Test func alertsPageShowsRuleStateExpressionAndActiveAlerts() {
        let html = AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now)
        #expect(html.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
        #expect(html.contains("href=\"/alerts?refresh=0\""))
        #expect(html.contains("<span class=\"badge firing\">firing</span><span class=\"name\">APIDown</span>"))
        #expect(html.contains("<span class=\"badge pending\">pending</span><span class=\"name\">HighLatency</span>"))
        #expect(html.contains("<span class=\"badge inactive\">inactive</span><span class=\"name\">SlowInference</span>"))
        #expect(html.contains("<a href=\"/graph?g0.expr=up%7Bjob%3D%22ml-api%22%7D%20%3D%3D%200&amp;g0.tab=1\"><code class=\"expr\">up{job=&quot;ml-api&quot;} == 0</code></a>"))
        #expect(html.contains("<dt>for</dt><dd>1m</dd>"))
        #expect(html.contains(">3m 5s ago</time>"))
        #expect(html.contains("1 firing"))
        #expect(html.contains(">1.75<"))
        // Recording rules belong on /rules only.
        #expect(!html.contains("job:up:sum"))
    }

    @Test func alertsStateFilterShowsOnlyRulesInThatStateAndCountsEveryState() {
        let html = AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now, stateFilter: .pending)
        #expect(html.contains("HighLatency"))
        #expect(!html.contains("APIDown"))
        #expect(!html.contains("SlowInference"))
        #expect(html.contains("href=\"/alerts\" data-keep-search>All <b>3</b></a>"))
        #expect(html.contains("href=\"/alerts?state=firing\" data-keep-search>Firing <b>1</b></a>"))
        #expect(html.contains("selected\" href=\"/alerts?state=pending\" aria-current=\"true\" data-keep-search>Pending <b>1</b></a>"))
        #expect(html.contains("href=\"/alerts?state=inactive\" data-keep-search>Inactive <b>1</b></a>"))
        #expect(AlertsPage.stateFilter("firing") == .firing)
        #expect(AlertsPage.stateFilter("bogus") == nil)

        let noRefresh = AlertsPage.render(groups: PageFixtures.groups, now: PageFixtures.now, stateFilter: .firing, autoRefresh: false)
        #expect(!noRefresh.contains("http-equiv=\"refresh\""))
        #expect(noRefresh.contains("href=\"/alerts?state=pending&amp;refresh=0\""))
        #expect(noRefresh.contains("<a href=\"/alerts?state=firing\" data-keep-search>turn on</a>"))
    }

    @Test func rulesPageShowsEveryRuleWithHealth() {
        let html = RulesPage.render(groups: PageFixtures.groups, now: PageFixtures.now)
        for name in ["APIDown", "HighLatency", "SlowInference", "job:up:sum"] { #expect(html.contains(name)) }
        #expect(html.contains("interval 1m"))
        #expect(html.contains("interval 30s"))
        #expect(html.contains("last evaluation 12s ago in 4.000ms"))
        #expect(html.contains("<span class=\"badge ok\">ok</span>"))
        #expect(html.contains("<span class=\"badge err\">err</span>"))
        #expect(html.contains("<span class=\"badge unknown\">unknown</span>"))
        #expect(html.contains("query timed out &lt;in&gt; storage"))
        #expect(html.contains("2.500s"))
        #expect(html.contains("<code class=\"expr\">sum by (job) (up)</code>"))
        #expect(!html.contains("http-equiv=\"refresh\""))
    }

    @Test func targetsPageGroupsByJobWithHealthBadges() {
        let html = TargetsPage.render(targets: PageFixtures.targets, now: PageFixtures.now)
        #expect(html.contains("<h2>ml-api</h2><span class=\"meta\">1/2 up</span>"))
        #expect(html.contains("<h2>vigil</h2><span class=\"meta\">0/1 up</span>"))
        #expect(html.contains("<span class=\"badge up\">UP</span>"))
        #expect(html.contains("<span class=\"badge down\">DOWN</span>"))
        #expect(html.contains("<span class=\"badge unknown\">UNKNOWN</span>"))
        #expect(html.contains("connection refused &lt;api-2&gt;"))
        #expect(html.contains(">3s ago<"))
        #expect(html.contains(">never<"))
        #expect(html.contains("12.300ms"))
        #expect(html.contains("href=\"http://api:8080/metrics\""))
    }

    @Test func relativeTimesAndDurations() {
        let now = PageFixtures.now
        #expect(HTML.relative(now.addingTimeInterval(-12), now: now) == "12s ago")
        #expect(HTML.relative(now.addingTimeInterval(-3725), now: now) == "1h 2m ago")
        #expect(HTML.relative(nil, now: now) == "never")
        #expect(HTML.escape("<a href='x'>&\"</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;")
    }

    @Test func routesServeHTML() async throws {
        let store = TimeSeriesStore()
        let rules = RuleManager(store: store, query: { _, _ in [] }, logger: quietLogger)
        let scrapes = ScrapeManager(configuration: try PrometheusConfiguration(yaml: "", file: "test.yml"), store: store, logger: quietLogger)
        let router = Router()
        PagesRoutes(ruleManager: rules, scrapeManager: scrapes).addRoutes(to: router)
        let app = Application(router: router, logger: quietLogger)
        try await app.test(.router) { client in
            for path in ["/alerts", "/alerts?state=firing&refresh=0", "/rules", "/targets"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(String(buffer: response.body).hasPrefix("<!DOCTYPE html>"))
                }
            }
        }
    }

    /// Serves the pages over `config/alerts.yml` (one alert firing, one pending) and real scrape targets,
    /// screenshots them in headless Chromium into `docs/screenshots/`, and checks the DOM and the console.
    @Test(.timeLimit(.minutes(5))) func pagesRenderInHeadlessChromium() async throws {
        guard let browser = chromiumPath() else { return }
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shots = try screenshotDirectory(repository: root)

        let files = try loadRuleFiles([root.appendingPathComponent("config/alerts.yml").path])
        let specs = files.flatMap(\.groups).flatMap(\.rules)
        let apiDown = try #require(specs.first { $0.name == "APIDown" }).expr
        let modelNotLoaded = try #require(specs.first { $0.name == "ModelNotLoaded" }).expr
        let nowMs = Timestamp(Date().timeIntervalSince1970 * 1000)
        let (first, second) = (nowMs - 95_000, nowMs - 20_000)
        let hostile = "<script>console.error('xss')</script>"
        let store = TimeSeriesStore()
        let query: QueryFunc = { (expr: Expr, at: Timestamp) async throws -> [(labels: Labels, value: Double)] in
            if expr == apiDown { return [(labels: Labels(["instance": "api:8080", "job": "ml-api"]), value: 0)] }
            if expr == modelNotLoaded, at == second { return [(labels: Labels(["instance": hostile, "job": "ml-api"]), value: 0)] }
            return []
        }
        let rules = RuleManager(store: store, query: query, logger: quietLogger)
        try await rules.load(files)
        for group in await rules.snapshot() {
            await rules.evaluate(group.key, at: first)
            await rules.evaluate(group.key, at: second)
        }

        let scrapes = ScrapeManager(configuration: try PrometheusConfiguration(yaml: "", file: "test.yml"), store: store, logger: quietLogger)
        let router = Router()
        // The guard `vigil serve` puts in front, so the pages are drawn under its Content-Security-Policy.
        router.add(middleware: WebGuard(configuration: .open, enableLifecycle: false).middleware())
        PagesRoutes(ruleManager: rules, scrapeManager: scrapes).addRoutes(to: router)
        // Serves the search script the pages load.
        StatusPagesRoutes(store: store, scrapeManager: scrapes, state: ServerState(flags: [:], storageRetention: "15d", configYAML: ""),
                          version: "test").addRoutes(to: router)
        router.get("/metrics") { _, _ in "vigil_up 1\n" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        let scraping = Task { try await scrapes.run() }
        defer { scraping.cancel() }
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let configuration = try PrometheusConfiguration(yaml: """
                scrape_configs:
                  - job_name: vigil
                    scrape_interval: 1s
                    static_configs: [{targets: ["127.0.0.1:\(port)"], labels: {env: "test"}}]
                  - job_name: ml-api
                    scrape_interval: 1s
                    scrape_timeout: 1s
                    static_configs: [{targets: ["127.0.0.1:1"]}]
                """, file: "test.yml")
            await scrapes.apply(configuration)
            for _ in 0..<100 {
                if await !scrapes.activeTargets().contains(where: { $0.lastScrape == nil }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let base = "http://127.0.0.1:\(port)"
            let pages: [(file: String, path: String, size: String)] = [
                ("alerts.png", "/alerts", "1280,900"), ("rules.png", "/rules", "1280,900"),
                ("targets.png", "/targets", "1280,900"), ("alerts-phone.png", "/alerts", "390,844"),
            ]
            for page in pages {
                let file = shots.appendingPathComponent(page.file).path
                try? FileManager.default.removeItem(atPath: file)
                let run = try await chromium(browser, ["--screenshot=\(file)", "--window-size=\(page.size)", base + page.path])
                #expect(run.status == 0, "chromium failed for \(page.path): \(run.stderr.suffix(2000))")
                #expect(run.consoleErrors.isEmpty, "console errors on \(page.path): \(run.consoleErrors)")
                let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
                #expect(size > 10_000, "screenshot \(page.file) is \(size) bytes")
            }

            let alerts = try await chromium(browser, ["--dump-dom", base + "/alerts"])
            #expect(alerts.consoleErrors.isEmpty, "console errors: \(alerts.consoleErrors)")
            #expect(alerts.stdout.contains("<span class=\"badge firing\">firing</span><span class=\"name\">APIDown</span>"))
            #expect(alerts.stdout.contains("<span class=\"badge pending\">pending</span><span class=\"name\">ModelNotLoaded</span>"))
            #expect(alerts.stdout.contains("HighConcurrentRequests"))
            #expect(alerts.stdout.contains("No model loaded on &lt;script&gt;console.error('xss')&lt;/script&gt;"))
            #expect(!alerts.stdout.contains("<script>"))

            let firing = try await chromium(browser, ["--dump-dom", base + "/alerts?state=firing"])
            #expect(firing.stdout.contains("APIDown"))
            #expect(!firing.stdout.contains("ModelNotLoaded"))

            let rulesDOM = try await chromium(browser, ["--dump-dom", base + "/rules"])
            #expect(rulesDOM.stdout.contains("HighConcurrentRequests"))
            #expect(rulesDOM.stdout.contains("<span class=\"badge ok\">ok</span>"))

            let targets = try await chromium(browser, ["--dump-dom", base + "/targets"])
            #expect(targets.stdout.contains("<span class=\"badge up\">UP</span>"))
            #expect(targets.stdout.contains("<span class=\"badge down\">DOWN</span>"))
            #expect(targets.stdout.contains("http://127.0.0.1:1/metrics"))
        }
        scraping.cancel()
        _ = await scraping.result
    }
}
