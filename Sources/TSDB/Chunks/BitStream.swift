/// BitWriter appends bit fields, most significant bit first, to a growing byte array.
///
/// Chunks keep their header bytes in the same array, so the serialized form is always at hand
/// without copying. Unused bits of the last byte are zero, which readers rely on as padding.
struct BitWriter: Sendable, Equatable {
    private(set) var bytes: [UInt8]
    /// How many low bits of the last byte are still free (0...7).
    private var freeBits: Int

    init() {
        bytes = []
        freeBits = 0
    }

    /// Continues after `bitCount` bits already written to `bytes`, whose padding must be zero.
    init(bytes: [UInt8], bitCount: Int) {
        precondition(bitCount >= 0 && (bitCount + 7) / 8 == bytes.count, "bit count does not match the bytes")
        self.bytes = bytes
        self.freeBits = bytes.count * 8 - bitCount
    }

    /// Bits written so far, padding excluded.
    var bitCount: Int { bytes.count * 8 - freeBits }

    /// Appends whole bytes; used for headers, so it requires byte alignment.
    mutating func writeBytes(_ values: some Sequence<UInt8>) {
        precondition(freeBits == 0, "writeBytes needs a byte-aligned stream")
        bytes.append(contentsOf: values)
    }

    /// Replaces a byte already written, for header fields that change as samples arrive.
    mutating func overwriteByte(at index: Int, with value: UInt8) {
        bytes[index] = value
    }

    mutating func writeBit(_ bit: Bool) {
        if freeBits == 0 {
            bytes.append(0)
            freeBits = 8
        }
        freeBits -= 1
        if bit { bytes[bytes.count - 1] |= 1 << UInt8(freeBits) }
    }

    /// Appends the low `count` bits of `value` (0...64), highest first; higher bits are ignored.
    mutating func writeBits(_ value: UInt64, count: Int) {
        precondition(count >= 0 && count <= 64, "bit field width \(count) is outside 0...64")
        var remaining = count
        while remaining > 0 {
            if freeBits == 0 {
                bytes.append(0)
                freeBits = 8
            }
            let take = min(freeBits, remaining)
            let field = (value >> UInt64(remaining - take)) & ((1 << UInt64(take)) - 1)
            bytes[bytes.count - 1] |= UInt8(truncatingIfNeeded: field << UInt64(freeBits - take))
            freeBits -= take
            remaining -= take
        }
    }

    /// Appends an unsigned LEB128-style varint: 7-bit groups, low first, each behind a "more" bit.
    mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            writeBits(0x80 | (rest & 0x7F), count: 8)
            rest >>= 7
        }
        writeBits(rest, count: 8)
    }

    /// Appends a signed varint with zigzag mapping, so small negative numbers stay short.
    mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
}

/// BitReader reads bit fields, most significant bit first, from a byte array.
///
/// Every read returns nil when the input runs out rather than trapping, because chunk bytes come
/// from disk and may be truncated or garbage. Bits are staged in a 64-bit register so that the
/// decoding hot path touches the array once per byte, not once per bit.
struct BitReader: Sendable {
    private let bytes: [UInt8]
    /// Next byte of `bytes` to load into `register`.
    private var nextByte: Int
    /// Unread bits, left-aligned: the next bit to read is the register's top bit.
    private var register: UInt64 = 0
    /// How many bits of `register` are valid.
    private var available: Int = 0

    /// Reads `bytes` starting at byte `offset`, e.g. just after a header.
    init(bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.nextByte = min(max(offset, 0), bytes.count)
    }

    /// Reads `bytes` starting at bit `bitOffset`, where an earlier reader stopped.
    init(bytes: [UInt8], bitOffset: Int) {
        self.init(bytes: bytes, offset: bitOffset / 8)
        if bitOffset % 8 > 0 { _ = readBits(bitOffset % 8) }
    }

    /// Bits consumed since the start of the byte array (not of the offset), for error positions.
    var bitOffset: Int { nextByte * 8 - available }

