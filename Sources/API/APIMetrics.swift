import Prometheus
import Synchronization

/// The prediction service's own metrics, registered in one swift-prometheus registry.
///
/// Labelled children are created on first use and cached, so the per-request cost is one
/// small dictionary lookup under a mutex rather than a registry lookup that builds label arrays.
public final class APIMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let activeRequests: Gauge
    let modelLoaded: Gauge
    let inferenceDuration: ValueHistogram
    let reloadFailures: Counter
    let predictionProbability: ValueHistogram
    let system: SystemMetrics

    /// Each route's request counter and duration histogram, found with one lookup per request.
    private let requestSeries = Mutex<[RequestKey: (requests: Counter, duration: ValueHistogram)]>([:])
    private let errorCounters = Mutex<[ErrorKey: Counter]>([:])
    private let outcomeCounters = Mutex<[String: Counter]>([:])
    private let serving = Mutex<ServingSeries>(ServingSeries())
    private let registryUp = Mutex<Gauge?>(nil)

    /// The series that describe the model being served; replaced when another model is swapped in.
    struct ServingSeries {
        var info: Gauge?
        var drift: DriftTracker?
        var driftGauges: [Gauge] = []
    }

    /// Ten equal-width buckets over [0, 1], enough to see a shift in the score distribution.
    public static let probabilityBuckets: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]

    /// Prometheus client libraries' default buckets, so dashboards written for the seed keep working.
    public static let requestDurationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

    /// Microsecond resolution for in-process inference, with 0.5 s kept for the SlowInference alert.
    public static let inferenceDurationBuckets: [Double] = [
        0.000_000_5, 0.000_001, 0.000_002_5, 0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1,
        0.000_25, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), containerName: String = "ml-api") {
        self.registry = registry
        activeRequests = registry.makeGauge(descriptor: .named("api_active_requests", help: "Number of requests being processed"))
        modelLoaded = registry.makeGauge(descriptor: .named("model_loaded", help: "Whether the model is loaded (1) or not (0)"))
        inferenceDuration = registry.makeValueHistogram(descriptor: .named("model_inference_duration_seconds", help: "Model inference duration in seconds"), buckets: Self.inferenceDurationBuckets)
        reloadFailures = registry.makeCounter(descriptor: .named("model_reload_failures_total", help: "Model loads that failed; the model already serving kept serving"))
        predictionProbability = registry.makeValueHistogram(descriptor: .named("model_prediction_probability", help: "Predicted probability of the positive class"), buckets: Self.probabilityBuckets)
        system = SystemMetrics(registry: registry, containerName: containerName)
        // Declared up front so HELP and TYPE appear before the first request.
        _ = registry.makeValueHistogram(descriptor: .named("api_request_duration_seconds", help: "API request duration in seconds"), labels: [("method", "GET"), ("endpoint", "/health")], buckets: Self.requestDurationBuckets)
    }

    struct RequestKey: Hashable { var method: String; var endpoint: String; var status: Int }
    struct ErrorKey: Hashable { var endpoint: String; var errorType: String }

    /// Counts one finished request and its duration under the route template.
    func recordRequest(method: String, endpoint: String, status: Int, seconds: Double) {
        let key = RequestKey(method: method, endpoint: endpoint, status: status)
        let series = requestSeries.withLock { cache in
            if let series = cache[key] { return series }
            let counter = registry.makeCounter(descriptor: .named("api_requests_total", help: "Total API requests"), labels: [("method", method), ("endpoint", endpoint), ("status", String(status))])
            // The registry hands out the same histogram for the same labels, so statuses of one route share it.
            let histogram = registry.makeValueHistogram(descriptor: .named("api_request_duration_seconds", help: "API request duration in seconds"), labels: [("method", method), ("endpoint", endpoint)], buckets: Self.requestDurationBuckets)
            cache[key] = (counter, histogram)
            return (counter, histogram)
        }
        series.requests.increment()
        series.duration.record(seconds)
    }

    /// Counts one failed request by route template and a bounded error type.
    func recordError(endpoint: String, errorType: APIError.Kind) {
        let key = ErrorKey(endpoint: endpoint, errorType: errorType.rawValue)
        let counter = errorCounters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = registry.makeCounter(descriptor: .named("api_errors_total", help: "Total API errors"), labels: [("endpoint", endpoint), ("error_type", errorType.rawValue)])
            cache[key] = counter
            return counter
        }
        counter.increment()
    }

    /// The counter of one outcome label, created on first use.
    func predictionCounter(_ outcome: String) -> Counter {
        outcomeCounters.withLock { cache in
            if let counter = cache[outcome] { return counter }
            let counter = registry.makeCounter(descriptor: .named("predictions_total", help: "Total predictions by outcome"), labels: [("outcome", outcome)])
            cache[outcome] = counter
            return counter
        }
    }

    /// Points `model_info` and the drift gauges at a newly swapped-in model.
    func serve(_ model: CompiledModel, origin: ModelOrigin, drift: DriftTracker?) {
        // Both outcome series exist from the start, so rate() sees the first prediction.
        _ = predictionCounter(model.labels.negative)
        _ = predictionCounter(model.labels.positive)
        serving.withLock { series in
            if let info = series.info { registry.unregisterGauge(info) }
            series.driftGauges.forEach(registry.unregisterGauge)
            series.info = registry.makeGauge(
                descriptor: .named("model_info", help: "The model being served (always 1)"),
                labels: [("model", origin.model), ("version", origin.version), ("run_id", origin.runID), ("source", origin.source)])
            series.info?.set(1.0)
            series.drift = drift
            series.driftGauges = drift == nil ? [] : model.schema.names.map { name in
                registry.makeGauge(descriptor: .named("model_feature_drift_psi", help: "Population stability index of a feature over the last requests against the training data"), labels: [("feature", name)])
            }
        }
    }

    /// Sets `model_registry_up`, registering it on first use so file-only setups do not show it.
    func setRegistryUp(_ up: Bool) {
        registryUp.withLock { gauge in
            if gauge == nil {
                gauge = registry.makeGauge(descriptor: .named("model_registry_up", help: "Whether the model registry answered the last resolution (1) or not (0)"))
            }
            gauge?.set(up ? 1.0 : 0.0)
        }
    }

    /// Refreshes process, container and drift readings, then renders the exposition text.
    public func render() -> [UInt8] {
        system.refresh()
        serving.withLock { series in
            guard let drift = series.drift else { return }
            for (gauge, value) in zip(series.driftGauges, drift.psi()) { gauge.set(value) }
        }
        return registry.emitToBuffer()
    }
}

extension MetricNameDescriptor {
    /// A plain metric name with its HELP text; the name already carries any unit suffix.
    static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
