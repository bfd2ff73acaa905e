import Foundation
import Hummingbird
import NIOCore
import PromQL
import TSDB

/// DashboardRoutes serves `/dashboard`, the `/graph` expression browser and `/static/charts.js` on the monitoring listener.
public struct DashboardRoutes: Sendable {
    /// The Grafana dashboard file, read on every request so edits show on reload.
    let dashboardPath: String
    let engine: PromQLEngine

    /// Creates the routes; a relative `dashboardPath` starts at the working directory.
    public init(dashboardPath: String = "dashboards/ml-api-dashboard.json", querier: any Querier, options: QueryOptions = QueryOptions()) {
        self.dashboardPath = dashboardPath
        self.engine = PromQLEngine(querier: querier, options: options)
    }

    /// Adds the routes to `router`.
    public func addRoutes<Methods: RouterMethods>(to router: Methods) where Methods.Context == BasicRequestContext {
        router.get("/dashboard") { request, _ in
            let query = FormQuery(request.uri.query)
            switch Result(catching: { () throws(DashboardError) in try GrafanaDashboard.load(path: dashboardPath) }) {
            case .success(let dashboard):
                return html(DashboardPage.render(dashboard: dashboard, range: query["range"], refresh: query["refresh"]))
            case .failure(let error):
                var response = html(DashboardPage.renderError(error))
                response.status = .internalServerError
                return response
            }
        }
        router.get("/graph") { request, _ in
            let query = FormQuery(request.uri.query)
            let expr = query["g0.expr"] ?? ""
            let tab = query["g0.tab"] == "0" ? 0 : 1
            let outcome = await evaluate(expr, tab: tab)
            return html(GraphPage.render(expr: expr, tab: tab, range: query["g0.range_input"] ?? "1h", outcome: outcome))
        }
        router.get("/static/charts.js") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/javascript; charset=utf-8"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ChartScript.source)))
        }
    }

    /// Parses `expr` and, for the table tab, evaluates it now.
    func evaluate(_ expr: String, tab: Int) async -> GraphPage.Outcome {
        if expr.allSatisfy(\.isWhitespace) { return .empty }
        let parsed: Expr
        do {
            parsed = try parseExpr(expr)
        } catch {
            return .parseError(message: error.message, line: error.line, column: error.column)
        }
        if tab == 0 { return .deferred }
        let now = Timestamp((Date().timeIntervalSince1970 * 1000).rounded())
        let started = ContinuousClock.now
        do {
            let value = try await engine.instantQuery(parsed, at: now)
            let took = started.duration(to: .now)
            return .value(value, at: now, seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        } catch {
            return .failed(error.message)
        }
    }
}

/// FormQuery holds the parameters of a URL query string as an HTML form submits them (`+` is a space).
struct FormQuery {
    private var values: [String: String] = [:]

    init(_ query: String?) {
        for pair in (query ?? "").utf8.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = APIParameters.formDecoded(parts[0])
            if values[key] == nil { values[key] = parts.count > 1 ? APIParameters.formDecoded(parts[1]) : "" }
        }
    }

    subscript(name: String) -> String? { values[name] }
}
