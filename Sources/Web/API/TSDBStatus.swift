import Foundation
import Model
import TSDB

/// TSDBStatus is the cardinality report behind `/api/v1/status/tsdb` and the `/tsdb-status` page: head statistics
/// and the ten largest counts by metric name, label name and label pair.
///
/// One computation serves both, so the page and the API never disagree.
public struct TSDBStatus: Sendable, Equatable {
    /// One row of a top-ten list: a metric name, label name or `name=value` pair and its count.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var value: Int
    }

    public var numSeries: Int
    public var numLabelPairs: Int
    public var chunkCount: Int
    /// Oldest and newest sample times in milliseconds; nil for an empty store.
    public var minTime: Timestamp?
    public var maxTime: Timestamp?
    public var seriesCountByMetricName: [Entry]
    public var labelValueCountByLabelName: [Entry]
    /// Bytes of label values per label name, summed over series: what a label costs in memory.
    public var memoryInBytesByLabelName: [Entry]
    public var seriesCountByLabelValuePair: [Entry]

    /// How many entries each list keeps, as in Prometheus.
    public static let limit = 10

    /// Computes the report from every series in `store`.
    public static func compute(_ store: TimeSeriesStore) async -> TSDBStatus {
        let stats = await store.stats()
        let allSeries = await store.seriesLabels(matching: [])
        // Keyed by bytes, so values that differ only in Unicode normalisation count separately.
        var byMetric: [ByteString: Int] = [:]
        var valuesByName: [ByteString: Set<ByteString>] = [:]
        var bytesByName: [ByteString: Int] = [:]
        var byPair: [ByteString: Int] = [:]
        for labels in allSeries {
            byMetric[ByteString(labels.name ?? ""), default: 0] += 1
            for label in labels {
                valuesByName[ByteString(label.name), default: []].insert(ByteString(label.value))
                bytesByName[ByteString(label.name), default: 0] += label.value.utf8.count
                byPair[ByteString("\(label.name)=\(label.value)"), default: 0] += 1
            }
        }
        func top(_ counts: [ByteString: Int]) -> [Entry] {
            counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit)
                .map { Entry(name: $0.key.string, value: $0.value) }
        }
        return TSDBStatus(
            numSeries: stats.series, numLabelPairs: valuesByName.values.reduce(0) { $0 + $1.count },
            chunkCount: stats.chunks + stats.headChunks, minTime: stats.minTime, maxTime: stats.maxTime,
            seriesCountByMetricName: top(byMetric), labelValueCountByLabelName: top(valuesByName.mapValues(\.count)),
            memoryInBytesByLabelName: top(bytesByName), seriesCountByLabelValuePair: top(byPair))
    }

    /// The four lists with their API keys, in the API's order.
    public var lists: [(key: String, entries: [Entry])] {
        [("seriesCountByMetricName", seriesCountByMetricName), ("labelValueCountByLabelName", labelValueCountByLabelName),
         ("memoryInBytesByLabelName", memoryInBytesByLabelName), ("seriesCountByLabelValuePair", seriesCountByLabelValuePair)]
    }
}
