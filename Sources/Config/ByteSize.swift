/// ByteSize is an amount of bytes written with a unit, as in `body_size_limit: 10MB`.
///
/// Prometheus reads these with base-2 units, so `KB` and `KiB` both mean 1024 bytes; a unit is required except for
/// a bare `0`. Numbers may have a fraction and may be chained (`1MB512KB`), as Prometheus allows.
public struct ByteSize: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var bytes: Int64

    public init(bytes: Int64) {
        self.bytes = bytes
    }

    public static let zero = ByteSize(bytes: 0)

    private static let multipliers: [String: Double] = {
        var map: [String: Double] = ["B": 1]
        var size = 1.0
        for prefix in ["K", "M", "G", "T", "P", "E"] {
            size *= 1024
            map[prefix + "B"] = size
            map[prefix + "iB"] = size
        }
        return map
    }()

    /// Parses a size such as `512KiB`, `10MB` or `0`.
    public init(parsing text: String) throws(ParseError) {
        if text == "0" {
            self.init(bytes: 0)
            return
        }
        let invalid = ParseError(message: "invalid size \"\(text)\": expected a number and a unit (B, KB, MB, GB, TB, PB, EB)")
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { throw invalid }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            rest = rest.dropFirst(unit.count)
            guard let value = Double(number), let multiplier = Self.multipliers[String(unit)] else { throw invalid }
            total += value * multiplier
        }
        guard total < 9.2e18 else { throw ParseError(message: "invalid size \"\(text)\": out of range") }
        self.init(bytes: Int64(total))
    }

    /// The size in the largest binary unit that divides it exactly, like `10MiB` or `1536B`.
    public var description: String {
        if bytes == 0 { return "0B" }
        var value = bytes
        var unit = 0
        let names = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        while value % 1024 == 0 && unit < names.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\(value)\(names[unit])"
    }

    public static func < (lhs: ByteSize, rhs: ByteSize) -> Bool { lhs.bytes < rhs.bytes }

    /// ParseError says which string was not a size.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

extension ByteSize: Decodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw ConfigIssue(error.message, at: decoder.codingPath)
        }
    }
}
