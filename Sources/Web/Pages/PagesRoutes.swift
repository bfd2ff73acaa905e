import Foundation
import Hummingbird
import NIOCore
import Rules
import Config
import Scraper

/// PagesRoutes serves the server-rendered `/alerts`, `/rules` and `/targets` pages on the monitoring listener.
public struct PagesRoutes: Sendable {
    let ruleManager: RuleManager
    let scrapeManager: ScrapeManager

    public init(ruleManager: RuleManager, scrapeManager: ScrapeManager) {
        self.ruleManager = ruleManager
        self.scrapeManager = scrapeManager
    }

    /// Adds the page routes to `router`.
    public func addRoutes<Methods: RouterMethods>(to router: Methods) where Methods.Context == BasicRequestContext {
        router.get("/alerts") { request, _ in
            let query = request.uri.queryParameters
            let filter = AlertsPage.stateFilter(query.get("state"))
            let autoRefresh = query.get("refresh") != "0"
            return html(AlertsPage.render(groups: await ruleManager.snapshot(), now: Date(), stateFilter: filter, autoRefresh: autoRefresh))
        }
        router.get("/rules") { _, _ in html(RulesPage.render(groups: await ruleManager.snapshot(), now: Date())) }
        router.get("/targets") { _, _ in html(TargetsPage.render(targets: await scrapeManager.activeTargets(), now: Date())) }
    }
}

/// An HTML response that caches nothing, since every page shows live state.
func html(_ text: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.cacheControl] = "no-store"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
}
