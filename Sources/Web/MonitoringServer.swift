import Hummingbird
import Logging
import Model
import NIOCore
import PromQL
import Rules
import Config
import Scraper
import TSDB

/// The monitoring listener (Prometheus's :9090): Vigil's own metrics and health endpoints.
public struct MonitoringServer: Sendable {
    public let store: TimeSeriesStore
    public let scrapeManager: ScrapeManager
    public let metrics: VigilMetrics
    public let api: PrometheusAPI
    /// Re-reads configuration (and the model); returns an error message when the new files are rejected.
    let reload: @Sendable () async -> String?
    let logger: Logger

    public let ruleManager: RuleManager?
    /// The directory of Grafana dashboard JSON files (`--web.dashboards.path`), listed at `/dashboards`; `/dashboard`
    /// draws `ml-api-dashboard.json`.
    let dashboardsDirectory: String
    /// Starts a graceful shutdown for `/-/quit`; the lifecycle gate in front decides whether it is reachable.
    let quit: @Sendable () async -> Void
    let state: ServerState
    let version: String

    public init(store: TimeSeriesStore, scrapeManager: ScrapeManager, metrics: VigilMetrics, state: ServerState, version: String,
                ruleManager: RuleManager? = nil, dashboardsDirectory: String = "dashboards", admin: AdminAPI = .disabled,
                queryOptions: QueryOptions = QueryOptions(), logger: Logger, quit: @escaping @Sendable () async -> Void = {}, reload: @escaping @Sendable () async -> String?) {
        self.dashboardsDirectory = dashboardsDirectory
        self.quit = quit
        self.state = state
        self.version = version
        self.api = PrometheusAPI(store: store, scrapeManager: scrapeManager, state: state, version: version,
                                 queryOptions: queryOptions, ruleManager: ruleManager, admin: admin)
        self.ruleManager = ruleManager
        self.store = store
        self.scrapeManager = scrapeManager
        self.metrics = metrics
        self.logger = logger
        self.reload = reload
    }

    /// The listener's routes; the executable mounts them behind its middleware (authentication, headers,
    /// lifecycle gating), shared with the prediction API.
    public func makeRoutes() -> RouteCollection<BasicRequestContext> {
        let router = RouteCollection(context: BasicRequestContext.self)
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: await metrics.render())))
        }
        api.addRoutes(to: router)
        let retention = (try? PrometheusDuration(parsing: api.state.storageRetention)).flatMap { $0.milliseconds > 0 ? $0.milliseconds : nil }
        DashboardRoutes(dashboardsDirectory: dashboardsDirectory, querier: store, options: api.queryOptions, retention: retention).addRoutes(to: router)
        if let ruleManager {
            PagesRoutes(ruleManager: ruleManager, scrapeManager: scrapeManager, state: state, alertHistory: AlertHistory(querier: store))
                .addRoutes(to: router)
        }
        StatusPagesRoutes(store: store, scrapeManager: scrapeManager, state: state, version: version).addRoutes(to: router)
        // As in Prometheus: the start page is the expression browser.
        router.get("/") { _, _ in
            Response(status: .found, headers: [.location: "/graph"])
        }
        router.get("/-/healthy") { _, _ in plainText("Vigil is Healthy.\n") }
        router.get("/-/ready") { _, _ in plainText("Vigil is Ready.\n") }
        for method in [HTTPRequest.Method.post, .put] {
            router.on("/-/reload", method: method) { _, _ in
                if let error = await reload() {
                    return plainText("failed to reload config: \(error)\n", status: .internalServerError)
                }
                return plainText("")
            }
            router.on("/-/quit", method: method) { _, _ in
                // Answer first, then stop, as Prometheus does.
                Task { await quit() }
                return plainText("Requesting termination... Goodbye!\n")
            }
        }
        return router
    }

    /// A router with the listener's routes and nothing in front of them, for tests and embedding.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.addRoutes(makeRoutes())
        return router
    }

    public func makeApplication(host: String, port: Int,
                                onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: makeRouter(), configuration: .init(address: .hostname(host, port: port), serverName: "vigil"),
                    onServerRunning: onServerRunning, logger: logger)
    }
}

func plainText(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/plain; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
}
