import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small client of MLflow's REST API (2.0 endpoints, as MLflow 2.x and 3.x serve them): runs, the model registry, and artifacts.
///
/// Artifacts go through the tracking server's artifact proxy (`mlflow-artifacts:` URIs), or straight to the
/// local file system when the server's artifact root is a local directory.
public struct MLflowClient: Sendable {
    /// An MLflow server that is down is reported at once; the model source's own schedule retries.
    private static let httpClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public let trackingURI: URL
    let timeout: TimeAmount

    public init(trackingURI: URL, timeout: Duration = .seconds(10)) {
        // A trailing slash would double up in every path below.
        var text = trackingURI.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.trackingURI = URL(string: text) ?? trackingURI
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
    }

    /// A registered model version as the registry describes it.
    public struct ModelVersion: Sendable, Equatable {
        public var name: String
        public var version: String
        public var source: String
        public var runID: String
    }

    // MARK: - Tracking

    /// The id of the named experiment, created when it does not exist.
    public func experimentID(named name: String) async throws(ModelError) -> String {
        do {
            let found = try await get("/api/2.0/mlflow/experiments/get-by-name", ["experiment_name": name])
            if let id = (found["experiment"] as? [String: Any])?["experiment_id"] as? String { return id }
        } catch where error.message.contains("RESOURCE_DOES_NOT_EXIST") {
            // Fall through and create it.
        }
        let created = try await post("/api/2.0/mlflow/experiments/create", ["name": name])
        guard let id = created["experiment_id"] as? String else { throw malformed("experiments/create", created) }
        return id
    }

