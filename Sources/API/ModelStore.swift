import Foundation
import Logging
import Prometheus
import Synchronization

/// The model being served, with its drift tracker, origin and outcome counters, swapped as one.
///
/// A class, so each request takes it with one retain.
public final class ServingModel: Sendable {
    public let model: CompiledModel
    public let drift: DriftTracker?
    public let origin: ModelOrigin
    /// `predictions_total` of each class, looked up once instead of per request.
    let negativeCounter: Counter
    let positiveCounter: Counter

    init(model: CompiledModel, drift: DriftTracker?, origin: ModelOrigin, metrics: APIMetrics) {
        self.model = model
        self.drift = drift
        self.origin = origin
        negativeCounter = metrics.predictionCounter(model.labels.negative)
        positiveCounter = metrics.predictionCounter(model.labels.positive)
    }
}

/// Holds the model being served and swaps it atomically on reload.
///
/// A failed load never replaces a working model: the old one keeps serving, the error is kept
/// for `/health` and the reload answer, and `model_reload_failures_total` counts it. The
/// `model_loaded` gauge follows what is being served.
public final class ModelStore: Sendable {
    public let source: any ModelSource
    public let driftWindow: Int
    private let state = Mutex<State>(State())
    private let metrics: APIMetrics
    private let logger: Logger

    struct State {
        var serving: ServingModel?
        var lastError: ModelError?
    }

    public init(source: any ModelSource, driftWindow: Int = 1000, metrics: APIMetrics, logger: Logger) {
        self.source = source
        self.driftWindow = driftWindow
        self.metrics = metrics
        self.logger = logger
        metrics.modelLoaded.set(0.0)
    }

    public convenience init(path: URL, metrics: APIMetrics, logger: Logger) {
        self.init(source: FileModelSource(url: path), metrics: metrics, logger: logger)
    }

    /// The model to predict with, or nil when none could be loaded.
    public var current: CompiledModel? { state.withLock { $0.serving?.model } }

    /// The model with its drift tracker and origin.
    public var serving: ServingModel? { state.withLock { $0.serving } }

    /// Why the last load failed, if it did.
    public var lastError: ModelError? { state.withLock { $0.lastError } }

    /// Fetches and validates the source's artifact; on failure keeps whatever model was already serving.
    @discardableResult
    public func reload() async -> Result<ModelArtifact, ModelError> {
        let result: Result<(ModelArtifact, FetchedArtifact), ModelError>
        do {
            let fetched = try await source.fetch()
            result = .success((try ModelArtifact.decode(fetched.data, source: fetched.source), fetched))
        } catch {
            result = .failure(error)
        }
        if let reachable = source.registryReachable { metrics.setRegistryUp(reachable) }
        switch result {
        case .success(let (artifact, fetched)):
            let previous = state.withLock { $0.serving }
            // Same artifact as before: keep the drift window instead of starting it over.
            if let previous, previous.model.artifact == artifact, previous.origin.version == (fetched.version ?? artifact.modelVersion) {
                state.withLock { $0.lastError = nil }
                return .success(artifact)
            }
            let compiled = CompiledModel(artifact)
            let origin = ModelOrigin(model: fetched.model, version: fetched.version ?? artifact.modelVersion, runID: fetched.runID, source: fetched.source)
            let serving = ServingModel(model: compiled, drift: DriftTracker(model: compiled, window: driftWindow), origin: origin, metrics: metrics)
            state.withLock { state in
                state.serving = serving
                state.lastError = nil
            }
            metrics.serve(compiled, origin: origin, drift: serving.drift)
            metrics.modelLoaded.set(1.0)
            logger.info("model loaded", metadata: [
                "model.source": .string(fetched.source), "model.version": .string(artifact.modelVersion),
                "model.registry_version": .string(fetched.version ?? "none"),
                "model.previous_version": .string(previous?.model.artifact.modelVersion ?? "none"),
                "model.from_cache": .stringConvertible(fetched.fromCache),
            ])
            return .success(artifact)
        case .failure(let error):
            let stillServing = state.withLock { state in
                state.lastError = error
                return state.serving?.model.artifact.modelVersion
            }
            metrics.reloadFailures.increment()
            metrics.modelLoaded.set(stillServing == nil ? 0.0 : 1.0)
            logger.error("model load failed", metadata: [
                "model.source": .string(source.description), "error": .string(error.message),
                "model.serving": .string(stillServing ?? "none"),
            ])
            return .failure(error)
        }
    }
}
