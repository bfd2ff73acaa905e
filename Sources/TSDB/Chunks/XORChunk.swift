/// XORChunk is a Gorilla-compressed run of one series' samples, as stored in SQLite.
///
/// Layout: a 3-byte header (encoding byte `0x01`, then the sample count as a big-endian UInt16)
/// followed by a bit stream, most significant bit first, zero-padded to a whole byte:
///
/// - sample 0: timestamp as a zigzag varint, value as its raw 64 bits;
/// - sample 1: timestamp delta as a varint, value XOR-encoded;
/// - later samples: timestamp delta-of-delta in a prefix bucket, value XOR-encoded.
///
/// Delta-of-delta buckets are `0` → 0, `10` + 7 bits, `110` + 14 bits, `1110` + 20 bits and
/// `1111` + 64 bits, all two's complement. The 7-bit bucket is there because millisecond scrape
/// timestamps jitter by a few ms, which gives delta-of-deltas within ±64; 14 bits cover ±8 s of
/// interval change, 20 bits ±8.7 min (missed scrapes), and the 64-bit escape any gap at all.
///
/// A value is `0` when its bits equal the previous value's. Otherwise it is `1`, then either `0`
/// and the XOR's meaningful bits inside the previous window, or `1` and a new window: 5 bits of
/// leading zeros (capped at 31), 6 bits of meaningful length (64 written as 0), then the bits.
/// Values are compared as bit patterns, so NaN payloads and -0.0 survive unchanged.
public struct XORChunk: Sendable, Equatable, Sequence {
    /// The one encoding this type reads and writes, stored in the first header byte.
    public static let encoding: UInt8 = 0x01
    static let headerSize = 3

    /// Header and bit stream together, so `bytes` is ready to store without re-encoding.
    private var stream: BitWriter
    public private(set) var count: Int
    public private(set) var minTime: Timestamp?
    /// The previous sample as the encoding sees it, so the next append is O(1).
    private var state = CodecState()

    /// An empty chunk.
    public init() {
        stream = BitWriter()
        stream.writeBytes([Self.encoding, 0, 0])
        count = 0
    }

    /// Restores a chunk from `bytes`, decoding it once to check every sample and to resume appends.
    ///
    /// Checking the whole body here is what lets iteration be non-throwing: a chunk that exists is
    /// well formed. It costs one decode per restored chunk.
    public init(bytes: [UInt8]) throws(ChunkError) {
        guard bytes.count >= Self.headerSize else {
            throw ChunkError(
                .badHeader, "expected a \(Self.headerSize)-byte header, got \(bytes.count) bytes", bitOffset: 0)
        }
        guard bytes[0] == Self.encoding else {
            let hex = String(bytes[0], radix: 16, uppercase: true)
            throw ChunkError(
                .badHeader, "expected encoding byte 0x01, got 0x\(hex.count == 1 ? "0" : "")\(hex)", bitOffset: 0)
        }
        let count = Int(bytes[1]) << 8 | Int(bytes[2])
        var cursor = Cursor(bytes: bytes, count: count)
        var first: Timestamp?
        while let sample = try cursor.next() {
            if first == nil { first = sample.t }
        }
        guard cursor.reader.atZeroPadding else {
            throw ChunkError(
                .malformed,
                "expected only zero padding after the last sample, got \(cursor.reader.remainingBits) more bits",
                sampleIndex: count, bitOffset: cursor.reader.bitOffset)
        }
        self.stream = BitWriter(bytes: bytes, bitCount: cursor.reader.bitOffset)
        self.count = count
        self.minTime = first
        self.state = cursor.state
    }

