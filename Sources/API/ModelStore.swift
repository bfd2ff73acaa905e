import Foundation
import Logging
import Prometheus
import Synchronization

/// Holds the model being served and swaps it atomically on reload.
///
/// A failed load never replaces a working model: the old one keeps serving and the error is kept
/// for `/health` and the reload answer. The `model_loaded` gauge follows what is being served.
public final class ModelStore: Sendable {
    public let path: URL
    private let state = Mutex<State>(State())
    private let metrics: APIMetrics
    private let logger: Logger

    struct State {
        var model: CompiledModel?
        var lastError: ModelError?
    }

    public init(path: URL, metrics: APIMetrics, logger: Logger) {
        self.path = path
        self.metrics = metrics
        self.logger = logger
        metrics.modelLoaded.set(0.0)
    }

    /// The model to predict with, or nil when none could be loaded.
    public var current: CompiledModel? { state.withLock { $0.model } }

    /// Why the last load failed, if it did.
    public var lastError: ModelError? { state.withLock { $0.lastError } }

    /// Loads the file at `path`; on failure keeps whatever model was already serving.
    @discardableResult
    public func reload() -> Result<DiabetesModel, ModelError> {
        do {
            let artifact = try DiabetesModel.load(from: path)
            let compiled = CompiledModel(artifact)
            let previous = state.withLock { state in
                defer { state.model = compiled; state.lastError = nil }
                return state.model?.artifact.modelVersion
            }
            metrics.modelLoaded.set(1.0)
            logger.info("model loaded", metadata: [
                "model.path": .string(path.path), "model.version": .string(artifact.modelVersion),
                "model.previous_version": .string(previous ?? "none"),
            ])
            return .success(artifact)
        } catch {
            let stillServing = state.withLock { state in
                state.lastError = error
                return state.model?.artifact.modelVersion
            }
            metrics.modelLoaded.set(stillServing == nil ? 0.0 : 1.0)
            logger.error("model load failed", metadata: [
                "model.path": .string(path.path), "error": .string(error.message),
                "model.serving": .string(stillServing ?? "none"),
            ])
            return .failure(error)
        }
    }
}
