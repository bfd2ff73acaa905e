import Foundation
import Testing
@testable import TSDB

/// Column blocks: every value comes back bit for bit, corrupt rows throw instead of trapping, and
/// stores whose block rows are in the older Gorilla-list format still read and are converted.
@Suite struct ColumnBlockTests {
    /// Samples at `step` ms from `start`, with values from `value`.
    static func row(_ count: Int, start: Timestamp = 1_700_000_000_000, step: Timestamp = 15_000, _ value: (Int) -> Double) -> [Sample] {
        (0..<count).map { Sample(t: start + Timestamp($0) * step, v: value($0)) }
    }

    static let rows: [(name: String, samples: [Sample])] = {
        var generator = SplitMix(seed: 42)
        var jittered: [Sample] = []
        var t: Timestamp = -3_600_000
        for i in 0..<480 {
            t += 15_000 + Timestamp(generator.next() % 7) - 3
            jittered.append(Sample(t: t, v: Double(i) * 0.25))
        }
        return [
            ("integer counter", row(480) { Double($0 * 17 + ($0 * 31) % 7) }),
            ("two-decimal counter", row(480) { Double(123_456 + $0 * 37) / 100 }),
            ("constant gauge", row(480) { _ in 1 }),
            ("random floats", row(480) { _ in Double(bitPattern: 0x3FF0_0000_0000_0000 | (generator.next() >> 12)) }),
            ("one sample", row(1) { _ in 42.5 }),
            ("two samples", row(2) { Double($0) }),
            ("stale marker and specials in a decimal row", row(480) { i in
                switch i {
                case 100: StaleNaN.value
                case 200: -0.0
                case 300: .infinity
                default: Double(i) * 1.5
                }
            }),
            ("mostly specials", row(64) { $0 % 2 == 0 ? .nan : -.infinity }),
            ("huge and tiny", row(100) { $0 % 2 == 0 ? 1e300 * Double($0 + 1) : 5e-324 * Double($0) }),
            ("beyond 2^53", row(100) { 9_007_199_254_740_993 + Double($0) * 4 }),
            ("jittered negative timestamps", jittered),
            ("one sample per millisecond", row(7_200, step: 1) { Double($0 % 3) }),
        ]
    }()

    @Test(arguments: rows.indices)
    func rowsRoundTripBitForBit(_ index: Int) throws {
        let (name, samples) = Self.rows[index]
        let codec = ZstdCodec()
        let encoded = ColumnBlock.encode(samples, codec: codec)
        #expect(ColumnBlock.isColumnar(encoded))
        var decoded: [Sample] = []
        try ColumnBlock.decode(encoded, codec: codec, into: &decoded)
        #expect(decoded == samples, "\(name)")
        // A range in the middle keeps exactly the samples inside it.
        let from = samples[samples.count / 3].t, to = samples[samples.count * 2 / 3].t
        var middle: [Sample] = []
        try ColumnBlock.decode(encoded, mint: from, maxt: to, codec: codec, into: &middle)
        #expect(middle == samples.filter { $0.t >= from && $0.t <= to }, "\(name)")
    }

    @Test func scrapeShapedRowsAreFarSmallerThanGorillaChunks() throws {
        let codec = ZstdCodec()
        for (name, samples) in Self.rows.prefix(3) {
            var chunk = XORChunk()
            for sample in samples { chunk.append(t: sample.t, v: sample.v) }
            let encoded = ColumnBlock.encode(samples, codec: codec)
            #expect(encoded.count * 3 < chunk.bytes.count, "\(name): \(encoded.count) bytes against Gorilla's \(chunk.bytes.count)")
        }
    }

    @Test func corruptRowsThrowInsteadOfTrapping() throws {
        let codec = ZstdCodec()
        var generator = SplitMix(seed: 7)
        var failures = 0
        for (_, samples) in Self.rows {
            let encoded = ColumnBlock.encode(samples, codec: codec)
            // Every truncation, and many single-byte changes: either an error or some samples, never a trap.
            for length in 0..<encoded.count {
                var out: [Sample] = []
                do { try ColumnBlock.decode(Array(encoded.prefix(length)), codec: codec, into: &out) } catch { failures += 1 }
            }
            for _ in 0..<200 {
                var damaged = encoded
                let at = Int(generator.next() % UInt64(damaged.count))
                damaged[at] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                var out: [Sample] = []
                do { try ColumnBlock.decode(damaged, codec: codec, into: &out) } catch { failures += 1 }
            }
        }
        // Truncations of the header alone fail, so errors were seen.
        #expect(failures > Self.rows.count * 3)
        var out: [Sample] = []
        #expect(throws: ChunkError.self) { try ColumnBlock.decode([0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], codec: codec, into: &out) }
        #expect(throws: ChunkError.self) { try ColumnBlock.decode([0, 0, 5, 1, 2], codec: codec, into: &out) }
    }

