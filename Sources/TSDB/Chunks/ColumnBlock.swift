import Foundation

/// ColumnBlock is how a compacted block row stores one series' samples of one two-hour window:
/// timestamps and values as separate columns of small integers, then compressed with zstd.
///
/// Scrapes repeat themselves: timestamps step by the same interval, counters grow by similar
/// amounts, most gauges hardly move. Written as delta-of-deltas and scaled-decimal deltas, such
/// columns become runs of the same few bytes, which zstd shrinks far below Gorilla's bit per sample.
///
/// Layout: byte `0x00` (rows of length-prefixed Gorilla chunks, the older format, never start with
/// zero), a compression byte (`0` none, `1` zstd), the payload's length as a varint, the payload.
/// Payload: varint sample count, the timestamp column (zigzag first time, first delta, then
/// delta-of-deltas), a value-kind byte and the value column:
///
/// - `0` decimal: scale byte `e` (values are `m / 10^e` for integers `m` below 2^53), order byte
///   (`1` deltas of `m`, `2` first delta then delta-of-deltas), varint count of exceptions, each a varint
///   gap in sample positions and the value's 64 bits little-endian (NaN, staleness markers, -0.0 or
///   anything else the scale cannot carry; `m` stays unchanged there), zigzag first `m`, the
///   zigzag differences.
/// - `1` floats: Gorilla's value encoding over the whole row, bit stream zero-padded to a byte.
enum ColumnBlock {
    static let marker: UInt8 = 0x00
    /// Payloads above this are corrupt: a two-hour row at one sample per millisecond is 7.2 M samples.
    static let maxPayload = 256 << 20
    static let powersOfTen: [Double] = (0...15).map { pow(10, Double($0)) }
    /// Integers up to this magnitude are exact in a Double, so `m / 10^e` round-trips.
    static let maxExact: Double = 9_007_199_254_740_992

    /// Whether a stored block row is in this format rather than the older list of Gorilla chunks.
    static func isColumnar(_ data: [UInt8]) -> Bool { data.first == marker }

    /// Encodes samples (strictly increasing timestamps) as a block row.
    static func encode(_ samples: [Sample], codec: ZstdCodec) -> [UInt8] {
        precondition(!samples.isEmpty, "a block row holds at least one sample")
        var payload: [UInt8] = []
        payload.reserveCapacity(samples.count * 3 + 16)
        Varint.append(UInt64(samples.count), to: &payload)
        appendTimestamps(samples, to: &payload)
        if let decimal = DecimalColumn(samples) {
            payload.append(0)
            decimal.append(to: &payload)
        } else {
            payload.append(1)
            appendFloats(samples, to: &payload)
        }
        var row: [UInt8] = [marker, 1]
        Varint.append(UInt64(payload.count), to: &row)
        let header = row.count
        if !codec.compress(payload, appendingTo: &row) || row.count - header >= payload.count {
            row = [marker, 0]
            Varint.append(UInt64(payload.count), to: &row)
            row += payload
        }
        return row
    }

    /// Appends the row's samples in [mint, maxt] to `samples`.
    static func decode(_ data: [UInt8], mint: Timestamp = .min, maxt: Timestamp = .max, codec: ZstdCodec,
                       into samples: inout [Sample]) throws(ChunkError) {
        guard data.count >= 3, data[0] == marker, data[1] <= 1 else {
            throw ChunkError(.badHeader, "expected a column block header (0x00, compression 0 or 1)", bitOffset: 0)
        }
        var offset = 2
        guard let length = Varint.read(data, &offset), length <= UInt64(maxPayload) else {
            throw ChunkError(.badHeader, "payload length is missing or above \(maxPayload) bytes", bitOffset: 16)
        }
        let payload: [UInt8]
        if data[1] == 0 {
            guard data.count - offset == Int(length) else {
                throw ChunkError(.truncated, "expected \(length) payload bytes, got \(data.count - offset)", bitOffset: offset * 8)
            }
            payload = Array(data[offset...])
        } else {
            guard let expanded = codec.decompress(data, offset..<data.count, size: Int(length)) else {
                throw ChunkError(.malformed, "the zstd frame does not expand to \(length) bytes", bitOffset: offset * 8)
            }
            payload = expanded
        }
        var reader = PayloadReader(bytes: payload)
        try reader.decode(mint: mint, maxt: maxt, into: &samples)
    }

    private static func appendTimestamps(_ samples: [Sample], to payload: inout [UInt8]) {
        Varint.appendSigned(samples[0].t, to: &payload)
        var previousDelta: Int64 = 0
        for index in 1..<max(samples.count, 1) {
            let delta = samples[index].t &- samples[index - 1].t
            Varint.appendSigned(index == 1 ? delta : delta &- previousDelta, to: &payload)
            previousDelta = delta
        }
    }

