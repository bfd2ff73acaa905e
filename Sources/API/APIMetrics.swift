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
    let predictionsDiabetic: Counter
    let predictionsNonDiabetic: Counter
    let system: SystemMetrics

    private let requestCounters = Mutex<[RequestKey: Counter]>([:])
    private let durationHistograms = Mutex<[DurationKey: ValueHistogram]>([:])
    private let errorCounters = Mutex<[ErrorKey: Counter]>([:])

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
        predictionsDiabetic = registry.makeCounter(descriptor: .named("predictions_total", help: "Total predictions by outcome"), labels: [("outcome", Outcome.diabetic.rawValue)])
        predictionsNonDiabetic = registry.makeCounter(descriptor: .named("predictions_total", help: "Total predictions by outcome"), labels: [("outcome", Outcome.nonDiabetic.rawValue)])
        system = SystemMetrics(registry: registry, containerName: containerName)
        // Declared up front so HELP and TYPE appear before the first request.
        _ = registry.makeValueHistogram(descriptor: .named("api_request_duration_seconds", help: "API request duration in seconds"), labels: [("method", "GET"), ("endpoint", "/health")], buckets: Self.requestDurationBuckets)
    }

    struct RequestKey: Hashable { var method: String; var endpoint: String; var status: Int }
    struct DurationKey: Hashable { var method: String; var endpoint: String }
    struct ErrorKey: Hashable { var endpoint: String; var errorType: String }

    /// Counts one finished request and its duration under the route template.
    func recordRequest(method: String, endpoint: String, status: Int, seconds: Double) {
        let key = RequestKey(method: method, endpoint: endpoint, status: status)
        let counter = requestCounters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = registry.makeCounter(descriptor: .named("api_requests_total", help: "Total API requests"), labels: [("method", method), ("endpoint", endpoint), ("status", String(status))])
            cache[key] = counter
            return counter
        }
        counter.increment()
        let durationKey = DurationKey(method: method, endpoint: endpoint)
        let histogram = durationHistograms.withLock { cache in
            if let histogram = cache[durationKey] { return histogram }
            let histogram = registry.makeValueHistogram(descriptor: .named("api_request_duration_seconds", help: "API request duration in seconds"), labels: [("method", method), ("endpoint", endpoint)], buckets: Self.requestDurationBuckets)
            cache[durationKey] = histogram
            return histogram
        }
        histogram.record(seconds)
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

    func recordPredictions(_ outcomes: some Sequence<Outcome>) {
        var diabetic: Int64 = 0, nonDiabetic: Int64 = 0
        for outcome in outcomes {
            if outcome == .diabetic { diabetic += 1 } else { nonDiabetic += 1 }
        }
        if diabetic > 0 { predictionsDiabetic.increment(by: diabetic) }
        if nonDiabetic > 0 { predictionsNonDiabetic.increment(by: nonDiabetic) }
    }

    /// Refreshes process and container readings, then renders the exposition text.
    public func render() -> [UInt8] {
        system.refresh()
        return registry.emitToBuffer()
    }
}

/// The label a prediction carries, in the response and in `predictions_total`.
public enum Outcome: String, Sendable {
    case diabetic
    case nonDiabetic = "non_diabetic"
}

extension MetricNameDescriptor {
    /// A plain metric name with its HELP text; the name already carries any unit suffix.
    static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