    /// Appends `count` scrapes of three series at 15 s, one commit each.
    func fill(_ store: TimeSeriesStore, count: Int) async throws -> [Labels: [Sample]] {
        let labels = [counter("a"), counter("b"), counter("c")]
        var refs: [SeriesRef] = []
        var expected: [Labels: [Sample]] = [:]
        for step in 0..<count {
            var batch = AppendBatch()
            for (i, series) in labels.enumerated() {
                let t = Timestamp(step) * 15_000
                let v = i == 2 && step % 97 == 0 ? StaleNaN.value : Double(step * (i + 1)) / 10
                if refs.count == labels.count { batch.append(ref: refs[i], t: t, v: v) } else { batch.append(labels: series, t: t, v: v) }
                expected[series, default: []].append(Sample(t: t, v: v))
            }
            let result = try await store.commit(batch)
            if refs.isEmpty { refs = result.newRefs }
        }
        return expected
    }

    func readAll(_ store: TimeSeriesStore) async throws -> [Labels: [Sample]] {
        let series = try await store.select([match(.regexMatch, "job", ".+")], mint: .min, maxt: .max)
        return Dictionary(uniqueKeysWithValues: series.map { ($0.labels, $0.samples) })
    }

    func blockFormats(_ path: String) throws -> (legacy: Int, columnar: Int) {
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        let legacy = try database.scalar("SELECT count(*) FROM blocks WHERE substr(data, 1, 1) <> x'00'") ?? -1
        let columnar = try database.scalar("SELECT count(*) FROM blocks WHERE substr(data, 1, 1) = x'00'") ?? -1
        return (Int(legacy), Int(columnar))
    }

    @Test func storesWithOlderBlockRowsOpenReadAndAreConverted() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        // Ten hours compacted the way builds before column blocks did.
        let old = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: nil, writesLegacyBlockRows: true))
        let expected = try await fill(old, count: 2_400)
        try await old.close()
        let before = try blockFormats(temp.path)
        #expect(before.legacy > 0 && before.columnar == 0, "\(before)")

        let store = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: nil))
        #expect(try await readAll(store) == expected)
        // Samples appended after the upgrade join a window already compacted in the old format.
        #expect(try await store.reencodeLegacyBlocks(limit: 4) == 4)
        #expect(try await readAll(store) == expected)
        var converted = 4
        while case let count = try await store.reencodeLegacyBlocks(limit: 4), count > 0 { converted += count }
        #expect(converted == before.legacy)
        #expect(try await store.reencodeLegacyBlocks() == 0)
        #expect(try await readAll(store) == expected)
        try await store.close()
        let after = try blockFormats(temp.path)
        #expect(after.legacy == 0 && after.columnar >= before.legacy, "\(after)")

        let reopened = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: nil))
        #expect(try await readAll(reopened) == expected)
        #expect(await reopened.stats().samples == expected.values.reduce(0) { $0 + $1.count })
        try await reopened.close()
    }

    @Test func lateChunksJoinAnOlderFormatRow() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let a = counter("a"), c = counter("c")
        var expected: [Labels: [Sample]] = [:]
        func append(_ store: TimeSeriesStore, _ labels: Labels, _ steps: Range<Int>) async throws {
            for i in steps {
                var batch = AppendBatch()
                batch.append(labels: labels, t: Timestamp(i) * 15_000, v: Double(i) / 4)
                _ = try await store.commit(batch)
                expected[labels, default: []].append(Sample(t: Timestamp(i) * 15_000, v: Double(i) / 4))
            }
        }
        // c's head still holds window-0 samples when window 0 is compacted in the old format.
        let old = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: nil, writesLegacyBlockRows: true))
        try await append(old, c, 0..<460)
        try await append(old, a, 0..<1_440)
        #expect(try await old.compact() > 0)
        try await old.close(compacting: false)
        #expect(try blockFormats(temp.path).legacy > 0)

        // The new build cuts c's head, which started in window 0, and compacts it into the old row.
        let store = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: nil))
        try await append(store, c, 460..<600)
        #expect(try await store.compact() > 0)
        #expect(try await readAll(store) == expected)
        try await store.reencodeLegacyBlocks()
        try await store.close()
        #expect(try blockFormats(temp.path).legacy == 0)
        let reopened = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: nil))
        #expect(try await readAll(reopened) == expected)
        try await reopened.close()
    }
}