    /// Decodes stored chunk bytes straight into `samples`, keeping those in [mint, maxt], without building a chunk.
    ///
    /// The read path's alternative to `init(bytes:)` plus iteration, which would decode every chunk twice;
    /// corruption still throws, at the sample where it is found.
    public static func appendSamples(from bytes: [UInt8], mint: Timestamp, maxt: Timestamp, into samples: inout [Sample]) throws(ChunkError) {
        guard bytes.count >= headerSize, bytes[0] == encoding else {
            throw ChunkError(.badHeader, "expected a chunk header with encoding 0x01", bitOffset: 0)
        }
        var cursor = Cursor(bytes: bytes, count: Int(bytes[1]) << 8 | Int(bytes[2]))
        while let sample = try cursor.next() {
            if sample.t > maxt { break }
            if sample.t >= mint { samples.append(sample) }
        }
    }

    /// Appends this chunk's samples in [mint, maxt] to `samples`, stopping at the first one after `maxt`.
    ///
    /// With a `resumePoint` taken from this chunk whose last sample is before `mint`, decoding
    /// starts there instead of at the first sample.
    public func appendSamples(mint: Timestamp, maxt: Timestamp, resumingAt point: ResumePoint? = nil, into samples: inout [Sample]) {
        var cursor = Cursor(bytes: stream.bytes, count: count)
        if let point, point.index > 0, Int(point.index) <= count, point.lastTime < mint {
            cursor = Cursor(bytes: stream.bytes, count: count, resumingAt: point)
        }
        // A chunk in memory was either built by appends or checked by `init(bytes:)`, so it decodes.
        while let sample = try? cursor.next() {
            if sample.t > maxt { break }
            if sample.t >= mint { samples.append(sample) }
        }
    }

    /// The decoder's positions after every `spacing`-th sample, for a chunk restored from bytes.
    public func resumePoints(every spacing: Int) -> [ResumePoint] {
        var cursor = Cursor(bytes: stream.bytes, count: count)
        var points: [ResumePoint] = []
        while (try? cursor.next()) != nil {
            if cursor.index % spacing == 0 { points.append(cursor.resumePoint) }
        }
        return points
    }

    /// The decoder's position after the last sample, to resume decoding there later.
    public var resumePoint: ResumePoint { ResumePoint(state, bitOffset: stream.bitCount, index: count) }

    /// The serialized chunk: header and bit stream.
    public var bytes: [UInt8] { stream.bytes }

    /// The last sample's timestamp.
    public var maxTime: Timestamp? { count > 0 ? state.t : nil }

    /// The last sample's value, bit for bit.
    public var lastValue: Double? { count > 0 ? Double(bitPattern: state.valueBits) : nil }

    public var underestimatedCount: Int { count }

    /// Appends a sample; `t` must be later than every timestamp already in the chunk.
    public mutating func append(t: Timestamp, v: Double) {
        precondition(count < Int(UInt16.max), "an XORChunk holds at most \(UInt16.max) samples")
        precondition(count == 0 || t > state.t, "XORChunk timestamps must increase: \(t) after \(state.t)")
        let bits = v.bitPattern
        switch count {
        case 0:
            stream.writeSignedVarint(t)
            stream.writeBits(bits, count: 64)
            state.valueBits = bits
            minTime = t
        case 1:
            let delta = UInt64(bitPattern: t &- state.t)
            stream.writeVarint(delta)
            state.delta = delta
            writeValue(bits)
        default:
            // Deltas live in UInt64 and wrap, so even Int64.min → Int64.max cannot overflow.
            let delta = UInt64(bitPattern: t &- state.t)
            writeDeltaOfDelta(Int64(bitPattern: delta &- state.delta))
            state.delta = delta
            writeValue(bits)
        }
        state.t = t
        count += 1
        stream.overwriteByte(at: 1, with: UInt8(count >> 8))
        stream.overwriteByte(at: 2, with: UInt8(count & 0xFF))
    }

