import Hummingbird
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
    func queryExemplars(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        _ = try parameters.time("start")
        _ = try parameters.time("end")
        do {
            _ = try parseExpr(parameters["query"] ?? "")
        } catch {
            throw APIError(.badData, "\(error)")
        }
        return successResponse { json in json.array { _ in } }
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

    /// Metadata of the metrics each active target exposes, optionally for one metric and the targets a selector picks.
    ///
    /// Metadata is kept per metric name, so a target's entries are those of the metric names its
    /// stored series carry.
    func targetMetadata(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let metric = parameters["metric"].flatMap { $0.isEmpty ? nil : $0 }
        let limit = try parameters["limit"].map { text throws(APIError) -> Int in
            guard let value = Int(text) else { throw APIError(.badData, "limit must be a number") }
            return value
        } ?? -1
        var targetMatchers: [Matcher] = []
        if let selector = parameters["match_target"], !selector.isEmpty {
            do {
                guard case .vectorSelector(let vector) = try parseExpr(selector) else {
                    throw APIError(.badData, "invalid parameter \"match_target\": not a vector selector")
                }
                targetMatchers = vector.matchers
            } catch let error as APIError {
                throw error
            } catch {
                throw APIError(.badData, "\(error)")
            }
        }
        let metadata = await store.metadata()
        var entries: [(target: Labels, metric: String, entry: MetricMetadata)] = []
        for target in await scrapeManager.activeTargets() where targetMatchers.allSatisfy({ $0.matches(target.labels) }) {
            var selector: [Matcher] = []
            for name in ["job", "instance"] {
                if let value = target.labels[name] { selector.append(try Matcher(.equal, name, value)) }
            }
            if let metric { selector.append(try Matcher(.equal, Labels.metricName, metric)) }
            let names = selector.isEmpty ? [] : await store.labelValues(Labels.metricName, matching: selector)
            for name in names {
                guard let entry = metadata[name] ?? metadata[Self.familyName(name)] else { continue }
                entries.append((target.labels, name, entry))
                if limit >= 0 && entries.count >= limit { break }
            }
            if limit >= 0 && entries.count >= limit { break }
        }
        return successResponse { json in
            json.array { json in
                for item in entries {
                    json.object { json in
                        json.key("target"); json.labels(item.target.map { ($0.name, $0.value) })
                        if metric == nil { json.key("metric"); json.string(item.metric) }
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
