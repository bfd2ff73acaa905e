import Model
import SwiftProtobuf
import TSDB

/// Builds and reads the protobuf messages of remote write.
enum WriteRequestEncoding {
    /// A WriteRequest (uncompressed) with one TimeSeries per series in `samples`, samples in their given order.
    static func encode(_ samples: ArraySlice<RemoteWriteQueue.ShardSample>) -> [UInt8] {
        var indexByRef: [SeriesRef: Int] = [:]
        var series: [Prometheus_TimeSeries] = []
        for sample in samples {
            let index: Int
            if let known = indexByRef[sample.ref] {
                index = known
            } else {
                index = series.count
                indexByRef[sample.ref] = index
                var entry = Prometheus_TimeSeries()
                entry.labels = sample.labels.map { label in
                    var wire = Prometheus_Label()
                    wire.name = label.name
                    wire.value = label.value
                    return wire
                }
                series.append(entry)
            }
            var wire = Prometheus_Sample()
            wire.timestamp = sample.t
            wire.value = sample.v
            series[index].samples.append(wire)
        }
        var request = Prometheus_WriteRequest()
        request.timeseries = series
        // Serializing a message of only strings, numbers and repeated fields cannot fail.
        return (try? request.serializedBytes()) ?? []
    }

    /// A WriteRequest carrying only metadata entries.
    static func encodeMetadata(_ entries: [(key: String, value: MetricMetadata)]) -> [UInt8] {
        var request = Prometheus_WriteRequest()
        request.metadata = entries.map { metric, metadata in
            var wire = Prometheus_MetricMetadata()
            wire.metricFamilyName = metric
            wire.help = metadata.help
            wire.unit = metadata.unit
            wire.type = Prometheus_MetricMetadata.MetricType(typeName: metadata.type)
            return wire
        }
        return (try? request.serializedBytes()) ?? []
    }
}

extension Prometheus_MetricMetadata.MetricType {
    /// The wire type of an exposition TYPE word; unknown words are `.unknown`.
    init(typeName: String) {
        switch typeName {
        case "counter": self = .counter
        case "gauge": self = .gauge
        case "histogram": self = .histogram
        case "gaugehistogram": self = .gaugehistogram
        case "summary": self = .summary
        case "info": self = .info
        case "stateset": self = .stateset
        default: self = .unknown
        }
    }

    /// The exposition TYPE word of a wire type.
    var typeName: String {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        case .gaugehistogram: "gaugehistogram"
        case .summary: "summary"
        case .info: "info"
        case .stateset: "stateset"
        default: "unknown"
        }
    }
}
