import Model

/// formatPrometheusValue renders a sample value as Prometheus's API does.
///
/// That is Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits that read back
/// as the same double, never in exponent form (`1e21` prints as `1000000000000000000000`),
/// with `+Inf`, `-Inf` and `NaN` spelled as Prometheus spells them.
public func formatPrometheusValue(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
    let sign = value.sign == .minus ? "-" : ""
    if value == 0 { return sign + "0" }
    // Fast paths for the common cases, which Swift already prints as Go does: whole numbers below 2^53,
    // and plain decimals (Swift's shortest digits, when it does not switch to exponent notation).
    if value.magnitude < 9_007_199_254_740_992, value == value.rounded(.towardZero) { return String(Int64(value)) }
    let plain = value.description
    if !plain.utf8.contains(UInt8(ascii: "e")) { return plain.hasSuffix(".0") ? String(plain.dropLast(2)) : plain }
    return GoFloatFormat.shortest(value, format: "f")
}


/// GoFloat holds Go's float64 helpers whose edge cases differ from Swift's standard library.
enum GoFloat {
    /// max is Go's `math.Max`: NaN wins, and +0 beats -0.
    static func max(_ x: Double, _ y: Double) -> Double {
        if x.isInfinite && x > 0 || y.isInfinite && y > 0 { return .infinity }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 && x == y { return x.sign == .minus ? y : x }
        return x > y ? x : y
    }

    /// min is Go's `math.Min`: NaN wins, and -0 beats +0.
    static func min(_ x: Double, _ y: Double) -> Double {
        if x.isInfinite && x < 0 || y.isInfinite && y < 0 { return -.infinity }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 && x == y { return x.sign == .minus ? x : y }
        return x < y ? x : y
    }

    /// parseFloat is Go's `strconv.ParseFloat(s, 64)`; nil where Go returns an error,
    /// including values out of range (which Go rounds to ±Inf but reports as errors).
    static func parseFloat(_ text: String) -> Double? { GoParse.parseFloat(text) }

    /// isDecimalSyntax checks `digits [. digits] [e [+-] digits]` with at least one mantissa digit;
    /// the parser's number literals and the engine's string conversions both use it.
    static func isDecimalSyntax(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        var mantissaDigits = 0
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        while index < bytes.count, isDigit(bytes[index]) { index += 1; mantissaDigits += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, isDigit(bytes[index]) { index += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            let exponentStart = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            guard index > exponentStart else { return false }
        }
        return index == bytes.count
    }

    /// int64 is Go's `int64(f)` on amd64: out-of-range values and NaN become `Int64.min`.
    static func int64(_ value: Double) -> Int64 {
        guard value.isFinite, value >= -9.223372036854775808e18, value < 9.223372036854775808e18 else {
            return .min
        }
        return Int64(value)
    }
}
