import Model
@testable import Remote
import SwiftProtobuf
import Testing
import TSDB

/// The hand-written WriteRequest encoder against swift-protobuf's generated messages: the same bytes, and
/// swift-protobuf decodes them back to the series and samples that went in.
@Suite struct WriteRequestEncodingTests {
    /// What swift-protobuf writes for the same samples grouped the same way (series in order of first appearance).
    static func libraryEncoding(_ samples: [WriteRequestEncoding.QueuedSample], labels: [Labels]) throws -> [UInt8] {
        var order: [Int32] = []
        var bySeries: [Int32: [Prometheus_Sample]] = [:]
        for sample in samples {
            if bySeries[sample.series] == nil { order.append(sample.series) }
            var wire = Prometheus_Sample()
            wire.timestamp = sample.t
            wire.value = sample.v
            bySeries[sample.series, default: []].append(wire)
        }
        var request = Prometheus_WriteRequest()
        request.timeseries = order.map { series in
            var entry = Prometheus_TimeSeries()
            entry.labels = labels[Int(series)].map { label in
                var wire = Prometheus_Label()
                wire.name = label.name
                wire.value = label.value
                return wire
            }
            entry.samples = bySeries[series] ?? []
            return entry
        }
        return try request.serializedBytes()
    }

    /// Label sets with long and non-ASCII values (multi-byte lengths and UTF-8), and one with no labels at all.
    static let labelSets: [Labels] = [
        ["__name__": "http_requests_total", "job": "api", "instance": "127.0.0.1:9100"],
        ["__name__": "up"],
        ["__name__": "x", "path": String(repeating: "é/", count: 200), "zone": "zürich-1"],
        Labels(),
    ]

    /// Values and timestamps at the edges: zero (left out, as proto3 leaves defaults out), -0.0 (kept: its bits
    /// are not zero), NaN with a payload, infinities, negative and extreme timestamps.
    static let edgeSamples: [(Timestamp, Double)] = [
        (0, 0), (0, 1), (1, 0), (-1, -0.0), (.max, .infinity), (.min, -.infinity), (1_700_000_000_000, .nan),
        (1_700_000_000_001, Double(bitPattern: 0x7FF8_0000_0000_0001)), (127, 0.5), (128, -1e300), (16_383, 5e-324),
        (16_384, .greatestFiniteMagnitude),
    ]

    @Test func writesTheBytesSwiftProtobufWritesForEdgeValues() throws {
        let table = Self.labelSets.map(WriteRequestEncoding.labelEntries)
        var samples: [WriteRequestEncoding.QueuedSample] = []
        for (index, (t, v)) in Self.edgeSamples.enumerated() {
            samples.append(.init(series: Int32(index % Self.labelSets.count), t: t, v: v))
        }
        let encoded = WriteRequestEncoding.encode(samples[...], labels: table)
        #expect(encoded == (try Self.libraryEncoding(samples, labels: Self.labelSets)))

        // Decoded by the generated code: each series once, with its labels, and its samples in the order given.
        let decoded = try Prometheus_WriteRequest(serializedBytes: encoded)
        #expect(decoded.timeseries.count == Self.labelSets.count)
        for (index, series) in decoded.timeseries.enumerated() {
            #expect(series.labels.map { Label($0.name, $0.value) } == Array(Self.labelSets[index]))
            let expected = samples.filter { $0.series == Int32(index) }
            #expect(series.samples.map(\.timestamp) == expected.map(\.t))
            #expect(series.samples.map(\.value.bitPattern) == expected.map(\.v.bitPattern))
        }
    }

    /// Many batches cut from a pseudo-random stream, as the queue cuts them: each a slice that does not start at 0.
    @Test func slicesOfARandomStreamMatchTheLibrary() throws {
        var generator = SplitMix(seed: 42)
        let labels = (0..<50).map { i in Labels(["__name__": "m\(i % 7)", "series": String(i), "pad": String(repeating: "x", count: i * 3)]) }
        let table = labels.map(WriteRequestEncoding.labelEntries)
        let stream = (0..<5_000).map { _ in
            WriteRequestEncoding.QueuedSample(
                series: Int32(generator.next() % 50), t: Timestamp(bitPattern: generator.next() >> UInt64(generator.next() % 64)),
                v: Double(bitPattern: generator.next() % 4 == 0 ? 0 : generator.next()))
        }
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + 1 + Int(generator.next() % 700))
            let batch = stream[start..<end]
            #expect(WriteRequestEncoding.encode(batch, labels: table) == (try Self.libraryEncoding(Array(batch), labels: labels)))
            start = end
        }
        #expect(WriteRequestEncoding.encode(ArraySlice<WriteRequestEncoding.QueuedSample>(), labels: table).isEmpty)
    }
}

/// A small deterministic generator, so a failure reproduces.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
