import Foundation
import Hummingbird
import NIOCore
import Rules
import Config
import Scraper
import TSDB

/// PagesRoutes serves the server-rendered `/alerts`, `/rules` and `/targets` pages on the monitoring listener.
public struct PagesRoutes: Sendable {
    let ruleManager: RuleManager
    let scrapeManager: ScrapeManager
    /// Gives the Alertmanagers for the silence links; without it there are none.
    let state: ServerState?
    /// Gives the 24-hour firing counts; without it they are not shown.
    let alertHistory: AlertHistory?

    public init(ruleManager: RuleManager, scrapeManager: ScrapeManager, state: ServerState? = nil, alertHistory: AlertHistory? = nil) {
        self.ruleManager = ruleManager
        self.scrapeManager = scrapeManager
        self.state = state
        self.alertHistory = alertHistory
    }

    /// Adds the page routes to `router`.
    public func addRoutes<Methods: RouterMethods>(to router: Methods) where Methods.Context == BasicRequestContext {
        router.get("/alerts") { request, _ in
            let query = request.uri.queryParameters
            let filter = AlertsPage.stateFilter(query.get("state"))
            let autoRefresh = query.get("refresh") != "0"
            let now = Date()
            let groups = await ruleGroups(now: now)
            // Silences go to the first Alertmanager, as a user with one Alertmanager cluster expects.
            let alertmanager = await state?.alertmanagerURLs.first.map(RuntimeStatus.alertmanagerWebURL)
            return html(AlertsPage.render(groups: groups, now: now, stateFilter: filter, autoRefresh: autoRefresh,
                                          search: LabelSearch(query.get("search")), alertmanagerURL: alertmanager))
        }
        router.get("/rules") { request, _ in
            let now = Date()
            return html(RulesPage.render(groups: await ruleGroups(now: now), now: now, search: LabelSearch(request.uri.queryParameters.get("search"))))
        }
        router.get("/targets") { _, _ in html(TargetsPage.render(targets: await scrapeManager.activeTargets(), now: Date())) }
    }

    private func ruleGroups(now: Date) async -> [RuleGroupView] {
        let groups = await ruleManager.snapshot().map(RuleGroupView.init)
        guard let alertHistory else { return groups }
        return await alertHistory.annotate(groups, now: now)
    }
}

/// StatusPagesRoutes serves the pages of Prometheus's Status menu at its paths (`/status`, `/flags`, `/config`,
/// `/tsdb-status`), `/service-discovery`, and the search script the pages share.
public struct StatusPagesRoutes: Sendable {
    let store: TimeSeriesStore
    let scrapeManager: ScrapeManager
    let state: ServerState
    let version: String

    public init(store: TimeSeriesStore, scrapeManager: ScrapeManager, state: ServerState, version: String) {
        self.store = store
        self.scrapeManager = scrapeManager
        self.state = state
        self.version = version
    }

    public func addRoutes<Methods: RouterMethods>(to router: Methods) where Methods.Context == BasicRequestContext {
        router.get("/status") { _, _ in html(StatusPage.render(await runtimeStatus(), now: Date())) }
        router.get("/flags") { request, _ in
            html(FlagsPage.render(flags: state.flags, search: LabelSearch(request.uri.queryParameters.get("search"))))
        }
        router.get("/config") { _, _ in
            html(ConfigPage.render(yaml: await state.configYAML, lastLoaded: await state.lastConfigTime, now: Date()))
        }
        router.get("/tsdb-status") { _, _ in html(TSDBStatusPage.render(await TSDBStatus.compute(store))) }
        router.get("/service-discovery") { _, _ in
            let jobs = await scrapeManager.currentConfiguration().scrapeConfigs.map(\.jobName)
            return html(ServiceDiscoveryPage.render(jobs: jobs, active: await scrapeManager.activeTargets(),
                                                    dropped: await scrapeManager.droppedTargets(), failed: await scrapeManager.failedTargets()))
        }
        router.get(RouterPath(LabelSearch.scriptPath)) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/javascript; charset=utf-8"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: LabelSearch.script)))
        }
    }

    func runtimeStatus() async -> RuntimeStatus {
        let stats = await store.stats()
        let flags = state.flags
        return RuntimeStatus(
            version: version, startTime: state.startTime, workingDirectory: FileManager.default.currentDirectoryPath,
            configFile: flags["config.file"] ?? "", storagePath: flags["storage.path"] ?? store.path ?? "",
            retentionTime: state.storageRetention, retentionSize: flags["storage.retention.size"] ?? "",
            bytesOnDisk: stats.bytesOnDisk, series: stats.series, reloadSuccess: await state.reloadConfigSuccess,
            lastSuccessfulReload: await state.lastConfigTime, lastReloadAttempt: await state.lastReloadAttempt,
            lastReloadError: await state.lastReloadError, alertmanagers: await state.alertmanagerURLs,
            residentBytes: RuntimeStatus.currentResidentBytes())
    }
}

/// An HTML response that caches nothing, since every page shows live state.
func html(_ text: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.cacheControl] = "no-store"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
}
