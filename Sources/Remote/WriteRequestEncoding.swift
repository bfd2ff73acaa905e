import Model
import SwiftProtobuf
import TSDB

/// Builds and reads the protobuf messages of remote write.
///
/// Samples are written by hand: each series' labels are encoded once (`labelEntries`) and copied into every
/// request that carries the series, and a request is sized before it is written, so encoding makes one
/// allocation per request instead of a message, two strings per label and an array per series. A profile of
/// the queue showed swift-protobuf's message building and serialization as its largest cost (docs/performance.md).
/// The bytes are the ones swift-protobuf writes for the same `Prometheus_WriteRequest` (a test checks both ways).
enum WriteRequestEncoding {
    /// One queued sample: its series' slot in the table of encoded labels, its timestamp and value.
    struct QueuedSample: Sendable, Equatable {
        var series: Int32
        var t: Timestamp
        var v: Double
    }

    /// A series' labels as the bytes of its TimeSeries' field-1 entries (`Label` messages), in label order.
    ///
    /// Empty names and values are left out of a `Label`, as proto3 leaves out default values.
    static func labelEntries(_ labels: Labels) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in labels {
            let name = label.name.utf8.count, value = label.value.utf8.count
            let body = (name > 0 ? 1 + varintSize(UInt64(name)) + name : 0) + (value > 0 ? 1 + varintSize(UInt64(value)) + value : 0)
            bytes.append(0x0A)
            appendVarint(UInt64(body), to: &bytes)
            if name > 0 {
                bytes.append(0x0A)
                appendVarint(UInt64(name), to: &bytes)
                bytes.append(contentsOf: label.name.utf8)
            }
            if value > 0 {
                bytes.append(0x12)
                appendVarint(UInt64(value), to: &bytes)
                bytes.append(contentsOf: label.value.utf8)
            }
        }
        return bytes
    }

    /// A WriteRequest (uncompressed) with one TimeSeries per series in `samples`, in order of first appearance,
    /// each with its samples in their given order; `labels[s]` holds the encoded labels of series slot `s`.
    static func encode(_ samples: ArraySlice<QueuedSample>, labels: [[UInt8]]) -> [UInt8] {
        // Group samples by series without moving them: `next` links each sample to the next one of its series.
        var groupOfSeries: [Int32: Int] = [:]
        groupOfSeries.reserveCapacity(samples.count)
        var groups: [(series: Int32, first: Int, last: Int, size: Int)] = []
        var next = [Int](repeating: -1, count: samples.count)
        let base = samples.startIndex
        for offset in 0..<samples.count {
            let sample = samples[base + offset]
            let entry = sampleEntrySize(sample)
            if let group = groupOfSeries[sample.series] {
                next[groups[group].last] = offset
                groups[group].last = offset
                groups[group].size += entry
            } else {
                groupOfSeries[sample.series] = groups.count
                groups.append((sample.series, offset, offset, labels[Int(sample.series)].count + entry))
            }
        }
        var total = 0
        for group in groups { total += 1 + varintSize(UInt64(group.size)) + group.size }

        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            var writer = Writer(buffer: buffer)
            for group in groups {
                writer.byte(0x0A)
                writer.varint(UInt64(group.size))
                writer.bytes(labels[Int(group.series)])
                var offset = group.first
                while offset >= 0 {
                    writer.sample(samples[base + offset])
                    offset = next[offset]
                }
            }
            // The sizes above and the writes here follow the same rules; a mismatch is a bug in this file.
            precondition(writer.position == total, "WriteRequest encoder wrote \(writer.position) bytes, sized \(total)")
            count = total
        }
    }

    /// The bytes of one sample's TimeSeries field-2 entry: a `Sample` without its default (zero) fields.
    static func sampleEntrySize(_ sample: QueuedSample) -> Int {
        let body = sampleBodySize(sample)
        return 1 + varintSize(UInt64(body)) + body
    }

    static func sampleBodySize(_ sample: QueuedSample) -> Int {
        (sample.v.bitPattern != 0 ? 9 : 0) + (sample.t != 0 ? 1 + varintSize(UInt64(bitPattern: sample.t)) : 0)
    }

    static func varintSize(_ value: UInt64) -> Int {
        // 7 bits a byte; zero still takes one.
        (64 - value.leadingZeroBitCount + 6) / 7 + (value == 0 ? 1 : 0)
    }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Writes into a buffer sized in advance; every write is within the size computed for it.
    private struct Writer {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var position = 0

        mutating func byte(_ value: UInt8) {
            precondition(position < buffer.count, "WriteRequest encoder overran its size")
            buffer[position] = value
            position += 1
        }

        mutating func varint(_ value: UInt64) {
            var v = value
            while v >= 0x80 {
                byte(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            byte(UInt8(v))
        }

        mutating func bytes(_ source: [UInt8]) {
            guard !source.isEmpty else { return }
            precondition(position + source.count <= buffer.count, "WriteRequest encoder overran its size")
            source.withUnsafeBufferPointer { from in
                UnsafeMutableRawPointer(buffer.baseAddress! + position).copyMemory(from: from.baseAddress!, byteCount: from.count)
            }
            position += source.count
        }

        mutating func sample(_ sample: QueuedSample) {
            byte(0x12)
            varint(UInt64(WriteRequestEncoding.sampleBodySize(sample)))
            if sample.v.bitPattern != 0 {
                byte(0x09)
                var bits = sample.v.bitPattern
                for _ in 0..<8 {
                    byte(UInt8(truncatingIfNeeded: bits))
                    bits >>= 8
                }
            }
            if sample.t != 0 {
                byte(0x10)
                varint(UInt64(bitPattern: sample.t))
            }
        }
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
