/// PrometheusDuration is a span of time written the way Prometheus writes it: `1h30m`, `15s`, `500ms`, `1w`.
///
/// Stored as whole milliseconds because that is the resolution of Prometheus durations and of TSDB timestamps.
/// Units, largest first, each at most once: `y` (365 days), `w`, `d`, `h`, `m`, `s`, `ms`; a bare `0` is also
/// accepted. Formatting follows Prometheus, so a parsed value prints the way `promtool` would print it.
public struct PrometheusDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public static let zero = PrometheusDuration(milliseconds: 0)

    public static func seconds(_ seconds: Int64) -> PrometheusDuration { .init(milliseconds: seconds * 1000) }
    public static func minutes(_ minutes: Int64) -> PrometheusDuration { .seconds(minutes * 60) }
    public static func hours(_ hours: Int64) -> PrometheusDuration { .minutes(hours * 60) }

    /// The units in the order a duration string must list them.
    private static let units: [(symbol: String, milliseconds: Int64)] = [
        ("y", 365 * 24 * 3_600_000), ("w", 7 * 24 * 3_600_000), ("d", 24 * 3_600_000),
        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// Parses a Prometheus duration string such as `1h30m` or `0`.
    public init(parsing text: String) throws(ParseError) {
        if text == "0" {
            self.init(milliseconds: 0)
            return
        }
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw ParseError(text: text, reason: .syntax) }
        var index = 0
        var total: Int64 = 0
        var nextUnit = 0  // Units must strictly descend, so each one may only use units after the last.
        while index < bytes.count {
            let digitsStart = index
            var value: Int64 = 0
            var overflow = false
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                value = sum
                index += 1
            }
            guard index > digitsStart else { throw ParseError(text: text, reason: .syntax) }
            let unitStart = index
            while index < bytes.count, !(bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")) {
                index += 1
            }
            let symbol = String(decoding: bytes[unitStart..<index], as: UTF8.self)
            guard let unitIndex = Self.units.firstIndex(where: { $0.symbol == symbol }), unitIndex >= nextUnit else {
                throw ParseError(text: text, reason: .syntax)
            }
            nextUnit = unitIndex + 1
            let (product, o3) = value.multipliedReportingOverflow(by: Self.units[unitIndex].milliseconds)
            let (sum, o4) = total.addingReportingOverflow(product)
            if overflow || o3 || o4 { throw ParseError(text: text, reason: .outOfRange) }
            total = sum
        }
        self.init(milliseconds: total)
    }

    /// Prometheus's notation: the largest units first, `y` and `w` only when they divide the whole duration.
    ///
    /// So 90 seconds prints as `1m30s`, 14 days as `2w`, 8 days as `8d`, and zero as `0s`. Negative durations,
    /// which only PromQL offsets produce, print with a leading `-`.
    public var description: String {
        if milliseconds == 0 { return "0s" }
        let whole = milliseconds.magnitude
        var rest = whole
        var text = milliseconds < 0 ? "-" : ""
        for (symbol, size) in Self.units {
            let size = UInt64(size)
            if (symbol == "y" || symbol == "w") && whole % size != 0 { continue }
            let count = rest / size
            if count > 0 {
                text += "\(count)\(symbol)"
                rest -= count * size
            }
        }
        return text
    }

    /// The same span as a Swift `Duration`, for sleeping and clocks.
    public var duration: Duration { .milliseconds(milliseconds) }

    public static func < (lhs: PrometheusDuration, rhs: PrometheusDuration) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    /// ParseError says which string was not a duration and why.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable { case syntax, outOfRange }
        public var text: String
        public var reason: Reason

        public var description: String {
            switch reason {
            case .syntax: "not a valid duration string: \"\(text)\""
            case .outOfRange: "duration out of range: \"\(text)\""
            }
        }
    }
}

extension PrometheusDuration: Decodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw ConfigIssue(error.description, at: decoder.codingPath)
        }
    }
}
