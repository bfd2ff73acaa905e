import Testing
@testable import TSDB

/// SplitMix64, so every randomised test sees the same inputs on every machine.
struct SplitMix: RandomNumberGenerator {
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

/// Values whose bit patterns arithmetic would normalise, lose or make unequal to themselves.
let awkwardValues: [Double] = [
    0, -0.0, 1, -1, .infinity, -.infinity, .nan, -.nan, StaleNaN.value,
    Double(bitPattern: 0x7FF8_0000_DEAD_BEEF), Double(bitPattern: 0xFFF4_0000_0000_0001),
    .signalingNaN, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, Double.leastNormalMagnitude.nextDown,
    .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne, 1e-300, 1e300,
]

func chunk(_ samples: [Sample]) -> XORChunk {
    var chunk = XORChunk()
    for sample in samples { chunk.append(t: sample.t, v: sample.v) }
    return chunk
}

func samples(_ timestamps: [Timestamp], _ values: [Double]) -> [Sample] {
    zip(timestamps, values).map { Sample(t: $0, v: $1) }
}

/// Checks every way back to the samples: iteration, decodeAll, restoring, and appending after a restore.
@discardableResult
func expectRoundTrip(_ input: [Sample], sourceLocation: SourceLocation = #_sourceLocation) throws -> XORChunk {
    let original = chunk(input)
    #expect(original.count == input.count, sourceLocation: sourceLocation)
    #expect(original.minTime == input.first?.t, sourceLocation: sourceLocation)
    #expect(original.maxTime == input.last?.t, sourceLocation: sourceLocation)
    #expect(Array(original) == input, sourceLocation: sourceLocation)
    #expect(try original.decodeAll() == input, sourceLocation: sourceLocation)

    let restored = try XORChunk(bytes: original.bytes)
    #expect(restored == original, sourceLocation: sourceLocation)
    #expect(Array(restored) == input, sourceLocation: sourceLocation)
    #expect(restored.minTime == original.minTime && restored.maxTime == original.maxTime, sourceLocation: sourceLocation)

    // A head chunk restored from disk must carry on exactly as the in-memory one would.
    let next = (input.last?.t ?? 0) &+ 15_000
    var continued = restored, uninterrupted = original
    if next > (input.last?.t ?? .min) {
        continued.append(t: next, v: 42.5)
        uninterrupted.append(t: next, v: 42.5)
        #expect(continued.bytes == uninterrupted.bytes, sourceLocation: sourceLocation)
        #expect(Array(continued) == input + [Sample(t: next, v: 42.5)], sourceLocation: sourceLocation)
    }
    return original
}

@Suite struct XORChunkRoundTripTests {
    @Test func emptyChunkIsJustAHeader() throws {
        let empty = XORChunk()
        #expect(empty.bytes == [XORChunk.encoding, 0, 0])
        #expect(empty.count == 0 && empty.minTime == nil && empty.maxTime == nil)
        #expect(Array(empty).isEmpty)
        #expect(try XORChunk(bytes: empty.bytes) == empty)
    }

    @Test func headerCountsSamplesBigEndian() {
        let many = chunk((0..<300).map { Sample(t: Int64($0) * 1000, v: Double($0)) })
        #expect(Array(many.bytes[0...2]) == [XORChunk.encoding, 0x01, 0x2C])
        #expect(many.count == 300)
    }

    @Test func scrapeShapedSeriesRoundTrip() throws {
        var rng = SplitMix(seed: 15)
        for series in 0..<60 {
            var t: Timestamp = 1_700_000_000_000 + Int64(series) * 37
            var counter = Double(rng.next() % 100_000)
            var buckets = [0.0, 0, 0, 0, 0]  // le=0.1, 0.5, 1, 5, +Inf, cumulative
            var input: [[Sample]] = Array(repeating: [], count: 8)
            for _ in 0..<120 {
                counter += Double(rng.next() % 6)
                let gauge = 20 + Double(Int(rng.next() % 2000) - 1000) / 100  // e.g. a temperature
                let memory = Double(512 << 20 + Int(rng.next() % 4096) * 4096)
                var below = 0.0
                for i in buckets.indices {
                    below += Double(rng.next() % 3)
                    buckets[i] += below
                }
                let row = [counter, gauge, memory] + buckets
                for i in row.indices { input[i].append(Sample(t: t, v: row[i])) }
                t += 15_000 + Int64(rng.next() % 9) - 4
            }
            for series in input { try expectRoundTrip(series) }
        }
    }