    /// Bits left to read.
    var remainingBits: Int { (bytes.count - nextByte) * 8 + available }

    /// Tops the register up to at least 57 bits, or to everything that is left.
    ///
    /// Away from the end it takes whole bytes from one unaligned 8-byte load: byte-at-a-time
    /// loading was a sixth of decoding time.
    private mutating func refill() {
        if available <= 56 && nextByte + 8 <= bytes.count {
            let word = bytes.withUnsafeBytes { raw in
                UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: nextByte, as: UInt64.self))
            }
            let taken = (64 - available) / 8
            let unused = UInt64(64 - 8 * taken)
            register |= ((word &>> unused) &<< unused) &>> UInt64(available)
            nextByte += taken
            available += 8 * taken
            return
        }
        while available <= 56 && nextByte < bytes.count {
            register |= UInt64(bytes[nextByte]) &<< UInt64(56 - available)
            nextByte += 1
            available += 8
        }
    }

    @inline(__always)
    mutating func readBit() -> Bool? {
        if available == 0 {
            refill()
            if available == 0 { return nil }
        }
        let bit = register >> 63 != 0
        register &<<= 1
        available -= 1
        return bit
    }

    /// Reads a `count`-bit field (0...64) into the low bits of the result.
    @inline(__always)
    mutating func readBits(_ count: Int) -> UInt64? {
        guard count > 0, count <= available else { return readBitsSlowly(count) }
        let value = register &>> UInt64(64 - count)
        register &<<= UInt64(count)
        available -= count
        return value
    }

    /// Loads bits ahead of a run of small reads, so that they all take the fast path.
    @inline(__always)
    mutating func prefetch() {
        if available <= 56 { refill() }
    }

    /// The refilling half of `readBits`, kept out of line so the common case stays small.
    private mutating func readBitsSlowly(_ count: Int) -> UInt64? {
        switch count {
        case 1...57:
            refill()
            return count <= available ? readBits(count) : nil
        case 58...64:
            // One refill guarantees only 57 bits, so wide fields come in two halves.
            guard count <= remainingBits, let high = readBits(count - 32), let low = readBits(32) else { return nil }
            return high &<< 32 | low
        case 0:
            return 0
        default:
            return nil
        }
    }

    /// Counts leading one bits, stopping after a zero or after `limit` ones (at most 8).
    ///
    /// Bucket prefixes such as `0`, `10`, `110`, `1110` and `1111` are read this way; the zero that
    /// ends a prefix is consumed.
    @inline(__always)
    mutating func readUnaryPrefix(limit: Int) -> Int? {
        if available <= limit { refill() }
        guard available > limit else { return readUnaryPrefixSlowly(limit: limit) }
        let ones = Swift.min((~register).leadingZeroBitCount, limit)
        let used = ones < limit ? ones + 1 : limit
        register &<<= UInt64(used)
        available -= used
        return ones
    }

    /// Bit-by-bit prefix reading for the last few bits of the input.
    private mutating func readUnaryPrefixSlowly(limit: Int) -> Int? {
        var ones = 0
        while ones < limit {
            guard let bit = readBit() else { return nil }
            if !bit { return ones }
            ones += 1
        }
        return ones
    }

    /// Reads a varint written by `BitWriter.writeVarint`; nil when truncated or longer than 64 bits.
    mutating func readVarint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let group = readBits(8) else { return nil }
            let payload = group & 0x7F
            // The tenth group may only carry the single remaining bit of a 64-bit value.
            if shift == 63 && (payload > 1 || group & 0x80 != 0) { return nil }
            value |= payload << shift
            if group & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func readSignedVarint() -> Int64? {
        guard let raw = readVarint() else { return nil }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// Whether everything left is fewer than eight zero bits, i.e. the writer's padding.
    var atZeroPadding: Bool {
        let left = remainingBits
        guard left < 8 else { return false }
        var copy = self
        return copy.readBits(left) == 0
    }
}
