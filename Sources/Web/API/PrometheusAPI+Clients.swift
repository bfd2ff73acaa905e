import Hummingbird
import Model
import PromQL
import TSDB

/// Endpoints that Grafana and other clients call beside the query API, in Prometheus 2.42's shapes.
extension PrometheusAPI {
    func addClientRoutes(to api: RouterGroup<BasicRequestContext>) {
        for method in [HTTPRequest.Method.get, .post] {
            api.on("query_exemplars", method: method) { request, _ in await respond { try await queryExemplars(request) } }
            api.on("format_query", method: method) { request, _ in await respond { try await formatQuery(request) } }
        }
        api.get("targets/metadata") { request, _ in await respond { try await targetMetadata(request) } }
        api.get("alertmanagers") { _, _ in await alertmanagers() }
        api.get("status/walreplay") { _, _ in
            // The store replays its head log before the API opens, so replay is always complete here.
            successResponse { json in
                json.object { json in
                    json.key("min"); json.raw("0")
                    json.key("max"); json.raw("0")
                    json.key("current"); json.raw("0")
                }
            }
        }
    }

    /// Vigil stores no exemplars: a valid query gets an empty list, as Prometheus answers for series without any.
    ///
    /// A query without any series selector (`1`, `time()`) gets 204 No Content, as in Prometheus 2.42,
    /// which answers before it looks for exemplars at all.
    func queryExemplars(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let start = try parameters.optionalTime("start") ?? .min
        let end = try parameters.optionalTime("end") ?? .max
        guard end >= start else { throw APIError(.badData, "end timestamp must not be before start timestamp") }
        let expr: Expr
        do {
            expr = try parseExpr(parameters["query"] ?? "")
        } catch {
            throw APIError(.badData, "\(error)")
        }
        guard Self.containsSelector(expr) else { return Response(status: .noContent) }
        return successResponse { json in json.array { _ in } }
    }

    /// Whether a series selector appears anywhere in the expression (its depth is bounded by the parser).
    static func containsSelector(_ expr: Expr) -> Bool {
        if case .vectorSelector = expr { return true }
        return expr.children.contains(where: containsSelector)
    }

    /// The query in Prometheus's canonical formatting.
    func formatQuery(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let expr: Expr
        do {
            expr = try parseExpr(parameters["query"] ?? "")
        } catch {
            throw APIError(.badData, "invalid parameter \"query\": \(error)")
        }
        let formatted = expr.description
        return successResponse { json in json.string(formatted) }
    }

    /// Metadata of the metric families each active target exposes, optionally for one family and the targets a
    /// selector picks.
    ///
    /// Metadata is kept per family name, so a target's entries are the families its stored series belong to
    /// (`x_bucket` → `x`). `limit` counts targets as Prometheus 2.42 does: no target is started once the list holds
    /// `limit` entries, but a started target lists all of its families.
    func targetMetadata(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let limit = try parameters.limit()
        var targetMatchers: [Matcher] = []
        if let selector = parameters["match_target"], !selector.isEmpty {
            do {
                targetMatchers = try parseMetricSelector(selector)
            } catch {
                throw APIError(.badData, "invalid parameter \"match_target\": \(error)")
            }
        }
        let metric = parameters["metric"].flatMap { $0.isEmpty ? nil : $0 }
        let metadata = await store.metadata()
        var entries: [(target: Labels, family: String, entry: MetricMetadata)] = []
        for target in await scrapeManager.activeTargets() where targetMatchers.allSatisfy({ $0.matches(target.labels) }) {
            if limit >= 0 && entries.count >= limit { break }
            var selector: [Matcher] = []
            for name in ["job", "instance"] {
                if let value = target.labels[name] { selector.append(try Matcher(.equal, name, value)) }
            }
            guard !selector.isEmpty else { continue }
            var seen = Set<String>()
            for name in await store.labelValues(Labels.metricName, matching: selector) {
                let family = metadata[name] != nil ? name : Self.familyName(name)
                guard let entry = metadata[family], metric == nil || metric == family, seen.insert(family).inserted else { continue }
                entries.append((target.labels, family, entry))
            }
        }
        return successResponse { json in
            json.array { json in
                for item in entries {
                    json.object { json in
                        json.key("target"); json.labels(item.target.map { ($0.name, $0.value) })
                        if metric == nil { json.key("metric"); json.string(item.family) }
                        json.key("type"); json.string(item.entry.type)
                        json.key("help"); json.string(item.entry.help)
                        json.key("unit"); json.string(item.entry.unit)
                    }
                }
            }
        }
    }

    /// The metric family a histogram or summary series belongs to (`x_bucket` → `x`).
    static func familyName(_ name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count", "_total", "_created"] where name.hasSuffix(suffix) {
            return String(name.dropLast(suffix.count))
        }
        return name
    }

    func alertmanagers() async -> Response {
        let urls = await state.alertmanagerURLs
        return successResponse { json in
            json.object { json in
                json.key("activeAlertmanagers")
                json.array { json in
                    for url in urls { json.object { json in json.key("url"); json.string(url) } }
                }
                json.key("droppedAlertmanagers")
                json.array { _ in }
            }
        }
    }
}
