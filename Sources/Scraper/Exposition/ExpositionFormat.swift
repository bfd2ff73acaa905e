import TSDB

/// ExpositionFormat is the text dialect of a scrape body, chosen from the response's Content-Type.
public enum ExpositionFormat: Sendable, Hashable {
    /// Prometheus text format 0.0.4: blanks anywhere between tokens, integer millisecond timestamps.
    case prometheusText
    /// OpenMetrics 1.0 text: single spaces, timestamps in seconds, exemplars, and a closing `# EOF`.
    case openMetrics

    /// init(contentType:) picks OpenMetrics only for `application/openmetrics-text`.
    ///
    /// Everything else, including a missing header and `text/plain; version=1.0.0` (which
    /// prometheus_client sends for 0.0.4 text), falls back to 0.0.4 as Prometheus does.
    public init(contentType: String?) {
        guard let contentType else {
            self = .prometheusText
            return
        }
        let mediaType = contentType.prefix { $0 != ";" }
            .drop { $0 == " " || $0 == "\t" }
            .reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        let isOpenMetrics = String(mediaType).lowercased() == "application/openmetrics-text"
        self = isOpenMetrics ? .openMetrics : .prometheusText
    }
}

/// MetricType is the `# TYPE` of a metric family; 0.0.4 knows the first five, OpenMetrics all but `untyped`.
public enum MetricType: String, Sendable, Hashable, CaseIterable {
    case counter, gauge, histogram, summary, untyped
    case info, stateset, gaugehistogram, unknown

    /// isAllowed(in:) says whether a `# TYPE` line of `format` may name this type.
    public func isAllowed(in format: ExpositionFormat) -> Bool {
        switch self {
        case .counter, .gauge, .histogram, .summary: true
        case .untyped: format == .prometheusText
        case .info, .stateset, .gaugehistogram, .unknown: format == .openMetrics
        }
    }
}

/// ExpositionEntry is one meaningful line of a scrape body, as `ExpositionParser.next()` yields it.
///
/// A sample carries only its value and timestamp; its series is read from the parser
/// (`currentSeriesBytes`, `currentLabels()`) so the sample path allocates nothing.
public enum ExpositionEntry: Sendable, Hashable {
    /// `# HELP metric text`, with escapes decoded.
    case help(metric: String, text: String)
    /// `# TYPE metric type`.
    case type(metric: String, MetricType)
    /// `# UNIT metric unit` (OpenMetrics only).
    case unit(metric: String, unit: String)
    /// A sample line; `timestamp` is in milliseconds whatever the format wrote.
    case sample(value: Double, timestamp: Timestamp?)
}
