import Foundation
import Hummingbird
import NIOCore
import PromQL
import TSDB

/// DashboardRoutes serves the dashboards of `--web.dashboards.path`, the `/graph` expression browser and their scripts.
///
/// `/dashboards` lists every Grafana JSON file in the directory, `/dashboards/<uid>` draws one, and `/dashboard`
/// draws `ml-api-dashboard.json`, the seed's. Files are read on every request, so edits show on reload.
public struct DashboardRoutes: Sendable {
    /// The directory of Grafana dashboard JSON files.
    let directory: String
    /// The file `/dashboard` draws, inside `directory`.
    let defaultFile: String
    let engine: PromQLEngine
    let querier: any Querier
    /// The storage retention in milliseconds, the longest range `/graph` offers; nil for no limit.
    let retention: Int64?

    /// Creates the routes; a relative `directory` starts at the working directory.
    public init(dashboardsDirectory directory: String = "dashboards", defaultFile: String = "ml-api-dashboard.json",
                querier: any Querier, options: QueryOptions = QueryOptions(), retention: Int64? = 15 * 86_400_000) {
        self.directory = directory
        self.defaultFile = defaultFile
        self.engine = PromQLEngine(querier: querier, options: options)
        self.querier = querier
        self.retention = retention
    }

    /// Adds the routes to `router`.
    public func addRoutes<Methods: RouterMethods>(to router: Methods) where Methods.Context == BasicRequestContext {
        router.get("/dashboard") { request, _ in
            await dashboardResponse(path: (directory as NSString).appendingPathComponent(defaultFile), served: "/dashboard", query: request.uri.query)
        }
        router.get("/dashboards") { _, _ in
            html(DashboardList.render(directory: directory, entries: DashboardList.scan(directory: directory)))
        }
        router.get("/dashboards/:uid") { request, context in
            let uid = context.parameters.get("uid") ?? ""
            guard let entry = DashboardList.scan(directory: directory).first(where: { $0.uid == uid }) else {
                var response = html(DashboardPage.renderError(DashboardError(message: "no dashboard with uid \"\(uid)\" in \(directory); see /dashboards")))
                response.status = .notFound
                return response
            }
            return await dashboardResponse(path: entry.path, served: "/dashboards/" + HTML.queryValue(uid), query: request.uri.query)
        }
        router.get("/graph") { request, _ in
            let panels = GraphPanelOptions.panels(from: FormQuery(request.uri.query))
            let now = wholeSecondNow()
            var outcomes: [GraphPage.Outcome] = []
            for panel in panels { outcomes.append(await evaluate(panel, now: now)) }
            return html(GraphPage.render(panels: panels, outcomes: outcomes, retention: retention, now: now))
        }
        router.get("/static/graph.js") { _, _ in script(GraphScript.source) }
        router.get("/static/charts.js") { _, _ in script(ChartScript.source) }
    }

    /// Loads the dashboard at `path` and renders it for the URL's `query` (time range, refresh, variables).
    func dashboardResponse(path: String, served: String, query rawQuery: String?) async -> Response {
        let query = FormQuery(rawQuery)
        let dashboard: GrafanaDashboard
        do {
            dashboard = try GrafanaDashboard.load(path: path)
        } catch {
            var response = html(DashboardPage.renderError(error))
            response.status = .internalServerError
            return response
        }
        let now = wholeSecondNow()
        let window = DashboardTimeRange.resolve(from: query["from"], to: query["to"], range: query["range"], fallback: dashboard.time, now: now)
        let variables = await DashboardVariables.resolve(dashboard, query: query, window: window, querier: querier)
        let request = DashboardPage.Request(path: served, window: window, variables: variables, refresh: query["refresh"], alerts: query["alerts"] != "off")
        return html(DashboardPage.render(dashboard: dashboard, request: request))
    }

    /// Parses the panel's expression and, for the table tab, evaluates it at the panel's moment (default `now`).
    func evaluate(_ panel: GraphPanelOptions, now: Timestamp) async -> GraphPage.Outcome {
        let expr = panel.expr
        if expr.allSatisfy(\.isWhitespace) { return .empty }
        let parsed: Expr
        do {
            parsed = try parseExpr(expr)
        } catch {
            return .parseError(message: error.message, line: error.line, column: error.column)
        }
        if panel.tab == .graph { return .deferred }
        let at = panel.moment ?? now
        let started = ContinuousClock.now
        do {
            let value = try await engine.instantQuery(parsed, at: at)
            let took = started.duration(to: .now)
            return .value(value, at: at, seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        } catch {
            return .failed(error.message)
        }
    }
}

/// The current time in milliseconds, cut to a whole second so ranges and steps print as whole seconds.
private func wholeSecondNow() -> Timestamp { Timestamp(Date().timeIntervalSince1970.rounded(.down)) * 1000 }

/// A script response that browsers revalidate, so a new Vigil's scripts are picked up on reload.
private func script(_ source: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/javascript; charset=utf-8"
    headers[.cacheControl] = "no-cache"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: source)))
}

/// FormQuery holds the parameters of a URL query string as an HTML form submits them (`+` is a space).
struct FormQuery {
    private var values: [String: String] = [:]
    /// Every value of each name, in order, for parameters that repeat (Grafana's multi-value `var-…`).
    private var all: [String: [String]] = [:]
    /// The names in the order they first appear.
    private(set) var keys: [String] = []

    init(_ query: String?) {
        for pair in (query ?? "").utf8.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = APIParameters.formDecoded(parts[0])
            let value = parts.count > 1 ? APIParameters.formDecoded(parts[1]) : ""
            if values[key] == nil {
                values[key] = value
                keys.append(key)
            }
            all[key, default: []].append(value)
        }
    }

    subscript(name: String) -> String? { values[name] }

    /// Every value given for `name`, in order.
    func values(_ name: String) -> [String] { all[name] ?? [] }
}
