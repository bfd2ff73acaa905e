import Model

extension GoFormat {
    /// Go's `strconv.Quote`, or `strconv.QuoteToASCII` when `asciiOnly` (the `%+q` verb).
    static func quote(_ text: String, asciiOnly: Bool = false) -> String { GoQuote.quote(text, asciiOnly: asciiOnly) }

    static func quoteRune(_ scalar: Unicode.Scalar) -> String { GoQuote.quoteRune(scalar) }

    static func isPrint(_ scalar: Unicode.Scalar) -> Bool { GoQuote.isPrint(scalar) }

    /// Go's `%#U`: `U+0041 'A'`, without the character when it is not printable.
    static func unicodeDescription(_ scalar: Unicode.Scalar) -> String { GoQuote.unicodeDescription(scalar) }

    /// Go's `strconv.Unquote` for "…", `…` and '…' literals; nil when malformed.
    static func unquote(_ literal: String) -> String? {
        let scalars = Array(literal.unicodeScalars)
        guard scalars.count >= 2, let first = scalars.first, first == scalars.last else { return nil }
        let body = scalars[1..<(scalars.count - 1)]
        if first == "`" {
            guard !body.contains("`") else { return nil }
            return String(String.UnicodeScalarView(body.filter { $0 != "\r" }))
        }
        guard first == "\"" || first == "'" else { return nil }
        var out = String.UnicodeScalarView()
        var index = body.startIndex
        while index < body.endIndex {
            let scalar = body[index]
            index += 1
            if scalar == first || scalar == "\n" { return nil }
            guard scalar == "\\" else {
                out.append(scalar)
                continue
            }
            guard index < body.endIndex else { return nil }
            let escape = body[index]
            index += 1
            switch escape {
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "\\": out.append("\\")
            case "\"" where first == "\"", "'" where first == "'": out.append(escape)
            case "x", "u", "U", "0"..."7":
                let isOctal = escape.value >= 0x30 && escape.value <= 0x37
                let count = escape == "x" ? 2 : escape == "u" ? 4 : escape == "U" ? 8 : 2
                let radix = isOctal ? 8 : 16
                let start = isOctal ? index - 1 : index
                let end = start + (isOctal ? 3 : count)
                guard end <= body.endIndex else { return nil }
                let digits = String(String.UnicodeScalarView(body[start..<end]))
                guard let value = UInt32(digits, radix: radix) else { return nil }
                index = end
                if escape == "x" || isOctal {
                    guard value <= 0xFF else { return nil }
                    // Go strings are bytes; a \x escape above 0x7F cannot be a Swift string on its own.
                    guard let byteScalar = Unicode.Scalar(value) else { return nil }
                    out.append(byteScalar)
                } else {
                    guard let unicode = Unicode.Scalar(value) else { return nil }
                    out.append(unicode)
                }
            default:
                return nil
            }
        }
        if first == "'" && out.count != 1 { return nil }
        return String(out)
    }
}
