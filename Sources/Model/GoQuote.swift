/// Go's `strconv` quoting (`%q`, `%+q`, `%.Nq`, `%#U`), which Prometheus and promtool use in queries they print and
/// in error messages; one implementation for the PromQL printer, templates and rule-file errors.
public enum GoQuote {
    /// Go's `strconv.Quote` (`%q`); `asciiOnly` is `strconv.QuoteToASCII` (`%+q`), and `maxRunes` is `%.Nq`, which
    /// truncates to that many characters before quoting.
    public static func quote(_ text: String, asciiOnly: Bool = false, maxRunes: Int? = nil) -> String {
        var out = "\""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if let maxRunes, index >= maxRunes { break }
            appendEscaped(scalar, quote: "\"", asciiOnly: asciiOnly, to: &out)
        }
        return out + "\""
    }

    /// Go's `strconv.QuoteRune` (`%q` of a rune), e.g. `'~'`.
    public static func quoteRune(_ scalar: Unicode.Scalar) -> String {
        var out = "'"
        appendEscaped(scalar, quote: "'", asciiOnly: false, to: &out)
        return out + "'"
    }

    /// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    public static func isPrint(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar.value >= 0x20 && scalar.value < 0x7F }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation,
            .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// Go's `%#U`, e.g. `U+0063 'c'`, without the character when it is not printable.
    public static func unicodeDescription(_ scalar: Unicode.Scalar) -> String {
        let code = "U+" + hex(scalar.value, width: 4).uppercased()
        return isPrint(scalar) ? "\(code) '\(Character(scalar))'" : code
    }

    private static func appendEscaped(_ scalar: Unicode.Scalar, quote: Unicode.Scalar, asciiOnly: Bool, to out: inout String) {
        switch scalar {
        case quote, "\\":
            out.append("\\")
            out.unicodeScalars.append(scalar)
        case _ where isPrint(scalar) && (!asciiOnly || scalar.isASCII):
            out.unicodeScalars.append(scalar)
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0B}": out += "\\v"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + hex(scalar.value, width: 2)
            } else if scalar.value < 0x10000 {
                out += "\\u" + hex(scalar.value, width: 4)
            } else {
                out += "\\U" + hex(scalar.value, width: 8)
            }
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
