import Foundation

/// Where a served model came from, as `model_info` labels it.
public struct ModelOrigin: Sendable, Equatable {
    /// The registered model's name, or the file's name without extension.
    public var model: String
    /// The registry version, or the artifact's content version for a file.
    public var version: String
    /// The MLflow run that produced it; empty for a file.
    public var runID: String
    /// The URI or path it was loaded from.
    public var source: String

    public init(model: String, version: String, runID: String = "", source: String) {
        self.model = model
        self.version = version
        self.runID = runID
        self.source = source
    }
}

/// Artifact bytes and where they came from.
public struct FetchedArtifact: Sendable {
    public var data: Data
    /// The origin; its `version` is nil for a file, which takes the artifact's own version.
    public var model: String
    public var version: String?
    public var runID: String
    public var source: String
    /// Whether this came from a cached copy because the registry could not be reached.
    public var fromCache: Bool

    public init(data: Data, model: String, version: String?, runID: String = "", source: String, fromCache: Bool = false) {
        self.data = data
        self.model = model
        self.version = version
        self.runID = runID
        self.source = source
        self.fromCache = fromCache
    }
}

/// Something a `ModelStore` loads from: a file, or a registry reference such as `models:/NAME@alias`.
public protocol ModelSource: Sendable {
    /// How errors and logs name the source.
    var description: String { get }
    /// Reads the current artifact; registry sources report whether the registry answered.
    func fetch() async throws(ModelError) -> FetchedArtifact
    /// Whether the last fetch reached a registry: nil for sources that have none.
    var registryReachable: Bool? { get }
}

/// An artifact file on disk, read afresh on every reload.
public struct FileModelSource: ModelSource {
    public let url: URL

    public init(url: URL) { self.url = url }

    public var description: String { url.path }
    public var registryReachable: Bool? { nil }

    public func fetch() async throws(ModelError) -> FetchedArtifact {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError(code: .unreadableFile, message: "cannot read model file \(url.path): \(error.localizedDescription)")
        }
        return FetchedArtifact(data: data, model: url.deletingPathExtension().lastPathComponent, version: nil, source: url.path)
    }
}