    @Test func awkwardValuesKeepTheirBitPatterns() throws {
        let input = samples((0..<Int64(awkwardValues.count)).map { $0 * 15_000 }, awkwardValues)
        let decoded = Array(try expectRoundTrip(input))
        #expect(decoded.map(\.v.bitPattern) == awkwardValues.map(\.bitPattern))
        #expect(decoded.contains { StaleNaN.isStale($0.v) })
        // Reversed and repeated, so each value also follows every kind of predecessor.
        try expectRoundTrip(samples(Array(0..<40), awkwardValues.reversed() + awkwardValues))
        try expectRoundTrip(samples(Array(0..<40), awkwardValues.flatMap { [$0, $0] }))
    }

    @Test func extremeTimestampsDoNotOverflow() throws {
        try expectRoundTrip(samples([.min, .max], [1, 2]))
        try expectRoundTrip(samples([.min, .min + 1, -1, 0, 1, .max - 1, .max], [1, 2, 3, 4, 5, 6, 7]))
        try expectRoundTrip(samples([.min, 0, .max], [.nan, -0.0, .infinity]))
        try expectRoundTrip(samples([-1_000_000, -985_000, -970_000, -954_999], [1, 1, 1, 1]))
    }

    /// Delta-of-deltas on each side of every bucket edge, including the 64-bit escape.
    @Test(arguments: [
        0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, -8193,
        (1 << 19) - 1, -(1 << 19), 1 << 19, -(1 << 19) - 1, 1 << 40, -(1 << 40),
    ] as [Int64])
    func deltaOfDeltaBucketEdgesRoundTrip(dod: Int64) throws {
        let base: Int64 = 10_000_000_000_000
        let delta = base, second = base + dod
        let timestamps: [Timestamp] = [0, delta, delta + second, delta + second + delta]
        try expectRoundTrip(samples(timestamps, [1, 2, 3, 4]))
    }

    @Test func randomisedSeriesRoundTrip() throws {
        var rng = SplitMix(seed: 2015)
        for _ in 0..<400 {
            let n = Int(rng.next() % 130) + 1
            let timestamps = randomTimestamps(count: n, using: &rng)
            var values: [Double] = []
            for _ in 0..<n { values.append(randomValue(after: values.last, using: &rng)) }
            try expectRoundTrip(samples(timestamps, values))
        }
    }

    @Test func equalityIsByteEquality() {
        let a = chunk(samples([1, 2, 3], [1, 2, 3]))
        #expect(a == chunk(samples([1, 2, 3], [1, 2, 3])))
        #expect(a != chunk(samples([1, 2, 3], [1, 2, -3])))
        #expect(chunk(samples([1], [.nan])) == chunk(samples([1], [.nan])))
        #expect(chunk(samples([1], [.nan])) != chunk(samples([1], [StaleNaN.value])))
    }

    @Test func appendingOutOfOrderIsAProgrammerError() async {
        await #expect(processExitsWith: .failure) {
            var chunk = XORChunk()
            chunk.append(t: 100, v: 1)
            chunk.append(t: 100, v: 2)
        }
    }
}

/// Strictly increasing timestamps in one of several shapes: scrapes, irregular, negative, huge gaps.
func randomTimestamps(count: Int, using rng: inout SplitMix) -> [Timestamp] {
    switch rng.next() % 4 {
    case 0:  // Scrapes at 1 s–60 s with a few ms of jitter, sometimes missed.
        let interval = [1_000, 10_000, 15_000, 30_000, 60_000][Int(rng.next() % 5)] as Int64
        var t = Int64(bitPattern: rng.next()) >> 20
        return (0..<count).map { _ in
            defer { t += interval * (rng.next() % 20 == 0 ? 2 : 1) + Int64(rng.next() % 11) - 5 }
            return t
        }
    case 1:  // Irregular steps from 1 ms to about a day.
        var t = -Int64(rng.next() % 1_000_000_000_000)
        return (0..<count).map { _ in
            defer { t += 1 + Int64(rng.next() % (1 << UInt64(rng.next() % 27))) }
            return t
        }
    default:  // Anywhere in the Int64 range, so deltas and delta-of-deltas are enormous.
        var set = Set<Int64>()
        while set.count < count { set.insert(Int64(bitPattern: rng.next())) }
        if rng.next() % 2 == 0 { set.insert(.min); set.insert(.max) }
        return Array(set.sorted().prefix(count))
    }
}