    private mutating func writeDeltaOfDelta(_ dod: Int64) {
        if dod == 0 {
            stream.writeBit(false)
            return
        }
        for ones in 1...3 {
            let width = DeltaOfDelta.width(afterOnes: ones)
            guard DeltaOfDelta.fits(dod, width: width) else { continue }
            stream.writeBits((1 << UInt64(ones + 1)) - 2, count: ones + 1)  // `ones` ones, then a zero
            stream.writeBits(UInt64(bitPattern: dod), count: width)
            return
        }
        stream.writeBits(0b1111, count: 4)
        stream.writeBits(UInt64(bitPattern: dod), count: DeltaOfDelta.width(afterOnes: 4))
    }

    private mutating func writeValue(_ bits: UInt64) {
        let xor = bits ^ state.valueBits
        state.valueBits = bits
        guard xor != 0 else {
            stream.writeBit(false)
            return
        }
        let leading = Swift.min(xor.leadingZeroBitCount, 31)
        let trailing = xor.trailingZeroBitCount
        let meaningful = 64 - leading - trailing
        let window = state.window
        // Reuse the window when the XOR fits and doing so is no dearer than the 11 bits of a new
        // window's description; a stale, over-wide window would otherwise tax every later value.
        if window.meaningful > 0, leading >= window.leading, trailing >= window.trailing,
            window.meaningful <= meaningful + 11
        {
            stream.writeBits(0b10, count: 2)
            stream.writeBits(xor &>> UInt64(window.trailing), count: window.meaningful)
        } else {
            stream.writeBits(0b11, count: 2)
            stream.writeBits(UInt64(leading), count: 5)
            stream.writeBits(UInt64(meaningful & 63), count: 6)
            stream.writeBits(xor &>> UInt64(trailing), count: meaningful)
            state.window = Window(leading: leading, meaningful: meaningful)
        }
    }

    /// Decodes every sample, throwing the sample and bit where the stream breaks.
    ///
    /// `init(bytes:)` has already checked the stream, so this throws only if that invariant broke.
    public func decodeAll() throws(ChunkError) -> [Sample] {
        var cursor = Cursor(bytes: stream.bytes, count: count)
        var samples: [Sample] = []
        samples.reserveCapacity(count)
        while let sample = try cursor.next() { samples.append(sample) }
        return samples
    }

    public func makeIterator() -> Iterator { Iterator(cursor: Cursor(bytes: stream.bytes, count: count)) }

    /// Iterator yields samples in time order without allocating per sample.
    public struct Iterator: IteratorProtocol, Sendable {
        fileprivate var cursor: Cursor

        /// The next sample; nil at the end (or at corruption, which `init(bytes:)` already rules out).
        public mutating func next() -> Sample? { try? cursor.next() }
    }

    public static func == (lhs: XORChunk, rhs: XORChunk) -> Bool { lhs.bytes == rhs.bytes }
}

/// ResumePoint is a decoder position inside one chunk: the state after its first `index` samples.
///
/// Gorilla chunks decode only from the start, so a query for the newest few samples of a head
/// chunk would otherwise decode all of it. 32 bytes, so series can keep a few.
public struct ResumePoint: Sendable, Equatable {
    /// lastTime is the time of the last sample before this point.
    public internal(set) var lastTime: Timestamp
    var delta: UInt64
    var valueBits: UInt64
    var bitOffset: UInt32
    /// index is the number of samples before this point; 0 marks an unset point.
    public internal(set) var index: UInt16
    var leading: UInt8
    var meaningful: UInt8

    /// unset resumes nowhere; `appendSamples` ignores it.
    public static let unset = ResumePoint(lastTime: .min, delta: 0, valueBits: 0, bitOffset: 0, index: 0, leading: 0, meaningful: 0)
}

extension ResumePoint {
    fileprivate init(_ state: CodecState, bitOffset: Int, index: Int) {
        self.init(
            lastTime: state.t, delta: state.delta, valueBits: state.valueBits, bitOffset: UInt32(truncatingIfNeeded: bitOffset),
            index: UInt16(truncatingIfNeeded: index), leading: UInt8(truncatingIfNeeded: state.window.leading),
            meaningful: UInt8(truncatingIfNeeded: state.window.meaningful))
    }
}

