import Foundation
import Synchronization

/// A model reference in MLflow's URI forms: `models:/NAME@ALIAS`, `models:/NAME/VERSION`, `runs:/RUN_ID/PATH`.
public enum MLflowModelURI: Sendable, Equatable, CustomStringConvertible {
    case alias(name: String, alias: String)
    case version(name: String, version: String)
    case run(id: String, path: String)

    /// Parses a reference; nil for anything that is not one of the three forms (a file path, say).
    public init?(_ text: String) {
        if text.hasPrefix("models:/") {
            let rest = String(text.dropFirst("models:/".count))
            if let at = rest.lastIndex(of: "@") {
                let name = String(rest[..<at]), alias = String(rest[rest.index(after: at)...])
                guard !name.isEmpty, !alias.isEmpty, !name.contains("/") else { return nil }
                self = .alias(name: name, alias: alias)
                return
            }
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let number = Int(parts[1]), number > 0 else { return nil }
            self = .version(name: String(parts[0]), version: String(number))
        } else if text.hasPrefix("runs:/") {
            let rest = text.dropFirst("runs:/".count)
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            let id = String(rest[..<slash]), path = String(rest[rest.index(after: slash)...])
            guard !id.isEmpty, !path.isEmpty else { return nil }
            self = .run(id: id, path: path)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .alias(let name, let alias): return "models:/\(name)@\(alias)"
        case .version(let name, let version): return "models:/\(name)/\(version)"
        case .run(let id, let path): return "runs:/\(id)/\(path)"
        }
    }
}

/// Loads the model an MLflow reference names, following aliases on every reload, and keeps the last
/// good download on disk so the service starts with it while the registry is down.
public final class MLflowModelSource: ModelSource {
    public let uri: MLflowModelURI
    public let client: MLflowClient
    /// Where the last good copy and its origin are kept.
    public let cacheDirectory: URL
    private let reachable = Mutex<Bool?>(nil)

    /// The file name of the artifact inside a logged model directory.
    public static let artifactFileName = "model.json"

    public init(uri: MLflowModelURI, client: MLflowClient, cacheDirectory: URL) {
        self.uri = uri
        self.client = client
        self.cacheDirectory = cacheDirectory
    }

    public var description: String { "\(uri) at \(client.trackingURI.absoluteString)" }
    public var registryReachable: Bool? { reachable.withLock { $0 } }

    public func fetch() async throws(ModelError) -> FetchedArtifact {
        do {
            let fetched = try await fetchFromRegistry()
            reachable.withLock { $0 = true }
            // Only an artifact that validates replaces the cached copy.
            _ = try ModelArtifact.decode(fetched.data, source: fetched.source)
            saveCache(fetched)
            return fetched
        } catch where error.code == .registryUnreachable {
            reachable.withLock { $0 = false }
            guard let cached = loadCache() else {
                throw ModelError(code: .registryUnreachable, message: "\(error.message); no cached copy of \(uri) in \(cacheDirectory.path)")
            }
            return cached
        } catch {
            // The registry answered; what it said is the failure.
            reachable.withLock { $0 = true }
            throw error
        }
    }

    private func fetchFromRegistry() async throws(ModelError) -> FetchedArtifact {
        let model: String, version: String, runID: String, root: String, path: String
        switch uri {
        case .alias(let name, let alias):
            let resolved = try await client.version(name: name, alias: alias)
            (model, version, runID) = (name, resolved.version, resolved.runID)
            root = try await client.downloadURI(name: name, version: resolved.version)
            path = Self.artifactFileName
        case .version(let name, let number):
            let resolved = try await client.version(name: name, number: number)
            (model, version, runID) = (name, resolved.version, resolved.runID)
            root = try await client.downloadURI(name: name, version: number)
            path = Self.artifactFileName
        case .run(let id, let runPath):
            (model, version, runID) = (runPath, "", id)
            root = try await client.runArtifactURI(id)
            path = runPath.hasSuffix(".json") ? runPath : runPath + "/" + Self.artifactFileName
        }
        let data = try await client.downloadArtifact(artifactRoot: root, path: path)
        return FetchedArtifact(data: data, model: model, version: version.isEmpty ? nil : version, runID: runID, source: uri.description)
    }

    // MARK: - Last good copy

    private var cacheName: String {
        uri.description.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? String($0) : "_" }.joined()
    }

    private func saveCache(_ fetched: FetchedArtifact) {
        let base = cacheDirectory.appendingPathComponent(cacheName)
        let origin: [String: String] = ["model": fetched.model, "version": fetched.version ?? "", "run_id": fetched.runID, "source": fetched.source]
        do {
            try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
            try fetched.data.write(to: base.appendingPathExtension("json"), options: .atomic)
            try JSONSerialization.data(withJSONObject: origin, options: [.sortedKeys]).write(to: base.appendingPathExtension("origin.json"), options: .atomic)
        } catch {
            // A cache that cannot be written costs only the start-while-down guarantee; serving goes on.
        }
    }

    private func loadCache() -> FetchedArtifact? {
        let base = cacheDirectory.appendingPathComponent(cacheName)
        guard let data = try? Data(contentsOf: base.appendingPathExtension("json")),
              let originData = try? Data(contentsOf: base.appendingPathExtension("origin.json")),
              let origin = (try? JSONSerialization.jsonObject(with: originData)) as? [String: String] else { return nil }
        let version = origin["version"] ?? ""
        return FetchedArtifact(data: data, model: origin["model"] ?? "", version: version.isEmpty ? nil : version,
                               runID: origin["run_id"] ?? "", source: origin["source"] ?? uri.description, fromCache: true)
    }
}
