/// Go's `strconv.FormatFloat(v, fmt, -1, 64)`: the shortest digits that read back as the same float64, laid out
/// as Go lays them out; the one implementation behind PromQL's printer (`%v`), API values (`'f'`), templates
/// (`%v`, `%g`) and promtool-style test output (`'E'`).
public enum GoFloatFormat {
    /// The value in Go's `format` (`e`, `E`, `f`, `g` or `G`) with shortest precision; NaN, +Inf and -Inf spelled
    /// as Go spells them. `g` switches to exponent form below 1e-4 and from 1e6, Go's cut-off for shortest `%g`.
    public static func shortest(_ value: Double, format: Character) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        let sign = value.sign == .minus ? "-" : ""
        let (digits, decimalPoint) = value == 0 ? ([], 0) : shortestDigits(value.magnitude)
        switch format {
        case "e", "E":
            return sign + exponentLayout(digits, decimalPoint, letter: format)
        case "g", "G":
            let exponent = decimalPoint - 1
            if !digits.isEmpty && (exponent < -4 || exponent >= 6) {
                return sign + exponentLayout(digits, decimalPoint, letter: format == "g" ? "e" : "E")
            }
            return sign + fixedLayout(digits, decimalPoint)
        default:
            return sign + fixedLayout(digits, decimalPoint)
        }
    }

    /// The shortest round-trip decimal digits of a positive finite double, and where the decimal point goes
    /// relative to them: 1.5 → ("15", 1), 0.001 → ("1", -2).
    ///
    /// Swift's `description` produces the same shortest digits as Go; only its layout differs, so it is re-read.
    public static func shortestDigits(_ value: Double) -> (digits: [UInt8], decimalPoint: Int) {
        var digits: [UInt8] = []
        var pointIndex: Int?
        var exponent = 0
        var readingExponent = false, exponentNegative = false
        for byte in value.description.utf8 {
            if readingExponent {
                if byte == UInt8(ascii: "-") { exponentNegative = true } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                }
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                readingExponent = true
            } else if byte == UInt8(ascii: ".") {
                pointIndex = digits.count
            } else {
                digits.append(byte)
            }
        }
        var decimalPoint = (pointIndex ?? digits.count) + (exponentNegative ? -exponent : exponent)
        var leading = 0
        while leading < digits.count && digits[leading] == UInt8(ascii: "0") { leading += 1 }
        digits.removeFirst(leading)
        decimalPoint -= leading
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (digits, decimalPoint)
    }

    /// `d.ddde±XX`, at least two exponent digits; zero is `0e+00`.
    private static func exponentLayout(_ digits: [UInt8], _ decimalPoint: Int, letter: Character) -> String {
        var out = digits.isEmpty ? "0" : String(UnicodeScalar(digits[0]))
        if digits.count > 1 { out += "." + String(decoding: digits[1...], as: UTF8.self) }
        let exponent = digits.isEmpty ? 0 : decimalPoint - 1
        let magnitude = exponent.magnitude
        return out + String(letter) + (exponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + String(magnitude)
    }

    /// Plain decimal notation with exactly the digits needed: `1000000`, `0.0001`, `12.5`.
    private static func fixedLayout(_ digits: [UInt8], _ decimalPoint: Int) -> String {
        if digits.isEmpty { return "0" }
        if decimalPoint <= 0 {
            return "0." + String(repeating: "0", count: -decimalPoint) + String(decoding: digits, as: UTF8.self)
        }
        if decimalPoint >= digits.count {
            return String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: decimalPoint - digits.count)
        }
        return String(decoding: digits[..<decimalPoint], as: UTF8.self) + "." + String(decoding: digits[decimalPoint...], as: UTF8.self)
    }
}
