import Model
import SwiftProtobuf
import TSDB

/// The receiving ends of remote write and remote read: request bodies in, samples or a response body out.
public enum RemoteProtocol {
    /// Largest decompressed request body accepted (Prometheus has no smaller limit that a sender would meet).
    public static let maxDecodedBytes = 64 << 20

    /// A pushed sample, with its series' labels.
    public typealias PushedSample = (labels: Labels, t: Timestamp, v: Double)

    /// The samples of a snappy-compressed WriteRequest, series with invalid labels left out and counted.
    public static func decodeWriteRequest(_ body: [UInt8]) throws(RemoteError) -> (samples: [PushedSample], invalidSeries: Int) {
        let decoded = try Snappy.decompress(body, limit: maxDecodedBytes)
        let request: Prometheus_WriteRequest
        do {
            request = try Prometheus_WriteRequest(serializedBytes: decoded)
        } catch {
            throw RemoteError("proto: cannot decode WriteRequest: \(error)")
        }
        var samples: [PushedSample] = []
        var invalid = 0
        for series in request.timeseries {
            let labels = Labels(series.labels.map { Label($0.name, $0.value) })
            // Prometheus skips series whose names are invalid rather than failing the request.
            guard let name = labels["__name__"], LabelName.isValidMetricName(name),
                  labels.allSatisfy({ LabelName.isValid($0.name) }), labels.count == series.labels.count else {
                invalid += 1
                continue
            }
            for sample in series.samples { samples.append((labels, sample.timestamp, sample.value)) }
        }
        return (samples, invalid)
    }

    /// Answers a snappy-compressed ReadRequest with a snappy-compressed ReadResponse of raw samples.
    ///
    /// External labels are added to each returned series, and matchers on them that the external value
    /// satisfies are dropped before selecting, as Prometheus's remote-read server does.
    public static func answerReadRequest(_ body: [UInt8], querier: any Querier, externalLabels: Labels) async throws(RemoteError) -> [UInt8] {
        let decoded = try Snappy.decompress(body, limit: maxDecodedBytes)
        let request: Prometheus_ReadRequest
        do {
            request = try Prometheus_ReadRequest(serializedBytes: decoded)
        } catch {
            throw RemoteError("proto: cannot decode ReadRequest: \(error)")
        }
        if !request.acceptedResponseTypes.isEmpty && !request.acceptedResponseTypes.contains(.samples) {
            throw RemoteError("server does not support any of the requested response types: \(request.acceptedResponseTypes); only SAMPLES is")
        }
        var response = Prometheus_ReadResponse()
        for query in request.queries {
            var matchers: [Matcher] = []
            for wire in query.matchers {
                let type: Matcher.MatchType = switch wire.type {
                case .eq: .equal
                case .neq: .notEqual
                case .re: .regexMatch
                case .nre: .regexNoMatch
                default: throw RemoteError("unknown label matcher type \(wire.type.rawValue)")
                }
                let matcher: Matcher
                do { matcher = try Matcher(type, wire.name, wire.value) } catch { throw RemoteError("\(error)") }
                if let external = externalLabels[wire.name], matcher.matches(external) { continue }
                matchers.append(matcher)
            }
            let selected: [Series]
            do {
                selected = try await querier.select(matchers, mint: query.startTimestampMs, maxt: query.endTimestampMs)
            } catch {
                throw RemoteError("\(error)")
            }
            var result = Prometheus_QueryResult()
            result.timeseries = selected.map { series in
                var wire = Prometheus_TimeSeries()
                var labels = series.labels
                if !externalLabels.isEmpty {
                    var map = Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                    for label in externalLabels where map[label.name] == nil { map[label.name] = label.value }
                    labels = Labels(map)
                }
                wire.labels = labels.map { label in
                    var pair = Prometheus_Label()
                    pair.name = label.name
                    pair.value = label.value
                    return pair
                }
                wire.samples = series.samples.map { sample in
                    var pair = Prometheus_Sample()
                    pair.timestamp = sample.t
                    pair.value = sample.v
                    return pair
                }
                return wire
            }
            response.results.append(result)
        }
        let bytes: [UInt8] = (try? response.serializedBytes()) ?? []
        return Snappy.compress(bytes)
    }
}

extension RemoteProtocol {
    /// A snappy-compressed WriteRequest of the given series, as a remote-write sender posts it (for tools and tests).
    public static func encodeWriteRequest(_ series: [(labels: Labels, samples: [(t: Timestamp, v: Double)])]) -> [UInt8] {
        var request = Prometheus_WriteRequest()
        request.timeseries = series.map { entry in
            var wire = Prometheus_TimeSeries()
            wire.labels = entry.labels.map { label in
                var pair = Prometheus_Label()
                pair.name = label.name
                pair.value = label.value
                return pair
            }
            wire.samples = entry.samples.map { sample in
                var pair = Prometheus_Sample()
                pair.timestamp = sample.t
                pair.value = sample.v
                return pair
            }
            return wire
        }
        return Snappy.compress((try? request.serializedBytes()) ?? [])
    }
}