    /// Gorilla's XOR value encoding, as in XORChunk, without timestamps in between.
    private static func appendFloats(_ samples: [Sample], to payload: inout [UInt8]) {
        var writer = BitWriter()
        var previous = samples[0].v.bitPattern
        writer.writeBits(previous, count: 64)
        var windowLeading = 0, windowMeaningful = 0
        for sample in samples.dropFirst() {
            let bits = sample.v.bitPattern
            let xor = bits ^ previous
            previous = bits
            guard xor != 0 else {
                writer.writeBit(false)
                continue
            }
            let leading = min(xor.leadingZeroBitCount, 31)
            let trailing = xor.trailingZeroBitCount
            let meaningful = 64 - leading - trailing
            if windowMeaningful > 0, leading >= windowLeading, trailing >= 64 - windowLeading - windowMeaningful,
               windowMeaningful <= meaningful + 11 {
                writer.writeBits(0b10, count: 2)
                writer.writeBits(xor &>> UInt64(64 - windowLeading - windowMeaningful), count: windowMeaningful)
            } else {
                writer.writeBits(0b11, count: 2)
                writer.writeBits(UInt64(leading), count: 5)
                writer.writeBits(UInt64(meaningful & 63), count: 6)
                writer.writeBits(xor &>> UInt64(trailing), count: meaningful)
                windowLeading = leading
                windowMeaningful = meaningful
            }
        }
        payload += writer.bytes
    }
}

/// DecimalColumn holds a row's values as integers `m` with one scale, when nearly all values allow it.
private struct DecimalColumn {
    var scale: Int
    var integers: [Int64]
    /// Positions whose value the scale cannot carry, with the value's bits.
    var exceptions: [(index: Int, bits: UInt64)]

    /// Nil when more than one value in eight would be an exception, where Gorilla does better.
    init?(_ samples: [Sample]) {
        var scale = 0
        for sample in samples {
            guard let e = Self.smallestScale(sample.v) else { continue }
            scale = max(scale, e)
        }
        let power = ColumnBlock.powersOfTen[scale]
        var integers: [Int64] = []
        integers.reserveCapacity(samples.count)
        var exceptions: [(index: Int, bits: UInt64)] = []
        var previous: Int64 = 0
        for (index, sample) in samples.enumerated() {
            if let m = Self.integer(sample.v, power: power) {
                previous = m
            } else {
                exceptions.append((index, sample.v.bitPattern))
            }
            integers.append(previous)
        }
        guard exceptions.count * 8 <= samples.count else { return nil }
        self.scale = scale
        self.integers = integers
        self.exceptions = exceptions
    }

    /// The smallest `e` with `v == m / 10^e` exactly for an integer `m` below 2^53.
    static func smallestScale(_ v: Double) -> Int? {
        guard v.isFinite else { return nil }
        for (e, power) in ColumnBlock.powersOfTen.enumerated() where integer(v, power: power) != nil { return e }
        return nil
    }

    /// `m` with `m / power == v` bit for bit, if there is one below 2^53.
    static func integer(_ v: Double, power: Double) -> Int64? {
        let scaled = (v * power).rounded()
        guard abs(scaled) <= ColumnBlock.maxExact else { return nil }  // also false for NaN and infinities
        let m = Int64(scaled)
        return (Double(m) / power).bitPattern == v.bitPattern ? m : nil
    }

    func append(to payload: inout [UInt8]) {
        // Counters grow by similar steps (delta-of-deltas near zero); gauges wander (deltas near zero).
        var deltaBytes = 0, dodBytes = 0
        var previousDelta: Int64 = 0
        for index in integers.indices.dropFirst() {
            let delta = integers[index] &- integers[index - 1]
            deltaBytes += Self.zigzagLength(delta)
            dodBytes += Self.zigzagLength(index == 1 ? delta : delta &- previousDelta)
            previousDelta = delta
        }
        let secondOrder = dodBytes < deltaBytes
        payload.append(UInt8(scale))
        payload.append(secondOrder ? 2 : 1)
        Varint.append(UInt64(exceptions.count), to: &payload)
        var lastIndex = 0
        for exception in exceptions {
            Varint.append(UInt64(exception.index - lastIndex), to: &payload)
            lastIndex = exception.index
            var bits = exception.bits.littleEndian
            withUnsafeBytes(of: &bits) { payload.append(contentsOf: $0) }
        }
        Varint.appendSigned(integers[0], to: &payload)
        previousDelta = 0
        for index in integers.indices.dropFirst() {
            let delta = integers[index] &- integers[index - 1]
            Varint.appendSigned(secondOrder && index > 1 ? delta &- previousDelta : delta, to: &payload)
            previousDelta = delta
        }
    }

    static func zigzagLength(_ value: Int64) -> Int {
        let raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        return (64 - raw.leadingZeroBitCount + 6) / 7 + (raw == 0 ? 1 : 0)
    }
}

