import Foundation
import Hummingbird
import HummingbirdTesting
import PromQL
import Config
import Scraper
import Testing
import WebSecurity
import TSDB
@testable import Rules
@testable import Web

/// The new pages in headless Chromium under `vigil serve`'s Content-Security-Policy: no console errors, the content
/// in the DOM, the search script filtering as the user types, and screenshots (light, dark, phone) into
/// `docs/screenshots/` when `VIGIL_UPDATE_SCREENSHOTS=1`.
@Suite struct StatusPagesBrowserTests {
    @Test(.timeLimit(.minutes(5))) func statusPagesAndSearchRenderInHeadlessChromium() async throws {
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
        let store = TimeSeriesStore()
        // Three earlier APIDown episodes, so the 24-hour count has history to show beside the current one.
        var history = AppendBatch()
        let alerts: Labels = ["__name__": "ALERTS", "alertname": "APIDown", "alertstate": "firing", "instance": "api:8080",
                              "job": "ml-api", "severity": "critical"]
        for hoursAgo in [7, 5, 2] {
            let start = nowMs - Timestamp(hoursAgo) * 3_600_000
            for step in 0..<4 { history.append(labels: alerts, t: start + Timestamp(step) * 15_000, v: 1) }
            history.append(labels: alerts, t: start + 60_000, v: StaleNaN.value)
        }
        _ = try await store.commit(history)
        let query: QueryFunc = { (expr: Expr, at: Timestamp) async throws -> [(labels: Labels, value: Double)] in
            if expr == apiDown { return [(labels: Labels(["instance": "api:8080", "job": "ml-api"]), value: 0)] }
            if expr == modelNotLoaded { return [(labels: Labels(["instance": "api:8081", "job": "ml-api"]), value: 0)] }
            return []
        }
        let rules = RuleManager(store: store, query: query, logger: quietLogger)
        try await rules.load(files)
        for group in await rules.snapshot() {
            await rules.evaluate(group.key, at: first)
            await rules.evaluate(group.key, at: second)
        }

        let configYAML = """
            global: {scrape_interval: 1s}
            alerting:
              alertmanagers: [{static_configs: [{targets: ["127.0.0.1:9093"]}]}]
            scrape_configs:
              - job_name: vigil
                basic_auth: {username: admin, password: hunter2}
                static_configs: [{targets: ["127.0.0.1:1", "127.0.0.1:2"], labels: {env: demo}}]
                relabel_configs:
                  - {source_labels: [__address__], regex: "127.0.0.1:2", action: drop}
            """
        let configuration = try PrometheusConfiguration(yaml: configYAML, file: "prometheus.yml")
        let scrapes = ScrapeManager(configuration: configuration, store: store, logger: quietLogger)
        let state = ServerState(flags: ["storage.path": "data/vigil.db", "storage.retention.time": "15d", "config.file": "prometheus.yml",
                                        "web.listen-address": "127.0.0.1:9090"],
                                storageRetention: "15d", configYAML: SecretRedaction.redact(yaml: configYAML))
        await state.setAlertmanagerURLs(["http://127.0.0.1:9093/api/v2/alerts"])

        let router = Router()
        router.add(middleware: WebGuard(configuration: .open, enableLifecycle: false).middleware())
        PagesRoutes(ruleManager: rules, scrapeManager: scrapes, state: state, alertHistory: AlertHistory(querier: store)).addRoutes(to: router)
        StatusPagesRoutes(store: store, scrapeManager: scrapes, state: state, version: "0.1.0").addRoutes(to: router)
        // The alerts page plus a script that types into the search box, to check the filter the user sees as they type.
        router.get("/harness/alerts") { _, _ in
            let page = AlertsPage.render(groups: await rules.snapshot(), now: Date(), autoRefresh: false)
            return html(page.replacingOccurrences(of: "</head>", with: "<script defer src=\"/harness.js\"></script>\n</head>"))
        }
        router.get("/harness.js") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/javascript"
            let script = """
                var box = document.querySelector("[data-filter-input]");
                box.value = "modelnotloaded api:8081";
                box.dispatchEvent(new Event("input"));
                document.body.setAttribute("data-url", location.pathname + location.search);
                """
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: script)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        let scraping = Task { try await scrapes.run() }
        defer { scraping.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        while await scrapes.activeTargets().isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }

        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let light = "1280,900", phone = "390,844"
            let pages: [(file: String, path: String, size: String, dark: Bool)] = [
                ("status.png", "/status", light, false), ("status-dark.png", "/status", light, true), ("status-phone.png", "/status", phone, false),
                ("tsdb-status.png", "/tsdb-status", light, false),
                ("flags.png", "/flags?search=storage", light, false), ("config.png", "/config", light, false),
                ("service-discovery.png", "/service-discovery", light, false), ("service-discovery-phone.png", "/service-discovery", phone, false),
                ("alerts-search.png", "/alerts?search=critical&refresh=0", light, false), ("alerts-dark.png", "/alerts?refresh=0", light, true),
                ("rules-dark.png", "/rules", light, true), ("rules-phone.png", "/rules?search=apidown", phone, false),
            ]
            // Two browsers at a time: most of each run is Chromium starting up.
            for pair in stride(from: 0, to: pages.count, by: 2).map({ Array(pages[$0..<min($0 + 2, pages.count)]) }) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for page in pair {
                        group.addTask {
                            let file = shots.appendingPathComponent(page.file).path
                            try? FileManager.default.removeItem(atPath: file)
                            let run = try await chromium(browser, ["--screenshot=\(file)", "--window-size=\(page.size)"]
                                                         + (page.dark ? ["--force-dark-mode"] : []) + [base + page.path])
                            #expect(run.status == 0, "chromium failed for \(page.path): \(run.stderr.suffix(2000))")
                            #expect(run.consoleErrors.isEmpty, "console errors on \(page.path): \(run.consoleErrors)")
                            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
                            #expect(size > 10_000, "screenshot \(page.file) is \(size) bytes")
                        }
                    }
                    try await group.waitForAll()
                }
            }

            func dom(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
                let run = try await chromium(browser, ["--dump-dom", base + path])
                #expect(run.consoleErrors.isEmpty, "console errors on \(path): \(run.consoleErrors)", sourceLocation: sourceLocation)
                return run.stdout
            }
            let status = try await dom("/status")
            #expect(status.contains("<code>data/vigil.db</code>"))
            #expect(status.contains("<a href=\"http://127.0.0.1:9093\">http://127.0.0.1:9093</a>"))
            #expect(status.contains("<span class=\"badge ok\">successful</span>"))

            let config = try await dom("/config")
            #expect(config.contains("password: &lt;secret&gt;"))
            #expect(!config.contains("hunter2"))

            let tsdb = try await dom("/tsdb-status")
            #expect(tsdb.contains("<code>ALERTS</code>"))
            #expect(tsdb.contains("<code>alertname=APIDown</code>"))

            let discovery = try await dom("/service-discovery")
            #expect(discovery.contains("1/2 active targets"))
            #expect(discovery.contains("relabel_configs[0]: action drop, source_labels [__address__], regex 127.0.0.1:2"))

            let flags = try await dom("/flags?search=retention")
            #expect(flags.contains("<tr data-filter-item=\"\" data-search=\"storage.retention.time 15d\">"))
            #expect(flags.contains("<tr data-filter-item=\"\" data-search=\"storage.path data/vigil.db\" hidden=\"\">"))

            let alertsPage = try await dom("/alerts?refresh=0")
            #expect(alertsPage.contains("href=\"http://127.0.0.1:9093/#/silences/new?filter=%7Balertname%3D%22APIDown%22%2Cinstance%3D%22api%3A8080%22"))
            // Three stored episodes plus the one firing now.
            #expect(alertsPage.contains("fired <b>4×</b> in 24h"))

            let rulesPage = try await dom("/rules")
            #expect(rulesPage.contains("<dt>action</dt><dd>Check that the API process on {{ $labels.instance }}"))

            // Typing narrows the page to the matching rule and alert and puts the search in the address.
            let typed = try await dom("/harness/alerts")
            #expect(typed.contains("data-url=\"/harness/alerts?search=modelnotloaded+api%3A8081\""))
            #expect(typed.contains("data-search=\"apidown severity=&quot;critical&quot; severity=critical\" hidden=\"\""))
            #expect(typed.contains("data-search=\"modelnotloaded severity=&quot;critical&quot; severity=critical\">"))
            #expect(typed.contains("href=\"/alerts?state=firing&amp;refresh=0&amp;search=modelnotloaded+api%3A8081\""))
        }
        scraping.cancel()
        _ = await scraping.result
    }
}
