import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The prediction API: routes, validation, inference and instrumentation around one `ModelStore`.
public struct PredictionService: Sendable {
    public let configuration: APIConfiguration
    public let metrics: APIMetrics
    public let store: ModelStore
    /// Demo fault injection; off unless `--demo.fault-injection` or `POST /-/demo` turns it on.
    public let faults: DemoFaultInjector
    let logger: Logger

    public init(configuration: APIConfiguration, metrics: APIMetrics? = nil, logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics ?? APIMetrics(containerName: configuration.containerName)
        self.logger = logger
        self.faults = DemoFaultInjector(logger: logger)
        self.store = ModelStore(source: configuration.modelSource ?? FileModelSource(url: configuration.modelPath),
                                driftWindow: configuration.driftWindow, metrics: self.metrics, logger: logger)
        faults.set(configuration.demoFaults)
    }

    /// Mounts the API on `router`: `RequestMetricsMiddleware` (which also answers unknown paths in JSON) and the
    /// routes. The executable adds its own middleware (authentication, headers, lifecycle gating) first.
    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.addRoutes(makeRoutes())
    }

    /// The API's routes, without the instrumentation `addRoutes(to:)` puts in front of them.
    public func makeRoutes() -> RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/") { _, _ in
            json(.ok, #"{"name":"Vigil prediction API","docs":"/docs","openapi":"/openapi.json","health":"/health","metrics":"/metrics"}"#)
        }
        routes.post("/predict") { request, _ in try await predict(request) }
        routes.post("/predict/batch") { request, _ in try await predictBatch(request) }
        routes.get("/health") { _, _ in health() }
        routes.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        routes.get("/openapi.json") { _, _ in json(.ok, try loadedModel().model.openAPIJSON) }
        routes.get("/docs") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: try loadedModel().model.docsHTML)))
        }
        routes.get("/docs/try.js") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/javascript; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: DocsPage.tryScript)))
        }
        // POST as before, PUT as Prometheus's lifecycle endpoints also accept.
        routes.post("/-/reload") { _, _ in try await reload() }
        routes.put("/-/reload") { _, _ in try await reload() }
        // Demo fault injection, behind the lifecycle gate like reload.
        routes.post("/-/demo") { request, _ in try setDemoFaults(request) }
        routes.put("/-/demo") { request, _ in try setDemoFaults(request) }
        return routes
    }

    /// A router with the API's routes and nothing in front of them, for tests and embedding.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        addRoutes(to: router)
        return router
    }

    /// A Hummingbird application serving the API on the configured address.
    public func makeApplication(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "vigil"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    // MARK: - Handlers

    func predict(_ request: Request) async throws -> Response {
        if faults.isActive { try await faults.beforePrediction() }
        let buffer = try await collectBody(request)
        let serving = try loadedModel()
        let model = serving.model
        let row: FeatureRow
        if let fast = buffer.withUnsafeReadableBytes({ FastFeatureReader.row($0, schema: model.schema) }) {
            row = fast
        } else {
            switch PredictionRequest.row(from: try decodeJSON(buffer, expectingArray: false), at: [.key("body")], schema: model.schema) {
            case .success(let r): row = r
            case .failure(let failure): throw APIError.validation(failure.issues)
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let score = model.score(row)
        if faults.isActive { await faults.duringInference() }
        metrics.inferenceDuration.record(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        if !score.isFinite { throw APIError.validation([Self.nonFinite(at: [.key("body")])]) }
        serving.drift?.record(row, model: model)
        let positive = score >= model.threshold
        (positive ? serving.positiveCounter : serving.negativeCounter).increment()
        if model.isClassifier { metrics.predictionProbability.record(score) }
        var text = "{"
        text.reserveCapacity(120)
        appendResultMembers(model, score: score, to: &text)
        text += model.responseText.versionSuffix
        return json(.ok, text)
    }

    func predictBatch(_ request: Request) async throws -> Response {
        if faults.isActive { try await faults.beforePrediction() }
        let buffer = try await collectBody(request)
        let serving = try loadedModel()
        let model = serving.model
        let rows: [FeatureRow]
        let limit = configuration.batchLimit
        if let fast = buffer.withUnsafeReadableBytes({ FastFeatureReader.rows($0, limit: limit, schema: model.schema) }) {
            rows = fast
        } else {
            switch PredictionRequest.batch(from: try decodeJSON(buffer, expectingArray: true), limit: limit, schema: model.schema) {
            case .success(let r): rows = r
            case .failure(let failure): throw APIError.validation(failure.issues)
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let scores = rows.map(model.score)
        if faults.isActive { await faults.duringInference() }
        metrics.inferenceDuration.record(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        let nonFinite = scores.indices.filter { !scores[$0].isFinite }
        if !nonFinite.isEmpty { throw APIError.validation(nonFinite.map { Self.nonFinite(at: [.key("body"), .index($0)]) }) }
        if let drift = serving.drift { rows.forEach { drift.record($0, model: model) } }
        let positives = scores.count { $0 >= model.threshold }
        if positives > 0 { serving.positiveCounter.increment(by: Int64(positives)) }
        if scores.count > positives { serving.negativeCounter.increment(by: Int64(scores.count - positives)) }
        if model.isClassifier { scores.forEach(metrics.predictionProbability.record) }
        var text = "{\"predictions\":["
        text.reserveCapacity(80 * rows.count + 64)
        for (i, score) in scores.enumerated() {
            text += i > 0 ? ",{" : "{"
            appendResultMembers(model, score: score, to: &text)
            text += "}"
        }
        text += "],\"count\":\(rows.count),\"model_version\":\(JSONText.quoted(model.artifact.modelVersion))}"
        return json(.ok, text)
    }

    func health() -> Response {
        // Present only while a demo fault is on, so nobody mistakes an injected failure for a real one.
        let demo = faults.isActive ? ",\"demo_faults\":" + faults.current.jsonText : ""
        if let model = store.current {
            return json(.ok, "{\"status\":\"ok\",\"model_loaded\":true,\(model.responseText.versionMember)\(demo)}")
        }
        let reason = store.lastError.map { JSONText.quoted($0.message) } ?? "null"
        return json(.serviceUnavailable, "{\"status\":\"unavailable\",\"model_loaded\":false,\"model_version\":null,\"error\":\(reason)\(demo)}")
    }

    /// `POST /-/demo?error_share=0.5&…`: sets the named faults (query parameters), keeps the others, and
    /// answers the faults now in force; an unknown name or a bad value is a 400 naming it.
    func setDemoFaults(_ request: Request) throws -> Response {
        let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        do {
            let faults = self.faults.set(try self.faults.current.applying(parameters))
            return json(.ok, "{\"status\":\"ok\",\"demo_faults\":\(faults.jsonText)}")
        } catch {
            throw APIError(.badRequest, .badRequest, "\(error)")
        }
    }

    func reload() async throws -> Response {
        switch await store.reload() {
        case .success(let model):
            return json(.ok, "{\"status\":\"ok\",\"model_version\":\(JSONText.quoted(model.modelVersion))}")
        case .failure(let error):
            let serving = store.current.map { JSONText.quoted($0.artifact.modelVersion) } ?? "null"
            var apiError = APIError(.reloadFailed, .internalServerError, "")
            apiError.detailJSON = "{\"message\":\(JSONText.quoted(error.message)),\"serving_model_version\":\(serving)}"
            throw apiError
        }
    }

    // MARK: - Helpers

    /// Inputs far outside an unbounded feature's training range can overflow a linear score; that is the input's fault.
    static func nonFinite(at location: [ValidationIssue.LocationPart]) -> ValidationIssue {
        ValidationIssue(location: location, type: "non_finite_prediction", message: "The model's score for these inputs is not a finite number; check for values far outside the training data", input: nil)
    }

    private func loadedModel() throws -> ServingModel {
        guard let model = store.serving else {
            throw APIError(.modelNotLoaded, .serviceUnavailable, "Model not loaded")
        }
        return model
    }

    /// Checks the media type and enforces the size limit; each failure has its own status.
    private func collectBody(_ request: Request) async throws -> ByteBuffer {
        // The exact value every client sends is checked without splitting, trimming and lower-casing it.
        if let contentType = request.headers[.contentType], contentType != "application/json" {
            let mediaType = Self.mediaType(of: contentType)
            guard mediaType == "application/json" else {
                let shown = mediaType.isEmpty ? "an empty media type" : mediaType
                throw APIError(.unsupportedMediaType, .unsupportedMediaType, "Content-Type must be application/json, got \(shown)")
            }
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > configuration.bodySizeLimit {
            throw APIError(.payloadTooLarge, .contentTooLarge, "Request body of \(declared) bytes is larger than the limit of \(configuration.bodySizeLimit) bytes")
        }
        do {
            return try await Self.collect(request.body, upTo: configuration.bodySizeLimit)
        } catch is NIOTooManyBytesError {
            throw APIError(.payloadTooLarge, .contentTooLarge, "Request body is larger than the limit of \(configuration.bodySizeLimit) bytes")
        } catch {
            // A malformed transfer (a bad chunk size, say) is the client's fault, not ours.
            throw APIError(.invalidJSON, .badRequest, "Request body could not be read: \(error)")
        }
    }

    /// A body's bytes, at most `limit` of them; a body that arrives in one part (the usual case) is kept as it came, uncopied.
    static func collect(_ body: RequestBody, upTo limit: Int) async throws -> ByteBuffer {
        var parts = body.makeAsyncIterator()
        guard var buffer = try await parts.next() else { return ByteBuffer() }
        while true {
            guard buffer.readableBytes <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
            guard var more = try await parts.next() else { return buffer }
            buffer.writeBuffer(&more)
        }
    }

    /// The media type of a Content-Type value, lower-cased and without parameters; empty when there is none.
    static func mediaType(of contentType: String) -> String {
        let type = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Deepest nesting a request body may have; a patient is two levels deep, a batch three.
    ///
    /// Decoding recurses once per level, so an unbounded depth is a stack overflow waiting for a body.
    static let maxJSONDepth = 32

    /// Parses a body the fast reader did not take; malformed JSON is a 400.
    private func decodeJSON(_ buffer: ByteBuffer, expectingArray: Bool) throws -> JSONValue {
        guard buffer.readableBytes > 0 else {
            throw APIError(.invalidJSON, .badRequest, "Request body is empty; expected JSON")
        }
        if let problem = buffer.withUnsafeReadableBytes(Self.structuralProblem) {
            throw APIError(.invalidJSON, .badRequest, "Malformed JSON: \(problem)")
        }
        do {
            return try JSONValue.decodeBody(Data(buffer.readableBytesView), expectingArray: expectingArray)
        } catch {
            throw APIError(.invalidJSON, .badRequest, "Malformed JSON: \(Self.describeJSONError(error))")
        }
    }

    /// What makes a body unacceptable before it is decoded: a byte-order mark (JSON text must not
    /// begin with one, and Python's json refuses it too) or nesting deeper than `maxJSONDepth`.
    static func structuralProblem(_ bytes: UnsafeRawBufferPointer) -> String? {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return "Unexpected UTF-8 BOM: line 1 column 1 (char 0)" }
        var depth = 0
        var inString = false
        var escaped = false
        for (offset, byte) in bytes.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxJSONDepth { return "nesting deeper than \(maxJSONDepth) levels at char \(offset)" }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return nil
    }

    static func describeJSONError(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }

    /// A classifier answers class, label and probability (rounded to 4 decimals); a regression its value.
    private func appendResultMembers(_ model: CompiledModel, score: Double, to text: inout String) {
        guard model.isClassifier else {
            text += "\"prediction\":"
            text += JSONText.number(score)
            return
        }
        let rounded = (score * 10_000).rounded() / 10_000
        text += score >= model.threshold ? model.responseText.positivePrefix : model.responseText.negativePrefix
        text += JSONText.number(rounded)
    }
}

func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
    Response(status: status, headers: jsonHeaders, body: .init(byteBuffer: ByteBuffer(string: text)))
}

/// Made once: every JSON answer shares these fields until something adds to them.
private let jsonHeaders: HTTPFields = [.contentType: "application/json"]