/// PayloadReader decodes a column block's payload, throwing at the first inconsistency instead of trapping.
private struct PayloadReader {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func decode(mint: Timestamp, maxt: Timestamp, into samples: inout [Sample]) throws(ChunkError) {
        let count = try varint("the sample count")
        // Every timestamp takes at least one byte, which bounds the count by the payload's size.
        guard count >= 1, count <= UInt64(bytes.count) else { throw malformed("sample count \(count) does not fit the payload") }
        let n = Int(count)
        var times = [Timestamp](repeating: 0, count: n)
        times[0] = try signed("the first timestamp")
        var delta: Int64 = 0
        for index in 1..<max(n, 1) {
            let difference = try signed("a timestamp delta")
            delta = index == 1 ? difference : delta &+ difference
            times[index] = times[index - 1] &+ delta
            guard times[index] > times[index - 1] else { throw malformed("timestamp \(times[index]) after \(times[index - 1])") }
        }
        // Rows are read whole; only the samples in [mint, maxt] are kept.
        let first = times.firstIndex { $0 >= mint } ?? n
        var end = first
        while end < n && times[end] <= maxt { end += 1 }
        guard offset < bytes.count else { throw truncated("the value kind") }
        let kind = bytes[offset]
        offset += 1
        switch kind {
        case 0: try decodeDecimals(times, keep: first..<end, into: &samples)
        case 1: try decodeFloats(times, keep: first..<end, into: &samples)
        default: throw malformed("unknown value kind \(kind)")
        }
    }

    private mutating func decodeDecimals(_ times: [Timestamp], keep: Range<Int>, into samples: inout [Sample]) throws(ChunkError) {
        guard offset + 2 <= bytes.count else { throw truncated("the scale and order bytes") }
        let scale = Int(bytes[offset]), order = bytes[offset + 1]
        offset += 2
        guard scale < ColumnBlock.powersOfTen.count, order == 1 || order == 2 else {
            throw malformed("scale \(scale) or order \(order) out of range")
        }
        let power = ColumnBlock.powersOfTen[scale]
        let exceptionCount = try varint("the exception count")
        guard exceptionCount <= UInt64(times.count) else { throw malformed("\(exceptionCount) exceptions for \(times.count) samples") }
        var exceptions: [Int: UInt64] = [:]
        var index: UInt64 = 0
        for _ in 0..<Int(exceptionCount) {
            let (sum, overflow) = index.addingReportingOverflow(try varint("an exception position"))
            guard !overflow, sum < UInt64(times.count), offset + 8 <= bytes.count else { throw malformed("exception at \(sum) is out of range") }
            index = sum
            var bits: UInt64 = 0
            for byte in 0..<8 { bits |= UInt64(bytes[offset + byte]) << (8 * UInt64(byte)) }
            offset += 8
            exceptions[Int(index)] = bits
        }
        var m = try signed("the first value")
        var delta: Int64 = 0
        samples.reserveCapacity(samples.count + keep.count)
        for position in 0..<keep.upperBound {
            if position > 0 {
                let difference = try signed("a value difference")
                delta = order == 2 && position > 1 ? delta &+ difference : difference
                m = m &+ delta
            }
            guard position >= keep.lowerBound else { continue }
            let v = exceptions[position].map { Double(bitPattern: $0) } ?? Double(m) / power
            samples.append(Sample(t: times[position], v: v))
        }
    }

    private mutating func decodeFloats(_ times: [Timestamp], keep: Range<Int>, into samples: inout [Sample]) throws(ChunkError) {
        var reader = BitReader(bytes: bytes, offset: offset)
        guard var value = reader.readBits(64) else { throw truncated("the first value") }
        var windowLeading = 0, windowMeaningful = 0
        samples.reserveCapacity(samples.count + keep.count)
        for position in 0..<keep.upperBound {
            if position > 0 {
                guard let changed = reader.readBit() else { throw truncated("a value's change bit") }
                if changed {
                    guard let fresh = reader.readBit() else { throw truncated("a value's window bit") }
                    if fresh {
                        guard let leading = reader.readBits(5), let length = reader.readBits(6) else { throw truncated("a value window") }
                        windowLeading = Int(leading)
                        windowMeaningful = length == 0 ? 64 : Int(length)
                        guard windowLeading + windowMeaningful <= 64 else { throw malformed("value window exceeds 64 bits") }
                    } else if windowMeaningful == 0 {
                        throw malformed("a value reuses an XOR window before one was set")
                    }
                    guard let xor = reader.readBits(windowMeaningful) else { throw truncated("\(windowMeaningful) value bits") }
                    value ^= xor &<< UInt64(64 - windowLeading - windowMeaningful)
                }
            }
            if position >= keep.lowerBound { samples.append(Sample(t: times[position], v: Double(bitPattern: value))) }
        }
    }

    private mutating func varint(_ field: String) throws(ChunkError) -> UInt64 {
        guard let value = Varint.read(bytes, &offset) else { throw truncated(field) }
        return value
    }

    private mutating func signed(_ field: String) throws(ChunkError) -> Int64 {
        guard let value = Varint.readSigned(bytes, &offset) else { throw truncated(field) }
        return value
    }

    @inline(never)
    private func truncated(_ field: String) -> ChunkError {
        ChunkError(.truncated, "expected \(field) at payload byte \(offset) of \(bytes.count)", bitOffset: offset * 8)
    }

    @inline(never)
    private func malformed(_ message: String) -> ChunkError {
        ChunkError(.malformed, message, bitOffset: offset * 8)
    }
}
