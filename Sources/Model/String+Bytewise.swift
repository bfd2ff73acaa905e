/// Byte-exact comparison of strings, as Go compares them.
///
/// Swift's `String` `==`, `<` and hashing treat canonically equivalent text as equal ("café" written with a
/// precomposed "é" equals "cafe" + U+0301). Prometheus compares the UTF-8 bytes, so two label values that differ
/// only in normalisation are two different series; everything that identifies series goes through these instead.
extension String {
    /// Whether both strings have the same UTF-8 bytes.
    @inlinable
    public func utf8Equal(_ other: String) -> Bool {
        let count = utf8.count
        guard count == other.utf8.count else { return false }
        if let result = utf8.withContiguousStorageIfAvailable({ lhs in
            other.utf8.withContiguousStorageIfAvailable { rhs in
                guard let left = lhs.baseAddress, let right = rhs.baseAddress else { return count == 0 }
                return memoryEqual(left, right, count)
            }
        }), let result {
            return result
        }
        return utf8.elementsEqual(other.utf8)
    }

    /// Whether this string sorts before `other` by UTF-8 bytes (which is also Unicode scalar order).
    @inlinable
    public func utf8Less(_ other: String) -> Bool {
        if let result = utf8.withContiguousStorageIfAvailable({ lhs in
            other.utf8.withContiguousStorageIfAvailable { rhs in bytesLess(lhs, rhs) }
        }), let result {
            return result
        }
        return utf8.lexicographicallyPrecedes(other.utf8)
    }

    /// Feeds the UTF-8 bytes and their count to `hasher`, so that hashing agrees with `utf8Equal`.
    @inlinable
    public func hashUTF8(into hasher: inout Hasher) {
        let count = utf8.count
        hasher.combine(count)
        if utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            for byte in utf8 { hasher.combine(byte) }
        }
    }
}

@usableFromInline
func memoryEqual(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    if lhs == rhs { return true }
    var index = 0
    // Eight bytes at a time; label values are short, so no call into libc.
    while index + 8 <= count {
        let left = UnsafeRawPointer(lhs + index).loadUnaligned(as: UInt64.self)
        let right = UnsafeRawPointer(rhs + index).loadUnaligned(as: UInt64.self)
        if left != right { return false }
        index += 8
    }
    while index < count {
        if lhs[index] != rhs[index] { return false }
        index += 1
    }
    return true
}

@usableFromInline
func bytesLess(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Bool {
    let common = Swift.min(lhs.count, rhs.count)
    var index = 0
    while index < common {
        let left = lhs[index], right = rhs[index]
        if left != right { return left < right }
        index += 1
    }
    return lhs.count < rhs.count
}

/// A `String` that is equal, hashed and ordered by its UTF-8 bytes: the key type for label values in dictionaries
/// and sets, where `String` keys would merge canonically equivalent values.
public struct ByteString: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var string: String

    @inlinable
    public init(_ string: String) { self.string = string }

    public init(stringLiteral value: String) { self.string = value }

    @inlinable
    public static func == (lhs: ByteString, rhs: ByteString) -> Bool { lhs.string.utf8Equal(rhs.string) }

    @inlinable
    public static func < (lhs: ByteString, rhs: ByteString) -> Bool { lhs.string.utf8Less(rhs.string) }

    @inlinable
    public func hash(into hasher: inout Hasher) { string.hashUTF8(into: &hasher) }

    public var description: String { string }
}

extension Sequence where Element == String {
    /// The strings sorted by UTF-8 bytes, as Go's `sort.Strings`.
    public func sortedByBytes() -> [String] { sorted { $0.utf8Less($1) } }

    /// The strings with byte-identical duplicates removed, in first-seen order.
    public func uniquedByBytes() -> [String] {
        var seen = Set<ByteString>()
        return filter { seen.insert(ByteString($0)).inserted }
    }
}