    /// Starts a run; returns its id and artifact root URI.
    public func createRun(experimentID: String, name: String, tags: [String: String]) async throws(ModelError) -> (id: String, artifactURI: String) {
        let body: [String: Any] = [
            "experiment_id": experimentID, "run_name": name, "start_time": Self.nowMillis(),
            "tags": tags.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] },
        ]
        let answer = try await post("/api/2.0/mlflow/runs/create", body)
        guard let info = (answer["run"] as? [String: Any])?["info"] as? [String: Any],
              let id = info["run_id"] as? String, let artifactURI = info["artifact_uri"] as? String else {
            throw malformed("runs/create", answer)
        }
        return (id, artifactURI)
    }

    /// Logs parameters and metrics in one call.
    public func logBatch(runID: String, params: [String: String], metrics: [String: Double]) async throws(ModelError) {
        let now = Self.nowMillis()
        let body: [String: Any] = [
            "run_id": runID,
            "params": params.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] },
            "metrics": metrics.sorted { $0.key < $1.key }.filter { $0.value.isFinite }.map { ["key": $0.key, "value": $0.value, "timestamp": now, "step": 0] as [String: Any] },
        ]
        _ = try await post("/api/2.0/mlflow/runs/log-batch", body)
    }

    /// Records the training data set (name, digest, source) as the run's input.
    public func logDataset(runID: String, name: String, digest: String, source: String, rows: Int) async throws(ModelError) {
        let sourceJSON = "{\"uri\": \(JSONText.quoted(source))}"
        let profile = "{\"num_rows\": \(rows)}"
        let body: [String: Any] = [
            "run_id": runID,
            "datasets": [[
                "tags": [["key": "mlflow.data.context", "value": "training"]],
                "dataset": ["name": name, "digest": String(digest.prefix(16)), "source_type": "local", "source": sourceJSON, "profile": profile],
            ] as [String: Any]],
        ]
        _ = try await post("/api/2.0/mlflow/runs/log-inputs", body)
    }

    /// Marks a run finished.
    public func finishRun(_ runID: String, status: String = "FINISHED") async throws(ModelError) {
        _ = try await post("/api/2.0/mlflow/runs/update", ["run_id": runID, "status": status, "end_time": Self.nowMillis()])
    }

    /// The artifact root URI of a run.
    public func runArtifactURI(_ runID: String) async throws(ModelError) -> String {
        let answer = try await get("/api/2.0/mlflow/runs/get", ["run_id": runID])
        guard let uri = ((answer["run"] as? [String: Any])?["info"] as? [String: Any])?["artifact_uri"] as? String else {
            throw malformed("runs/get", answer)
        }
        return uri
    }

    // MARK: - Registry

    /// Registers `source` (an artifact directory URI) as a new version of `name`, creating the model when needed.
    public func registerVersion(name: String, source: String, runID: String) async throws(ModelError) -> ModelVersion {
        do {
            _ = try await post("/api/2.0/mlflow/registered-models/create", ["name": name])
        } catch where error.message.contains("RESOURCE_ALREADY_EXISTS") {
            // Registered before: add a version.
        }
        let answer = try await post("/api/2.0/mlflow/model-versions/create", ["name": name, "source": source, "run_id": runID])
        return try modelVersion(answer, "model-versions/create")
    }

    /// Points `alias` of `name` at `version`.
    public func setAlias(name: String, alias: String, version: String) async throws(ModelError) {
        _ = try await post("/api/2.0/mlflow/registered-models/alias", ["name": name, "alias": alias, "version": version])
    }

    public func version(name: String, alias: String) async throws(ModelError) -> ModelVersion {
        try modelVersion(try await get("/api/2.0/mlflow/registered-models/alias", ["name": name, "alias": alias]), "registered-models/alias")
    }

    public func version(name: String, number: String) async throws(ModelError) -> ModelVersion {
        try modelVersion(try await get("/api/2.0/mlflow/model-versions/get", ["name": name, "version": number]), "model-versions/get")
    }

    /// Where a version's files can be downloaded from.
    public func downloadURI(name: String, version: String) async throws(ModelError) -> String {
        let answer = try await get("/api/2.0/mlflow/model-versions/get-download-uri", ["name": name, "version": version])
        guard let uri = answer["artifact_uri"] as? String else { throw malformed("model-versions/get-download-uri", answer) }
        return uri
    }

    // MARK: - Artifacts

    /// Uploads one file to `artifactRoot/path`.
    public func uploadArtifact(_ data: Data, artifactRoot: String, path: String) async throws(ModelError) {
        let target = try artifactLocation(artifactRoot, path)
        switch target {
        case .local(let url):
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url, options: .atomic)
            } catch {
                throw ModelError(code: .registryFailed, message: "cannot write artifact \(url.path): \(error.localizedDescription)")
            }
        case .proxy(let urlPath):
            _ = try await send(.PUT, urlPath, query: [:], body: data, contentType: "application/octet-stream", expectJSON: false)
        }
    }

    /// Downloads `artifactRoot/path`.
    public func downloadArtifact(artifactRoot: String, path: String) async throws(ModelError) -> Data {
        switch try artifactLocation(artifactRoot, path) {
        case .local(let url):
            do { return try Data(contentsOf: url) } catch {
                throw ModelError(code: .registryFailed, message: "cannot read artifact \(url.path): \(error.localizedDescription)")
            }
        case .proxy(let urlPath):
            return try await send(.GET, urlPath, query: [:], body: nil, contentType: nil, expectJSON: false).body
        }
    }

    enum ArtifactLocation { case local(URL), proxy(String) }

    /// Maps an artifact URI to a local file or a path under the tracking server's artifact proxy.
    func artifactLocation(_ root: String, _ path: String) throws(ModelError) -> ArtifactLocation {
        var root = root
        while root.hasSuffix("/") { root.removeLast() }
        let relative = path.split(separator: "/").map(String.init)
        guard !relative.contains("..") else { throw ModelError(code: .registryFailed, message: "artifact path \(path) leaves the artifact root") }
        let joined = relative.joined(separator: "/")
        if root.hasPrefix("mlflow-artifacts:") {
            var rest = String(root.dropFirst("mlflow-artifacts:".count))
            // mlflow-artifacts://host:port/path names the server explicitly; the path is what matters.
            if rest.hasPrefix("//") {
                rest = String(rest.dropFirst(2))
                rest = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
            }
            while rest.hasPrefix("/") { rest.removeFirst() }
            return .proxy("/api/2.0/mlflow-artifacts/artifacts/" + (rest.isEmpty ? "" : rest + "/") + joined)
        }
        if root.hasPrefix("file://") {
            return .local(URL(fileURLWithPath: String(root.dropFirst("file://".count))).appendingPathComponent(joined))
        }
        if root.hasPrefix("/") { return .local(URL(fileURLWithPath: root).appendingPathComponent(joined)) }
        throw ModelError(code: .registryFailed, message: "artifact URI \(root) is not supported (mlflow-artifacts:, file: or a local path)")
    }

    // MARK: - HTTP

    func get(_ path: String, _ query: [String: String]) async throws(ModelError) -> [String: Any] {
        try json(try await send(.GET, path, query: query, body: nil, contentType: nil, expectJSON: true).body, path)
    }

    func post(_ path: String, _ body: [String: Any]) async throws(ModelError) -> [String: Any] {
        let data: Data
        do { data = try JSONSerialization.data(withJSONObject: body) } catch {
            throw ModelError(code: .registryFailed, message: "cannot encode the request to \(path): \(error)")
        }
        return try json(try await send(.POST, path, query: [:], body: data, contentType: "application/json", expectJSON: true).body, path)
    }

    private func send(_ method: HTTPMethod, _ path: String, query: [String: String], body: Data?, contentType: String?, expectJSON: Bool) async throws(ModelError) -> (status: UInt, body: Data) {
        guard var components = URLComponents(url: trackingURI, resolvingAgainstBaseURL: false) else {
            throw ModelError(code: .registryFailed, message: "cannot build a URL for \(path)")
        }
        let basePath = components.path
        components.path = basePath + path
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        guard let url = components.url else { throw ModelError(code: .registryFailed, message: "cannot build a URL for \(path)") }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await Self.httpClient.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw ModelError(code: .registryUnreachable, message: "MLflow at \(trackingURI.absoluteString) is unreachable (\(method) \(path)): \(error)")
        }
        let data = Data(buffer: bytes)
        guard (200..<300).contains(response.status.code) else {
            let text = String(decoding: data.prefix(500), as: UTF8.self)
            // A 5xx is the server's trouble, like being down; a 4xx is an answer about what we asked.
            let code: ModelError.Code = response.status.code >= 500 ? .registryUnreachable : .registryFailed
            throw ModelError(code: code, message: "MLflow \(method) \(path) answered \(response.status.code): \(text)")
        }
        return (response.status.code, data)
    }

    private func json(_ data: Data, _ path: String) throws(ModelError) -> [String: Any] {
        if data.isEmpty { return [:] }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError(code: .registryFailed, message: "MLflow \(path) answered something that is not a JSON object")
        }
        return object
    }

    private func modelVersion(_ answer: [String: Any], _ what: String) throws(ModelError) -> ModelVersion {
        guard let version = answer["model_version"] as? [String: Any], let name = version["name"] as? String,
              let number = version["version"] as? String else {
            throw malformed(what, answer)
        }
        return ModelVersion(name: name, version: number, source: version["source"] as? String ?? "", runID: version["run_id"] as? String ?? "")
    }

    private func malformed(_ what: String, _ answer: [String: Any]) -> ModelError {
        ModelError(code: .registryFailed, message: "MLflow \(what) answered without the expected fields: \(answer.keys.sorted())")
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
