import Foundation
import Hummingbird
import Model
import PromQL
import Rules
import Config
import Scraper
import TSDB

/// Prometheus's HTTP API (`/api/v1/…`) over Vigil's store, scrape manager and engine.
///
/// Shapes and status codes follow Prometheus 2.42, so promtool, Grafana and other clients work unchanged.
public struct PrometheusAPI: Sendable {
    let store: TimeSeriesStore
    let scrapeManager: ScrapeManager
    let state: ServerState
    let version: String
    let queryOptions: QueryOptions
    let ruleManager: RuleManager?
    let adminAPI: AdminAPI

    public init(store: TimeSeriesStore, scrapeManager: ScrapeManager, state: ServerState, version: String,
                queryOptions: QueryOptions = QueryOptions(), ruleManager: RuleManager? = nil, admin: AdminAPI = .disabled) {
        self.ruleManager = ruleManager
        self.adminAPI = admin
        self.store = store
        self.scrapeManager = scrapeManager
        self.state = state
        self.version = version
        self.queryOptions = queryOptions
    }

    /// Adds the API routes to `router`, GET and POST where Prometheus accepts both.
    public func addRoutes<Methods: RouterMethods>(to router: Methods) where Methods.Context == BasicRequestContext {
        let api = router.group("api/v1")
        addQueryRoutes(to: api)
        addRuleRoutes(to: api)
        addClientRoutes(to: api)
        addRemoteRoutes(to: router)
        addAdminRoutes(to: api)
        for method in [HTTPRequest.Method.get, .post] {
            api.on("series", method: method) { request, _ in await respond { try await series(request) } }
            api.on("labels", method: method) { request, _ in await respond { try await labels(request) } }
        }
        api.get("label/:name/values") { request, context in
            // The name arrives as the path holds it; Prometheus reads it from the decoded path (`%5F` is `_`).
            let raw = context.parameters.get("name") ?? ""
            return await respond { try await labelValues(request, name: APIParameters.pathDecoded(raw)) }
        }
        api.get("metadata") { request, _ in await respond { try await metadata(request) } }
        api.get("targets") { request, _ in await respond { try await targets(request) } }
        api.get("scrape_pools") { _, _ in await scrapePools() }
        api.get("status/buildinfo") { _, _ in buildInfo() }
        api.get("status/config") { _, _ in
            let yaml = await state.configYAML
            return successResponse { json in json.object { json in json.key("yaml"); json.string(yaml) } }
        }
        api.get("status/flags") { _, _ in
            let flags = state.flags
            return successResponse { json in json.labels(flags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
        }
        api.get("status/runtimeinfo") { _, _ in await runtimeInfo() }
        api.get("status/tsdb") { _, _ in await tsdbStatus() }
    }

    /// Runs a handler and turns its APIError into Prometheus's error envelope.
    func respond(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return error.response
        } catch {
            return APIError(.internal, "\(error)").response
        }
    }

    // MARK: - Series and labels

    func series(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        // Prometheus's order of checks: a missing match[] first, then the times, then the selectors.
        guard !parameters.all("match[]").isEmpty else { throw APIError(.badData, "no match[] parameter provided") }
        let start = try parameters.optionalTime("start") ?? .min
        let end = try parameters.optionalTime("end") ?? .max
        let sets = try parameters.matcherSets(required: true)
        var seen = Set<Labels>()
        var result: [Labels] = []
        for matchers in sets {
            for labels in await store.seriesLabels(matching: matchers, mint: start, maxt: end) where seen.insert(labels).inserted {
                result.append(labels)
            }
        }
        result.sort()
        return successResponse { json in
            json.array { json in for labels in result { json.labels(labels.map { ($0.name, $0.value) }) } }
        }
    }

    func labels(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let (start, end) = (try parameters.optionalTime("start") ?? .min, try parameters.optionalTime("end") ?? .max)
        let sets = try parameters.matcherSets(required: false, wrapped: false)
        var names = Set<String>()
        for matchers in sets.isEmpty ? [[]] : sets {
            names.formUnion(await store.labelNames(matching: matchers, mint: start, maxt: end))
        }
        let sorted = names.sortedByBytes()
        return successResponse { json in json.array { json in for name in sorted { json.string(name) } } }
    }

    func labelValues(_ request: Request, name: String) async throws -> Response {
        guard LabelName.isValid(name) else {
            throw APIError(.badData, "invalid label name: \(GoQuote.quote(name))")
        }
        let parameters = try await APIParameters.from(request)
        let (start, end) = (try parameters.optionalTime("start") ?? .min, try parameters.optionalTime("end") ?? .max)
        let sets = try parameters.matcherSets(required: false, wrapped: false)
        // Byte-keyed: values that differ only in Unicode normalisation are different values, as in Prometheus.
        var values = Set<ByteString>()
        for matchers in sets.isEmpty ? [[]] : sets {
            values.formUnion(await store.labelValues(name, matching: matchers, mint: start, maxt: end).map { ByteString($0) })
        }
        let sorted = values.sorted()
        return successResponse { json in json.array { json in for value in sorted { json.string(value.string) } } }
    }

    // MARK: - Metadata and targets

    func metadata(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let metric = parameters["metric"]
        let limit = try parameters.limit()
        var entries = await store.metadata().sorted { $0.key < $1.key }
        if let metric, !metric.isEmpty { entries = entries.filter { $0.key == metric } }
        if limit >= 0 { entries = Array(entries.prefix(limit)) }
        return successResponse { json in
            json.object { json in
                for (name, entry) in entries {
                    json.key(name)
                    json.array { json in
                        json.object { json in
                            json.key("type"); json.string(entry.type)
                            json.key("help"); json.string(entry.help)
                            json.key("unit"); json.string(entry.unit)
                        }
                    }
                }
            }
        }
    }

    func targets(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let stateFilter = (parameters["state"] ?? "any").lowercased()
        let showActive = stateFilter == "any" || stateFilter == "active" || stateFilter.isEmpty
        let showDropped = stateFilter == "any" || stateFilter == "dropped" || stateFilter.isEmpty
        // `scrapePool` picks one job's targets, active and dropped alike.
        let pool = parameters["scrapePool"].flatMap { $0.isEmpty ? nil : $0 }
        let active = showActive ? await scrapeManager.activeTargets().filter { pool == nil || $0.job == pool } : []
        let dropped = showDropped ? await scrapeManager.droppedTargets().filter { pool == nil || $0.job == pool } : []
        return successResponse { json in
            json.object { json in
                json.key("activeTargets")
                json.array { json in
                    for target in active {
                        json.object { json in
                            json.key("discoveredLabels"); json.labels(target.discoveredLabels.map { ($0.name, $0.value) })
                            json.key("labels"); json.labels(target.labels.map { ($0.name, $0.value) })
                            json.key("scrapePool"); json.string(target.job)
                            json.key("scrapeUrl"); json.string(target.scrapeURL)
                            json.key("globalUrl"); json.string(target.scrapeURL)
                            json.key("lastError"); json.string(target.lastError)
                            json.key("lastScrape"); json.string(RFC3339.string(target.lastScrape ?? Date(timeIntervalSince1970: 0)))
                            json.key("lastScrapeDuration"); json.raw(formatPrometheusJSONNumber(target.lastScrapeDuration))
                            json.key("health"); json.string(target.health.rawValue)
                            json.key("scrapeInterval"); json.string(formatDuration(target.scrapeInterval))
                            json.key("scrapeTimeout"); json.string(formatDuration(target.scrapeTimeout))
                        }
                    }
                }
                json.key("droppedTargets")
                json.array { json in
                    for target in dropped {
                        json.object { json in
                            json.key("discoveredLabels"); json.labels(target.discoveredLabels.map { ($0.name, $0.value) })
                        }
                    }
                }
            }
        }
    }

    /// The configured scrape jobs' names, sorted, which `/targets?scrapePool=` takes.
    func scrapePools() async -> Response {
        let names = await scrapeManager.currentConfiguration().scrapeConfigs.map(\.jobName).sortedByBytes()
        return successResponse { json in
            json.object { json in
                json.key("scrapePools")
                json.array { json in for name in names { json.string(name) } }
            }
        }
    }

    // MARK: - Status

    func buildInfo() -> Response {
        successResponse { json in
            json.object { json in
                json.key("version"); json.string(version)
                json.key("revision"); json.string("")
                json.key("branch"); json.string("")
                json.key("buildUser"); json.string("")
                json.key("buildDate"); json.string("")
                json.key("goVersion"); json.string("swift")
            }
        }
    }

    func runtimeInfo() async -> Response {
        let startTime = state.startTime
        let reloadSuccess = await state.reloadConfigSuccess
        let lastConfigTime = await state.lastConfigTime
        return successResponse { json in
            json.object { json in
                json.key("startTime"); json.string(RFC3339.string(startTime))
                json.key("CWD"); json.string(FileManager.default.currentDirectoryPath)
                json.key("reloadConfigSuccess"); json.bool(reloadSuccess)
                json.key("lastConfigTime"); json.string(RFC3339.string(lastConfigTime, fractional: false))
                json.key("corruptionCount"); json.int(0)
                json.key("goroutineCount"); json.int(0)
                json.key("GOMAXPROCS"); json.int(ProcessInfo.processInfo.activeProcessorCount)
                json.key("GOGC"); json.string("")
                json.key("GODEBUG"); json.string("")
                json.key("storageRetention"); json.string(state.storageRetention)
            }
        }
    }

    func tsdbStatus() async -> Response {
        let status = await TSDBStatus.compute(store)
        return successResponse { json in
            json.object { json in
                json.key("headStats")
                json.object { json in
                    json.key("numSeries"); json.int(status.numSeries)
                    json.key("numLabelPairs"); json.int(status.numLabelPairs)
                    json.key("chunkCount"); json.int(status.chunkCount)
                    json.key("minTime"); json.raw(String(status.minTime ?? 0))
                    json.key("maxTime"); json.raw(String(status.maxTime ?? 0))
                }
                for (key, entries) in status.lists {
                    json.key(key)
                    json.array { json in
                        for entry in entries {
                            json.object { json in
                                json.key("name"); json.string(entry.name)
                                json.key("value"); json.int(entry.value)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A float as a bare JSON number, as Go's encoder writes one (used where Prometheus emits numbers, not strings).
func formatPrometheusJSONNumber(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
}