func randomValue(after previous: Double?, using rng: inout SplitMix) -> Double {
    switch rng.next() % 9 {
    case 0: return awkwardValues[Int(rng.next() % UInt64(awkwardValues.count))]
    case 1: return Double(bitPattern: rng.next())  // any pattern, NaN payloads included
    case 2: return previous ?? 0
    case 3: return (previous ?? 0) + Double(rng.next() % 10)
    case 4: return Double(bitPattern: rng.next() & 0x800F_FFFF_FFFF_FFFF)  // subnormal or zero
    case 5: return Double.random(in: -1e300...1e300, using: &rng)
    case 6: return Double.random(in: -1e-300...1e-300, using: &rng)
    case 7: return StaleNaN.value
    default: return Double(Int64(bitPattern: rng.next()) >> 30) / 100
    }
}

/// The error restoring `bytes` throws; records an issue when it throws none.
func restoring(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> ChunkError? {
    #expect(throws: ChunkError.self, sourceLocation: sourceLocation) { try XORChunk(bytes: bytes) }
}

@Suite struct XORChunkCorruptionTests {
    var valid: XORChunk {
        var rng = SplitMix(seed: 7)
        return chunk(samples(
            randomTimestamps(count: 120, using: &rng),
            (0..<120).map { i in i % 5 == 0 ? awkwardValues[i % awkwardValues.count] : Double(i * 3 + 1) }))
    }

    @Test func everyTruncationThrows() {
        let bytes = valid.bytes
        for length in 0..<bytes.count {
            let error = restoring(Array(bytes[..<length]))
            #expect(error?.code == (length < 3 ? .badHeader : .truncated), "prefix of \(length) bytes: \(String(describing: error))")
        }
    }

    @Test func trailingBytesAreRejected() {
        #expect(restoring(valid.bytes + [0])?.code == .malformed)
        #expect(restoring(XORChunk().bytes + [0])?.code == .malformed)
    }

    @Test func headerMustNameTheEncodingAndMatchTheBody() {
        var bytes = valid.bytes
        bytes[0] = 0x07
        #expect(restoring(bytes)?.description == "bit 0: bad header: expected encoding byte 0x01, got 0x07")
        bytes = valid.bytes
        bytes[2] &+= 1  // one sample more than the body holds
        #expect(restoring(bytes)?.sampleIndex == 120)
    }

    /// Flipped bits either throw or still decode to a well-formed chunk; they never trap.
    @Test func bitFlipsNeverTrap() throws {
        let bytes = valid.bytes
        var rejected = 0
        for bit in 0..<(bytes.count * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= 0x80 >> UInt8(bit % 8)
            guard let restored = try? XORChunk(bytes: damaged) else {
                rejected += 1
                continue
            }
            let decoded = try restored.decodeAll()
            #expect(decoded.count == restored.count && Array(restored) == decoded)
            #expect(zip(decoded, decoded.dropFirst()).allSatisfy { $0.t < $1.t })
        }
        #expect(rejected > bytes.count)  // most damage is detected, not silently decoded
    }

    @Test func randomGarbageNeverTraps() throws {
        var rng = SplitMix(seed: 404)
        for _ in 0..<3000 {
            var bytes = (0..<Int(rng.next() % 48)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if bytes.count >= 3, rng.next() % 4 != 0 {
                bytes[0] = XORChunk.encoding
                bytes[1] = 0
                bytes[2] = UInt8(rng.next() % 8)
            }
            guard let restored = try? XORChunk(bytes: bytes) else { continue }
            #expect(try restored.decodeAll().count == restored.count)
        }
    }

    @Test func errorsSayWhichSampleAndBit() {
        var stream = BitWriter()
        stream.writeBytes([XORChunk.encoding, 0, 3])
        stream.writeSignedVarint(1000)
        stream.writeBits(Double(1).bitPattern, count: 64)
        stream.writeVarint(15_000)
        stream.writeBits(0b10, count: 2)  // reuse a window before any was opened
        #expect(
            restoring(stream.bytes)?.description
                == "bit 122, sample 1: malformed: value reuses the previous XOR window, but none was set yet")
    }

    @Test func decodedTimestampsMustIncrease() {
        for (first, delta) in [(Int64(5), UInt64(0)), (.max, 1)] {
            var stream = BitWriter()
            stream.writeBytes([XORChunk.encoding, 0, 2])
            stream.writeSignedVarint(first)
            stream.writeBits(0, count: 64)
            stream.writeVarint(delta)
            stream.writeBit(false)
            let error = restoring(stream.bytes)
            #expect(error?.code == .malformed)
            #expect(error?.message.hasPrefix("expected a timestamp after \(first), got ") == true)
        }
    }

    @Test func overlongVarintsAreMalformed() {
        var stream = BitWriter()
        stream.writeBytes([XORChunk.encoding, 0, 1])
        for _ in 0..<11 { stream.writeBits(0xFF, count: 8) }
        stream.writeBits(0, count: 64)
        let error = restoring(stream.bytes)
        #expect(error?.code == .malformed && error?.sampleIndex == 0)
    }
}

@Suite struct XORChunkCompressionTests {
    /// 120 samples of a request counter scraped every 15 s, as the store cuts them.
    @Test func scrapedCounterAtFifteenSecondsIsUnderOneAndAHalfBytesPerSample() {
        var rng = SplitMix(seed: 120)
        var value = 48_213.0
        var counter = XORChunk()
        for i in 0..<120 {
            counter.append(t: 1_700_000_000_000 + Int64(i) * 15_000, v: value)
            value += Double(rng.next() % 4)
        }
        let perSample = Double(counter.bytes.count) / 120
        print("scrape-shaped counter: \(counter.bytes.count) bytes, \(perSample) bytes/sample")
        #expect(perSample <= 1.5)
    }

    @Test func constantSeriesIsFarUnderOneBytePerSample() {
        var constant = XORChunk()
        for i in 0..<120 { constant.append(t: 1_700_000_000_000 + Int64(i) * 15_000, v: 1) }
        let perSample = Double(constant.bytes.count) / 120
        print("constant series: \(constant.bytes.count) bytes, \(perSample) bytes/sample")
        #expect(perSample <= 0.5)
    }

    @Test func jitterOfAFewMillisecondsStaysInTheSmallestBucket() {
        var steady = XORChunk(), jittery = XORChunk()
        var rng = SplitMix(seed: 3)
        for i in 0..<120 {
            let t = 1_700_000_000_000 + Int64(i) * 15_000
            steady.append(t: t, v: 1)
            jittery.append(t: t + Int64(rng.next() % 7) - 3, v: 1)
        }
        // '10' plus 7 bits is 8 bits more than '0' per sample; anything wider would cost more.
        #expect(jittery.bytes.count - steady.bytes.count <= 118)
    }
}

@Suite struct BitStreamTests {
    @Test func fieldsOfEveryWidthRoundTrip() {
        var rng = SplitMix(seed: 64)
        var writer = BitWriter()
        var fields: [(UInt64, Int)] = []
        for _ in 0..<2000 {
            let width = Int(rng.next() % 65)
            let value = width == 64 ? rng.next() : rng.next() & ((1 << UInt64(width)) - 1)
            fields.append((value, width))
            writer.writeBits(value, count: width)
        }
        #expect(writer.bitCount == fields.reduce(0) { $0 + $1.1 })
        var reader = BitReader(bytes: writer.bytes)
        for (value, width) in fields { #expect(reader.readBits(width) == value) }
        #expect(reader.atZeroPadding)
    }

    @Test func readsPastTheEndReturnNil() {
        var reader = BitReader(bytes: [0b1011_0000])
        #expect(reader.readBits(3) == 0b101)
        #expect(reader.readBits(6) == nil)
        #expect(reader.readBits(65) == nil)
        #expect(reader.readBits(5) == 0b10000)
        #expect(reader.readBit() == nil)
        #expect(reader.readUnaryPrefix(limit: 4) == nil)
        #expect(reader.readVarint() == nil)
        var wide = BitReader(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(wide.readBits(64) == nil)
        #expect(wide.readBits(56) == 0xFF_FFFF_FFFF_FFFF)
    }

    @Test(arguments: [0, 1, 127, 128, 300, UInt64(Int64.max), .max] as [UInt64])
    func varintsRoundTrip(value: UInt64) {
        var writer = BitWriter()
        writer.writeBit(true)  // misalign, as inside a chunk
        writer.writeVarint(value)
        writer.writeSignedVarint(Int64(bitPattern: value))
        var reader = BitReader(bytes: writer.bytes)
        #expect(reader.readBit() == true)
        #expect(reader.readVarint() == value)
        #expect(reader.readSignedVarint() == Int64(bitPattern: value))
    }

    @Test func varintsBeyondSixtyFourBitsAreRejected() {
        var tooBig = BitReader(bytes: Array(repeating: 0xFF, count: 9) + [0x02])
        #expect(tooBig.readVarint() == nil)
        var maximal = BitReader(bytes: Array(repeating: 0xFF, count: 9) + [0x01])
        #expect(maximal.readVarint() == .max)
    }
}

@Suite struct ResumePointTests {
    /// Jittered timestamps with gaps and values that use every encoding path.
    func awkwardSeries(count: Int, seed: UInt64) -> [Sample] {
        var random = SplitMix(seed: seed)
        var t: Timestamp = 1_700_000_000_000
        return (0..<count).map { index in
            t += 15_000 + Timestamp(random.next() % 200) - 100 + (index % 37 == 0 ? 600_000 : 0)
            let value = index % 5 == 0 ? awkwardValues[Int(random.next() % UInt64(awkwardValues.count))] : Double(random.next() % 1000) / 7
            return Sample(t: t, v: value)
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func decodingFromAnyPointGivesTheSamplesAFullDecodeGives(seed: UInt64) {
        let input = awkwardSeries(count: 120, seed: seed)
        var chunk = XORChunk()
        var points: [ResumePoint] = []
        for sample in input {
            chunk.append(t: sample.t, v: sample.v)
            points.append(chunk.resumePoint)
        }
        for (index, point) in points.enumerated() where index + 1 < input.count {
            let mint = input[index + 1].t  // the first sample after the point
            var resumed: [Sample] = []
            chunk.appendSamples(mint: mint, maxt: .max, resumingAt: point, into: &resumed)
            #expect(resumed == Array(input[(index + 1)...]), "resuming after sample \(index)")
        }
    }

    @Test func pointsFoundByDecodingEqualThoseTakenWhileAppending() throws {
        let input = awkwardSeries(count: 120, seed: 4)
        var chunk = XORChunk()
        var taken: [ResumePoint] = []
        for sample in input {
            chunk.append(t: sample.t, v: sample.v)
            if chunk.count % 32 == 0 { taken.append(chunk.resumePoint) }
        }
        #expect(taken.count == 3)
        #expect(chunk.resumePoints(every: 32) == taken)
        #expect(try XORChunk(bytes: chunk.bytes).resumePoints(every: 32) == taken)
    }

    @Test func aPointAfterTheRangeStartIsIgnored() {
        let input = awkwardSeries(count: 50, seed: 9)
        var chunk = XORChunk()
        var point = ResumePoint.unset
        for (index, sample) in input.enumerated() {
            chunk.append(t: sample.t, v: sample.v)
            if index == 40 { point = chunk.resumePoint }
        }
        var samples: [Sample] = []
        chunk.appendSamples(mint: input[10].t, maxt: input[20].t, resumingAt: point, into: &samples)
        #expect(samples == Array(input[10...20]))
    }
}
