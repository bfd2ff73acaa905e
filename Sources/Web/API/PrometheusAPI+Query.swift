import Foundation
import Hummingbird
import PromQL
import TSDB

/// `/api/v1/query` and `/api/v1/query_range`.
extension PrometheusAPI {
    /// Prometheus's cap on points per series in one range query.
    static let maxPointsPerSeries: Int64 = 11_000

    func addQueryRoutes(to api: RouterGroup<BasicRequestContext>) {
        for method in [HTTPRequest.Method.get, .post] {
            api.on("query", method: method) { request, _ in await respond { try await instantQuery(request) } }
            api.on("query_range", method: method) { request, _ in await respond { try await rangeQuery(request) } }
        }
    }

    func instantQuery(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let expr = try parseQuery(parameters)
        let time = try parameters.optionalTime("time") ?? Self.now()
        let engine = try engine(parameters)
        do {
            let value = try await engine.instantQuery(expr, at: time)
            return await Self.response(for: value)
        } catch {
            throw APIError(queryError: error)
        }
    }

    func rangeQuery(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        guard let start = try parameters.time("start") else { throw APIError(.badData, "invalid parameter \"start\": cannot parse \"\" to a valid timestamp") }
        guard let end = try parameters.time("end") else { throw APIError(.badData, "invalid parameter \"end\": cannot parse \"\" to a valid timestamp") }
        guard end >= start else { throw APIError(.badData, "invalid parameter \"end\": end timestamp must not be before start time") }
        guard let step = try parameters.duration("step") else {
            throw APIError(.badData, "invalid parameter \"step\": cannot parse \"\" to a valid duration")
        }
        guard step > 0 else {
            throw APIError(.badData, "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        let (span, overflow) = end.subtractingReportingOverflow(start)
        guard !overflow, span / step <= Self.maxPointsPerSeries else {
            throw APIError(.badData, "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        let expr = try parseQuery(parameters)
        let engine = try engine(parameters)
        do {
            let value = try await engine.rangeQuery(expr, start: start, end: end, step: step)
            return await Self.response(for: value)
        } catch {
            throw APIError(queryError: error)
        }
    }

    private func parseQuery(_ parameters: APIParameters) throws(APIError) -> Expr {
        do {
            return try parseExpr(parameters["query"] ?? "")
        } catch {
            throw APIError(.badData, "invalid parameter \"query\": \(error)")
        }
    }

    /// The engine for this request, with its `timeout` parameter when one is given.
    private func engine(_ parameters: APIParameters) throws(APIError) -> PromQLEngine {
        var options = queryOptions
        if let timeout = try parameters.duration("timeout"), timeout > 0 {
            let (limit, overflow) = options.timeout.components.seconds.multipliedReportingOverflow(by: 1000)
            options.timeout = .milliseconds(overflow ? timeout : min(timeout, limit))
        }
        return PromQLEngine(querier: store, options: options)
    }

    /// Roughly the JSON size of a result, so the buffer is allocated once instead of growing page by page.
    static func estimatedSize(_ value: QueryValue) -> Int {
        guard case .matrix(let series) = value else { return 4096 }
        return estimatedSize(of: series)
    }

    static func estimatedSize(of series: some Sequence<Series>) -> Int {
        series.reduce(256) { $0 + 200 + $1.samples.count * 34 }
    }

    static func now() -> Timestamp { Timestamp((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// The success answer for a query's value. A large matrix is printed on the query threads, in parts,
    /// so printing a heavy query's numbers runs at their lower priority instead of holding the cooperative
    /// threads that scrapes, rule evaluations and `/predict` share.
    static func response(for value: QueryValue) async -> Response {
        guard case .matrix(let series) = value, series.reduce(0, { $0 + $1.samples.count }) >= parallelEncodingThreshold else {
            return successResponse(capacity: estimatedSize(value)) { json in write(value, into: &json) }
        }
        let parts = await encodedOnQueryThreads(series)
        return successResponse(capacity: parts.reduce(256) { $0 + $1.bytes.count }) { json in
            json.object { json in
                json.key("resultType"); json.string(value.resultType)
                json.key("result")
                json.array { json in for part in parts { json.members(part) } }
            }
        }
    }

    /// `{"resultType":…,"result":…}` with Prometheus's number and timestamp formats.
    static func write(_ value: QueryValue, into json: inout JSONWriter) {
        json.object { json in
            json.key("resultType"); json.string(value.resultType)
            json.key("result")
            switch value {
            case .scalar(let t, let v):
                json.array { json in
                    json.raw(JSONWriter.floatSeconds(t))
                    json.string(formatPrometheusValue(v))
                }
            case .string(let t, let s):
                json.array { json in
                    json.raw(JSONWriter.floatSeconds(t))
                    json.string(s)
                }
            case .vector(let samples):
                json.array { json in
                    for sample in samples {
                        json.object { json in
                            json.key("metric"); json.labels(sample.labels.map { ($0.name, $0.value) })
                            json.key("value"); json.samplePoint(sample.t, sample.v)
                        }
                    }
                }
            case .matrix(let series):
                json.array { json in json.members(encode(series[...])) }
            }
        }
    }

    /// Points below which a matrix is written on the calling task, and the least points of one part.
    static let parallelEncodingThreshold = 5_000

    /// Writes the series of a matrix as comma-separated objects on the query threads, a share of them per
    /// core, joined in order: split by point count, so the bytes are those of a sequential write.
    static func encodedOnQueryThreads(_ series: [Series], pool: QueryThreadPool = .shared) async -> [JSONWriter] {
        let points = series.reduce(0) { $0 + $1.samples.count }
        let partCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, points / parallelEncodingThreshold, series.count))
        var bounds = [0]
        var running = 0
        for (index, one) in series.enumerated() {
            running += one.samples.count
            if running * partCount >= points * bounds.count && bounds.count < partCount { bounds.append(index + 1) }
        }
        bounds.append(series.count)
        let parts = (0..<bounds.count - 1).map { series[bounds[$0]..<bounds[$0 + 1]] }
        return await withTaskGroup(of: (Int, JSONWriter).self) { group in
            for (index, part) in parts.enumerated() {
                group.addTask { (index, await pool.run { () -> JSONWriter in encode(part) }) }
            }
            var written = [JSONWriter](repeating: JSONWriter(), count: parts.count)
            for await (index, part) in group { written[index] = part }
            return written
        }
    }

    static func encode(_ series: ArraySlice<Series>) -> JSONWriter {
        var json = JSONWriter(capacity: estimatedSize(of: series))
        for one in series {
            json.object { json in
                json.key("metric"); json.labels(one.labels.map { ($0.name, $0.value) })
                json.key("values")
                json.array { json in
                    for sample in one.samples { json.samplePoint(sample.t, sample.v) }
                }
            }
        }
        return json
    }

}

extension APIError {
    /// Maps an engine error to Prometheus's errorType and status.
    init(queryError: QueryError) {
        switch queryError.errorType {
        case "bad_data": self.init(.badData, queryError.message)
        case "timeout": self.init(.timeout, queryError.message)
        case "canceled": self.init(.canceled, queryError.message)
        case "internal": self.init(.internal, queryError.message)
        default: self.init(.execution, queryError.message)
        }
    }
}
