/// Milliseconds since the Unix epoch: the one time unit inside TSDB and PromQL.
public typealias Timestamp = Int64

/// One label pair of a series.
///
/// Equality, hashing and ordering compare UTF-8 bytes, as Go compares strings: values that differ only in Unicode
/// normalisation (NFC "café" and NFD "cafe\u{301}") are different labels, never merged.
public struct Label: Hashable, Sendable, Comparable {
    public var name: String
    public var value: String

    @inlinable
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    @inlinable
    public static func == (lhs: Label, rhs: Label) -> Bool {
        lhs.name.utf8Equal(rhs.name) && lhs.value.utf8Equal(rhs.value)
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        name.hashUTF8(into: &hasher)
        value.hashUTF8(into: &hasher)
    }

    @inlinable
    public static func < (lhs: Label, rhs: Label) -> Bool {
        lhs.name.utf8Equal(rhs.name) ? lhs.value.utf8Less(rhs.value) : lhs.name.utf8Less(rhs.name)
    }
}

/// A series' identity: label pairs sorted by name, names unique, empty values dropped.
///
/// The metric name is the `__name__` label, as in Prometheus. Empty values are dropped because
/// Prometheus treats a label with an empty value as absent. Names and values compare as bytes (see `Label`).
public struct Labels: Hashable, Sendable, RandomAccessCollection, CustomStringConvertible {
    public private(set) var pairs: [Label]

    public static let metricName = "__name__"

    public init() { pairs = [] }

    /// Builds from pairs in any order; a later pair with the same name wins.
    public init(_ pairs: some Sequence<Label>) {
        // A stable sort keeps pairs of one name in input order, so the last of each run is the one that wins.
        let sorted = pairs.enumerated().sorted { lhs, rhs in
            lhs.element.name.utf8Equal(rhs.element.name) ? lhs.offset < rhs.offset : lhs.element.name.utf8Less(rhs.element.name)
        }
        var result: [Label] = []
        result.reserveCapacity(sorted.count)
        for (index, entry) in sorted.enumerated() {
            let isLastOfName = index + 1 == sorted.count || !sorted[index + 1].element.name.utf8Equal(entry.element.name)
            if isLastOfName && !entry.element.value.isEmpty { result.append(entry.element) }
        }
        self.pairs = result
    }

    public init(_ dictionary: [String: String]) {
        self.init(dictionary.map { Label($0.key, $0.value) })
    }

    /// Wraps pairs the caller guarantees are sorted by name, unique and non-empty.
    public init(sortedPairs: [Label]) {
        self.pairs = sortedPairs
    }

    public var startIndex: Int { pairs.startIndex }
    public var endIndex: Int { pairs.endIndex }
    public subscript(position: Int) -> Label { pairs[position] }

    /// The value of a label, or nil when the series has no such label.
    public subscript(name: String) -> String? {
        var low = 0, high = pairs.count
        while low < high {
            let mid = (low + high) / 2
            if pairs[mid].name.utf8Less(name) { low = mid + 1 } else { high = mid }
        }
        return low < pairs.count && pairs[low].name.utf8Equal(name) ? pairs[low].value : nil
    }

    public var name: String? { self[Self.metricName] }

    /// A copy with `name` set to `value`; an empty value removes the label.
    public func setting(_ name: String, to value: String) -> Labels {
        var copy = pairs.filter { !$0.name.utf8Equal(name) }
        if !value.isEmpty {
            let index = copy.firstIndex { name.utf8Less($0.name) } ?? copy.endIndex
            copy.insert(Label(name, value), at: index)
        }
        return Labels(sortedPairs: copy)
    }

    /// A copy without the labels named in `names` (label names are ASCII, so `String` set membership is bytewise).
    public func removing(_ names: Set<String>) -> Labels {
        Labels(sortedPairs: pairs.filter { !names.contains($0.name) })
    }

    /// A copy with only the labels named in `names`.
    public func keeping(_ names: Set<String>) -> Labels {
        Labels(sortedPairs: pairs.filter { names.contains($0.name) })
    }

    public var withoutMetricName: Labels { removing([Self.metricName]) }

    /// Prometheus's notation: `metric{a="1", b="2"}`, or `{a="1"}` without a metric name.
    public var description: String {
        let rest = pairs.filter { $0.name != Self.metricName }
            .map { "\($0.name)=\"\(Self.escape($0.value))\"" }
            .joined(separator: ", ")
        let metric = name ?? ""
        return rest.isEmpty && !metric.isEmpty ? metric : "\(metric){\(rest)}"
    }

    /// A compact, unambiguous byte key for the series index: names and values separated by 0xFF.
    public var key: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pairs.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 })
        for pair in pairs {
            bytes.append(contentsOf: pair.name.utf8)
            bytes.append(0xFF)
            bytes.append(contentsOf: pair.value.utf8)
            bytes.append(0xFF)
        }
        return bytes
    }

    /// Inverse of `key`.
    public init?(key: some Collection<UInt8>) {
        // One scan over contiguous bytes: the generic `split` was a twentieth of opening a store of 1,000 series.
        if let decoded = key.withContiguousStorageIfAvailable({ Self.pairs(fromKey: $0) }) {
            guard let decoded else { return nil }
            pairs = decoded
        } else {
            guard let decoded = Array(key).withUnsafeBufferPointer({ Self.pairs(fromKey: $0) }) else { return nil }
            pairs = decoded
        }
    }

    /// Fields separated by 0xFF, a trailing separator allowed, read as name/value pairs; nil for an odd count.
    private static func pairs(fromKey bytes: UnsafeBufferPointer<UInt8>) -> [Label]? {
        var fields: [String] = []
        var start = 0
        for index in bytes.indices where bytes[index] == 0xFF {
            fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
            start = index + 1
        }
        if start < bytes.count {
            fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
        }
        guard fields.count % 2 == 0 else { return nil }
        var pairs: [Label] = []
        pairs.reserveCapacity(fields.count / 2)
        for i in stride(from: 0, to: fields.count, by: 2) { pairs.append(Label(fields[i], fields[i + 1])) }
        return pairs
    }

    /// A label value escaped for the selector notation: backslash, double quote and newline.
    public static func escape(_ value: String) -> String {
        var out = ""
        // Unicode scalars, not Characters: escaping must not merge or reorder combining marks.
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension Labels: Comparable {
    /// Orders series as Prometheus sorts them: pair by pair, name then value, by bytes.
    public static func < (lhs: Labels, rhs: Labels) -> Bool {
        for (a, b) in zip(lhs.pairs, rhs.pairs) where a != b {
            return a < b
        }
        return lhs.count < rhs.count
    }
}

extension Labels: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { Label($0.0, $0.1) })
    }
}