/// ChunkError says why chunk bytes could not be decoded and where.
public struct ChunkError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The header is short, has an unknown encoding, or disagrees with the body.
        case badHeader = "bad header"
        /// The bit stream ended before the header's sample count was reached.
        case truncated
        /// The bits are present but cannot be a valid encoding.
        case malformed
    }

    public var code: Code
    public var message: String
    /// The sample being decoded when decoding failed, counting from 0.
    public var sampleIndex: Int?
    /// Bit position in the chunk bytes (header included) where decoding stopped.
    public var bitOffset: Int?

    public init(_ code: Code, _ message: String, sampleIndex: Int? = nil, bitOffset: Int? = nil) {
        self.code = code
        self.message = message
        self.sampleIndex = sampleIndex
        self.bitOffset = bitOffset
    }

    /// E.g. `bit 97, sample 3: truncated: …`.
    public var description: String {
        var place: [String] = []
        if let bitOffset { place.append("bit \(bitOffset)") }
        if let sampleIndex { place.append("sample \(sampleIndex)") }
        let prefix = place.isEmpty ? "" : place.joined(separator: ", ") + ": "
        return "\(prefix)\(code.rawValue): \(message)"
    }
}

/// Window is the span of meaningful bits that XOR'd values may reuse; `meaningful == 0` means none.
private struct Window: Sendable {
    var leading = 0
    var meaningful = 0
    var trailing: Int { 64 - leading - meaningful }
}

/// CodecState is the previous sample as both encoder and decoder track it, so they stay in step.
private struct CodecState: Sendable {
    var t: Timestamp = 0
    var delta: UInt64 = 0
    var valueBits: UInt64 = 0
    var window = Window()
}

/// DeltaOfDelta holds the timestamp buckets shared by the encoder and the decoder.
private enum DeltaOfDelta {
    static func fits(_ value: Int64, width: Int) -> Bool {
        let half = Int64(1) << Int64(width - 1)
        return value >= -half && value < half
    }

    /// Payload width for a prefix of `ones` one-bits (0...4); 0 means the delta-of-delta is 0.
    @inline(__always)
    static func width(afterOnes ones: Int) -> Int {
        switch ones {
        case 0: 0
        case 1: 7
        case 2: 14
        case 3: 20
        default: 64
        }
    }
}

/// Cursor walks a chunk's bit stream one sample at a time, throwing on corruption.
private struct Cursor: Sendable {
    var reader: BitReader
    let count: Int
    var index = 0
    var state = CodecState()

    init(bytes: [UInt8], count: Int) {
        reader = BitReader(bytes: bytes, offset: XORChunk.headerSize)
        self.count = count
    }

    /// Where this cursor is: after `index` samples.
    var resumePoint: ResumePoint { ResumePoint(state, bitOffset: reader.bitOffset, index: index) }

    /// A cursor positioned at `point`, which must come from the chunk these bytes belong to.
    init(bytes: [UInt8], count: Int, resumingAt point: ResumePoint) {
        reader = BitReader(bytes: bytes, bitOffset: Int(point.bitOffset))
        self.count = count
        index = Int(point.index)
        state = CodecState(
            t: point.lastTime, delta: point.delta, valueBits: point.valueBits,
            window: Window(leading: Int(point.leading), meaningful: Int(point.meaningful)))
    }

