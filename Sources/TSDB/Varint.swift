/// Unsigned LEB128 and zig-zag helpers for the compact head-log records.
enum Varint {
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    static func appendSigned(_ value: Int64, to bytes: inout [UInt8]) {
        append(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &bytes)
    }

    /// Reads at `offset`, advancing it; nil when the bytes end mid-number or overflow 64 bits.
    static func read(_ bytes: [UInt8], _ offset: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }

    static func readSigned(_ bytes: [UInt8], _ offset: inout Int) -> Int64? {
        guard let raw = read(bytes, &offset) else { return nil }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }
}

/// One commit's accepted samples, as stored in the head log until the next checkpoint.
struct SampleLogRecord {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0
    private var previousT: Timestamp = 0
    /// The newest timestamp in the record, which lets a held log be trimmed by retention.
    private(set) var maxT: Timestamp = .min

    mutating func append(ref: SeriesRef, t: Timestamp, v: Double) {
        Varint.append(UInt64(ref), to: &bytes)
        Varint.appendSigned(t &- previousT, to: &bytes)
        previousT = t
        maxT = max(maxT, t)
        var bits = v.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
        count += 1
    }

    var isEmpty: Bool { bytes.isEmpty }

    /// Decodes a record; nil when it is corrupt.
    static func decode(_ bytes: [UInt8]) -> [(ref: SeriesRef, t: Timestamp, v: Double)]? {
        var samples: [(ref: SeriesRef, t: Timestamp, v: Double)] = []
        var offset = 0
        var t: Timestamp = 0
        while offset < bytes.count {
            guard let ref = Varint.read(bytes, &offset), let delta = Varint.readSigned(bytes, &offset), offset + 8 <= bytes.count else {
                return nil
            }
            t = t &+ delta
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            samples.append((SeriesRef(ref), t, Double(bitPattern: bits)))
        }
        return samples
    }
}
