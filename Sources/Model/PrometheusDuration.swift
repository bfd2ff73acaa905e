/// PrometheusDuration is a span of time written the way Prometheus writes it: `1h30m`, `15s`, `500ms`, `1w`.
///
/// The one parser and formatter for durations in configuration files, rule files, PromQL and flags. Stored as whole
/// milliseconds, the resolution of Prometheus timestamps. Parsing follows Prometheus 2.42's `model.ParseDuration`:
/// units `y` (365 days), `w`, `d`, `h`, `m`, `s`, `ms`, largest first and each at most once, a bare `0`, and a total
/// that must fit in Go's `time.Duration` (about 292 years of nanoseconds), so `300y` is out of range, never a trap.
public struct PrometheusDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public static let zero = PrometheusDuration(milliseconds: 0)

    /// Durations written in code; they trap on overflow like any arithmetic on constants would.
    public static func seconds(_ seconds: Int64) -> PrometheusDuration { .init(milliseconds: seconds * 1000) }
    public static func minutes(_ minutes: Int64) -> PrometheusDuration { .seconds(minutes * 60) }
    public static func hours(_ hours: Int64) -> PrometheusDuration { .minutes(hours * 60) }

    /// Unit is one suffix, its size, and whether it is printed only when it divides the whole duration (y, w).
    private struct Unit {
        var symbol: String
        var milliseconds: Int64
        var exactOnly: Bool
    }

    /// The units in the order a duration string must list them.
    private static let units: [Unit] = [
        Unit(symbol: "y", milliseconds: 365 * 24 * 3_600_000, exactOnly: true),
        Unit(symbol: "w", milliseconds: 7 * 24 * 3_600_000, exactOnly: true),
        Unit(symbol: "d", milliseconds: 24 * 3_600_000, exactOnly: false),
        Unit(symbol: "h", milliseconds: 3_600_000, exactOnly: false),
        Unit(symbol: "m", milliseconds: 60_000, exactOnly: false),
        Unit(symbol: "s", milliseconds: 1000, exactOnly: false),
        Unit(symbol: "ms", milliseconds: 1, exactOnly: false),
    ]

    /// Parses a Prometheus duration string such as `1h30m` or `0`.
    public init(parsing text: String) throws(ParseError) {
        if text == "0" {
            self.init(milliseconds: 0)
            return
        }
        if text.isEmpty { throw ParseError(text: text, reason: .empty) }
        let bytes = Array(text.utf8)
        var index = 0
        var nextUnit = 0  // Units must strictly descend, so each one may only use units after the last.
        var totalNanoseconds: Int64 = 0
        var outOfRange = false
        while index < bytes.count {
            let digitsStart = index
            var count: Int64 = 0
            var countOverflows = false
            while index < bytes.count, LabelName.isDigit(bytes[index]) {
                let (times10, o1) = count.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
                countOverflows = countOverflows || o1 || o2
                count = sum
                index += 1
            }
            guard index > digitsStart, index < bytes.count else { throw ParseError(text: text, reason: .syntax) }
            var symbol = String(UnicodeScalar(bytes[index]))
            index += 1
            if symbol == "m", index < bytes.count, bytes[index] == UInt8(ascii: "s") {
                symbol = "ms"
                index += 1
            }
            guard let unitIndex = Self.units[nextUnit...].firstIndex(where: { $0.symbol == symbol }) else {
                throw ParseError(text: text, reason: .syntax)
            }
            nextUnit = unitIndex + 1
            let unitNanoseconds = Self.units[unitIndex].milliseconds * 1_000_000
            let (product, o3) = count.multipliedReportingOverflow(by: unitNanoseconds)
            let (sum, o4) = totalNanoseconds.addingReportingOverflow(product)
            // Keep scanning after an overflow: a later syntax error is what Prometheus reports first.
            if countOverflows || o3 || o4 { outOfRange = true } else { totalNanoseconds = sum }
        }
        if outOfRange { throw ParseError(text: text, reason: .outOfRange) }
        self.init(milliseconds: totalNanoseconds / 1_000_000)
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
        for unit in Self.units {
            let size = UInt64(unit.milliseconds)
            if unit.exactOnly && whole % size != 0 { continue }
            let count = rest / size
            if count > 0 {
                text += "\(count)\(unit.symbol)"
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

    /// ParseError says which string was not a duration and why, in Prometheus's words.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable { case empty, syntax, outOfRange }
        public var text: String
        public var reason: Reason

        public init(text: String, reason: Reason) {
            self.text = text
            self.reason = reason
        }

        public var description: String {
            switch reason {
            case .empty: "empty duration string"
            case .syntax: "not a valid duration string: \(GoQuote.quote(text))"
            case .outOfRange: "duration out of range"
            }
        }
    }
}
