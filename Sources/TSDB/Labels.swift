/// Milliseconds since the Unix epoch: the one time unit inside TSDB and PromQL.
public typealias Timestamp = Int64

/// One label pair of a series.
public struct Label: Hashable, Sendable, Comparable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public static func < (lhs: Label, rhs: Label) -> Bool {
        lhs.name != rhs.name ? lhs.name < rhs.name : lhs.value < rhs.value
    }
}

/// A series' identity: label pairs sorted by name, names unique, empty values dropped.
///
/// The metric name is the `__name__` label, as in Prometheus. Empty values are dropped because
/// Prometheus treats a label with an empty value as absent.
public struct Labels: Hashable, Sendable, RandomAccessCollection, CustomStringConvertible {
    public private(set) var pairs: [Label]

    public static let metricName = "__name__"

    public init() { pairs = [] }

    /// Builds from pairs in any order; a later pair with the same name wins.
    public init(_ pairs: some Sequence<Label>) {
        var byName: [String: String] = [:]
        for pair in pairs { byName[pair.name] = pair.value }
        self.pairs = byName.filter { !$0.value.isEmpty }.map { Label($0.key, $0.value) }.sorted()
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
            if pairs[mid].name < name { low = mid + 1 } else { high = mid }
        }
        return low < pairs.count && pairs[low].name == name ? pairs[low].value : nil
    }

    public var name: String? { self[Self.metricName] }

    /// A copy with `name` set to `value`; an empty value removes the label.
    public func setting(_ name: String, to value: String) -> Labels {
        var copy = pairs.filter { $0.name != name }
        if !value.isEmpty {
            let index = copy.firstIndex { $0.name > name } ?? copy.endIndex
            copy.insert(Label(name, value), at: index)
        }
        return Labels(sortedPairs: copy)
    }

    public func removing(_ names: Set<String>) -> Labels {
        Labels(sortedPairs: pairs.filter { !names.contains($0.name) })
    }

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
        var pairs: [Label] = []
        var parts = key.split(separator: 0xFF, omittingEmptySubsequences: false)
        if parts.last?.isEmpty == true { parts.removeLast() }
        guard parts.count % 2 == 0 else { return nil }
        for i in stride(from: 0, to: parts.count, by: 2) {
            pairs.append(Label(String(decoding: parts[i], as: UTF8.self), String(decoding: parts[i + 1], as: UTF8.self)))
        }
        self.pairs = pairs
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}

extension Labels: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { Label($0.0, $0.1) })
    }
}
