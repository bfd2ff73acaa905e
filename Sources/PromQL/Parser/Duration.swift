/// parseDuration parses a Prometheus duration such as `1h30m`, `5m`, `1d`, `2w`, `1y` or `500ms`
/// into milliseconds.
///
/// Units are y (365d), w, d, h, m, s and ms; each appears at most once, in that order, and `0`
/// alone is accepted, as in Prometheus's `model.ParseDuration`. PromQL itself additionally
/// rejects zero ranges, steps and offsets, which the parser checks separately. Errors carry
/// Prometheus's messages (`not a valid duration string: "5m1h"`) and the position 1:1.
public func parseDuration(_ text: String) throws(PromQLParseError) -> Int64 {
    switch DurationSyntax.parse(text) {
    case .success(let milliseconds): return milliseconds
    case .failure(let error):
        throw PromQLParseError(
            code: .invalidValue, message: error.message,
            positionRange: PositionRange(start: 0, end: text.utf8.count), in: text)
    }
}

/// formatDuration renders milliseconds the way Prometheus prints durations: `1h30m`, `2w`, `1s500ms`.
///
/// Years and weeks are used only when they divide the duration exactly, so 90 days print as
/// `90d` rather than `12w6d`. Zero prints as `0s`; negative values get a leading `-`.
public func formatDuration(_ milliseconds: Int64) -> String {
    if milliseconds == 0 { return "0s" }
    if milliseconds < 0 { return "-" + formatDuration(milliseconds == .min ? .max : -milliseconds) }
    var rest = milliseconds
    var out = ""
    for unit in DurationSyntax.units {
        if unit.exactOnly && rest % unit.milliseconds != 0 { continue }
        let count = rest / unit.milliseconds
        if count > 0 {
            out += "\(count)\(unit.symbol)"
            rest -= count * unit.milliseconds
        }
    }
    return out
}

/// DurationSyntax holds the unit table shared by parsing and printing.
enum DurationSyntax {
    struct Unit {
        var symbol: String
        var milliseconds: Int64
        /// exactOnly units (y, w) are printed only when they divide the duration.
        var exactOnly: Bool
    }

    static let units: [Unit] = [
        Unit(symbol: "y", milliseconds: 365 * 24 * 3_600_000, exactOnly: true),
        Unit(symbol: "w", milliseconds: 7 * 24 * 3_600_000, exactOnly: true),
        Unit(symbol: "d", milliseconds: 24 * 3_600_000, exactOnly: false),
        Unit(symbol: "h", milliseconds: 3_600_000, exactOnly: false),
        Unit(symbol: "m", milliseconds: 60_000, exactOnly: false),
        Unit(symbol: "s", milliseconds: 1000, exactOnly: false),
        Unit(symbol: "ms", milliseconds: 1, exactOnly: false),
    ]

    struct Failure: Error {
        var message: String
    }

    /// parse implements `model.ParseDuration`, including its limit: the total must fit in
    /// Go's `time.Duration`, i.e. about 292 years of nanoseconds.
    static func parse(_ text: String) -> Result<Int64, Failure> {
        if text == "0" { return .success(0) }
        if text.isEmpty { return .failure(Failure(message: "empty duration string")) }
        let invalid = Failure(message: "not a valid duration string: \(GoSyntax.quote(text))")
        let bytes = Array(text.utf8)
        var index = 0
        var nextUnit = 0
        var totalNanoseconds: Int64 = 0
        var outOfRange = false
        while index < bytes.count {
            let digitsStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                index += 1
            }
            guard index > digitsStart, index < bytes.count else { return .failure(invalid) }
            var symbol = String(UnicodeScalar(bytes[index]))
            index += 1
            if symbol == "m", index < bytes.count, bytes[index] == UInt8(ascii: "s") {
                symbol = "ms"
                index += 1
            }
            guard let unitIndex = units[nextUnit...].firstIndex(where: { $0.symbol == symbol }) else {
                return .failure(invalid)
            }
            nextUnit = unitIndex + 1
            // Go's Atoi saturates on overflow, which then trips the range check below.
            let count = Int64(String(decoding: bytes[digitsStart..<(index - symbol.count)], as: UTF8.self)) ?? .max
            let unitNanoseconds = units[unitIndex].milliseconds * 1_000_000
            if count > Int64.max / unitNanoseconds {
                outOfRange = true
                continue
            }
            let (sum, overflow) = totalNanoseconds.addingReportingOverflow(count * unitNanoseconds)
            if overflow { outOfRange = true } else { totalNanoseconds = sum }
        }
        if outOfRange { return .failure(Failure(message: "duration out of range")) }
        return .success(totalNanoseconds / 1_000_000)
    }
}