    mutating func next() throws(ChunkError) -> Sample? {
        guard index < count else { return nil }
        let t: Timestamp
        switch index {
        case 0:
            guard let first = reader.readSignedVarint() else { throw varintFailure(.firstTimestamp) }
            guard let bits = reader.readBits(64) else { throw failure(.firstValue) }
            state.valueBits = bits
            t = first
        case 1:
            guard let delta = reader.readVarint() else { throw varintFailure(.delta) }
            state.delta = delta
            t = state.t &+ Int64(bitPattern: delta)
            try readValue()
        default:
            reader.prefetch()
            guard let ones = reader.readUnaryPrefix(limit: 4) else { throw failure(.deltaOfDeltaPrefix) }
            let width = DeltaOfDelta.width(afterOnes: ones)
            if width > 0 {
                guard let raw = reader.readBits(width) else { throw failure(.deltaOfDelta(width)) }
                let shift = UInt64(64 - width)
                state.delta &+= UInt64(bitPattern: Int64(bitPattern: raw &<< shift) &>> shift)
            }
            t = state.t &+ Int64(bitPattern: state.delta)
            try readValue()
        }
        guard index == 0 || t > state.t else { throw notIncreasing(t) }
        state.t = t
        index += 1
        return Sample(t: t, v: Double(bitPattern: state.valueBits))
    }

    private mutating func readValue() throws(ChunkError) {
        guard let changed = reader.readBit() else { throw failure(.changeBit) }
        guard changed else { return }
        guard let fresh = reader.readBit() else { throw failure(.windowBit) }
        if fresh {
            guard let leading = reader.readBits(5), let length = reader.readBits(6) else { throw failure(.window) }
            let meaningful = length == 0 ? 64 : Int(length)
            guard Int(leading) + meaningful <= 64 else { throw oversizedWindow(Int(leading), meaningful) }
            state.window = Window(leading: Int(leading), meaningful: meaningful)
        } else if state.window.meaningful == 0 {
            throw malformed("value reuses the previous XOR window, but none was set yet")
        }
        guard let xor = reader.readBits(state.window.meaningful) else {
            throw failure(.meaningfulBits(state.window.meaningful))
        }
        state.valueBits ^= xor &<< UInt64(state.window.trailing)
    }

    /// Field names a part of a sample's encoding, for error messages.
    enum Field: CustomStringConvertible {
        case firstTimestamp, firstValue, delta, deltaOfDeltaPrefix, deltaOfDelta(Int)
        case changeBit, windowBit, window, meaningfulBits(Int)

        var description: String {
            switch self {
            case .firstTimestamp: "the first timestamp (varint)"
            case .firstValue: "the first value (64 bits)"
            case .delta: "the timestamp delta (varint)"
            case .deltaOfDeltaPrefix: "a delta-of-delta prefix"
            case .deltaOfDelta(let width): "a \(width)-bit delta-of-delta"
            case .changeBit: "a value's change bit"
            case .windowBit: "a value's window bit"
            case .window: "a value window (11 bits)"
            case .meaningfulBits(let count): "\(count) meaningful value bits"
            }
        }
    }

    // The error builders stay out of line so that the decoding loop carries no string code.

    @inline(never)
    private func failure(_ field: Field) -> ChunkError {
        ChunkError(
            .truncated, "expected \(field), got only \(reader.remainingBits) bits",
            sampleIndex: index, bitOffset: reader.bitOffset)
    }

    /// A varint fails either by running out of bits or by running past 64 bits of payload.
    @inline(never)
    private func varintFailure(_ field: Field) -> ChunkError {
        guard reader.remainingBits >= 8 else { return failure(field) }
        return malformed("expected \(field) of at most 64 bits, got a longer one")
    }

    @inline(never)
    private func notIncreasing(_ t: Timestamp) -> ChunkError {
        malformed("expected a timestamp after \(state.t), got \(t)")
    }

    @inline(never)
    private func oversizedWindow(_ leading: Int, _ meaningful: Int) -> ChunkError {
        malformed("value window of \(leading) leading zeros and \(meaningful) bits exceeds 64 bits")
    }

    @inline(never)
    private func malformed(_ message: String) -> ChunkError {
        ChunkError(.malformed, message, sampleIndex: index, bitOffset: reader.bitOffset)
    }
}
