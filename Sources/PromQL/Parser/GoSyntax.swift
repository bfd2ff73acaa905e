import Model

/// GoSyntax reproduces the Go formatting and literal rules that show up in Prometheus's output.
///
/// Prometheus prints numbers with Go's `%v`, strings with `%q`, and parses numbers with
/// `strconv`; matching those keeps printed queries and error messages identical to Prometheus.
enum GoSyntax {
    // MARK: Quoting

    static func isPrint(_ scalar: Unicode.Scalar) -> Bool { GoQuote.isPrint(scalar) }

    /// quote is Go's `%q` of a string; `maxRunes` gives `%.Nq`, which truncates before quoting.
    ///
    /// U+FFFD is escaped although Go prints it as is: Prometheus's own lexer rejects it, and printed queries must
    /// parse again.
    static func quote(_ string: String, maxRunes: Int? = nil) -> String {
        let quoted = GoQuote.quote(string, maxRunes: maxRunes)
        guard quoted.unicodeScalars.contains("\u{FFFD}") else { return quoted }
        var out = ""
        for scalar in quoted.unicodeScalars {
            if scalar == "\u{FFFD}" { out += "\\ufffd" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// quoteRune is Go's `%q` of a rune, e.g. `'~'`; nil stands for Go's end-of-input rune.
    static func quoteRune(_ scalar: Unicode.Scalar?) -> String { GoQuote.quoteRune(scalar ?? "\u{FFFD}") }

    /// unicodeDescription is Go's `%#U`, e.g. `U+0063 'c'`.
    static func unicodeDescription(_ scalar: Unicode.Scalar) -> String { GoQuote.unicodeDescription(scalar) }

    // MARK: Numbers

    /// formatFloat is Go's `%v` of a float64: shortest digits, exponent form below 1e-4 and from 1e6.
    static func formatFloat(_ value: Double) -> String { GoFloatFormat.shortest(value, format: "g") }

    /// parseNumber converts a NUMBER token as Prometheus does: `strconv.ParseInt(s, 0, 64)`
    /// (so `0x1f` is hex and `010` is octal), falling back to `strconv.ParseFloat`.
    ///
    /// Returns Go's error text on failure, e.g. `strconv.ParseFloat: parsing "1e": invalid syntax`.
    static func parseNumber(_ text: String) -> Result<Double, NumberError> {
        if let integer = parseIntBase0(text) { return .success(Double(integer)) }
        let lower = text.lowercased()
        switch lower {
        case "inf", "+inf", "infinity", "+infinity": return .success(.infinity)
        case "-inf", "-infinity": return .success(-.infinity)
        case "nan": return .success(.nan)
        default: break
        }
        guard GoFloat.isDecimalSyntax(Substring(lower)), let value = Double(normalizedDecimal(lower)) else {
            return .failure(NumberError(message: "strconv.ParseFloat: parsing \(quote(text)): invalid syntax"))
        }
        if value.isInfinite {
            return .failure(NumberError(message: "strconv.ParseFloat: parsing \(quote(text)): value out of range"))
        }
        return .success(value)
    }

    struct NumberError: Error {
        var message: String
    }

    /// parseIntBase0 accepts what Go's `strconv.ParseInt(s, 0, 64)` accepts for unsigned lexer output.
    private static func parseIntBase0(_ text: String) -> Int64? {
        var body = Substring(text)
        var radix = 10
        if body.count > 1, body.first == "0" {
            let marker = body[body.index(after: body.startIndex)]
            switch marker {
            case "x", "X": radix = 16; body = body.dropFirst(2)
            case "b", "B": radix = 2; body = body.dropFirst(2)
            case "o", "O": radix = 8; body = body.dropFirst(2)
            default: radix = 8; body = body.dropFirst(1)
            }
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }) else {
            return nil
        }
        return Int64(body, radix: radix)
    }

    /// normalizedDecimal adds the zeros Swift's `Double(_:)` wants around a bare decimal point.
    private static func normalizedDecimal(_ text: String) -> String {
        var out = text
        if out.hasPrefix(".") { out = "0" + out }
        if let point = out.firstIndex(of: ".") {
            let next = out.index(after: point)
            if next == out.endIndex || !(out[next].isNumber) { out.insert("0", at: next) }
        }
        return out
    }

    // MARK: Strings

    /// unquote decodes a string token the lexer has already validated: `"…"`, `'…'` or `` `…` ``.
    ///
    /// `\xNN` and octal escapes produce raw bytes as in Go; bytes that do not form valid
    /// UTF-8 become U+FFFD because a Swift `String` is always valid Unicode. A malformed escape,
    /// which validated input never holds, is kept as written rather than trapping.
    static func unquote(_ token: ArraySlice<UInt8>) -> String {
        unquoteIfValid(token) ?? String(decoding: token.dropFirst().dropLast(), as: UTF8.self)
    }

    /// unquoteIfValid decodes a quoted string that no lexer has checked, or returns nil when it is not one:
    /// no matching quotes, an escape cut short, a bad digit, or a code point Go refuses.
    static func unquoteIfValid(_ token: ArraySlice<UInt8>) -> String? {
        guard token.count >= 2, let quote = token.first, token.last == quote,
            quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") || quote == UInt8(ascii: "`")
        else { return nil }
        let body = token.dropFirst().dropLast()
        if quote == UInt8(ascii: "`") || !body.contains(UInt8(ascii: "\\")) {
            return String(decoding: body, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var index = body.startIndex
        /// digits reads `count` digits of `radix` after the escape letter, or nil when they are not there.
        func digits(_ count: Int, radix: UInt32) -> UInt32? {
            guard body.endIndex - index >= count else { return nil }
            var value: UInt32 = 0
            for offset in 0..<count {
                guard let digit = Character(Unicode.Scalar(body[index + offset])).hexDigitValue, UInt32(digit) < radix else {
                    return nil
                }
                value = value &* radix &+ UInt32(digit)
            }
            index += count
            return value
        }
        while index < body.endIndex {
            let byte = body[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < body.endIndex else { return nil }
            let kind = body[index + 1]
            index += 2
            switch kind {
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "x"):
                guard let value = digits(2, radix: 16) else { return nil }
                out.append(UInt8(value))
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                guard let value = digits(kind == UInt8(ascii: "u") ? 4 : 8, radix: 16), let scalar = Unicode.Scalar(value) else {
                    return nil
                }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                index -= 1
                guard let value = digits(3, radix: 8), value <= 0xFF else { return nil }
                out.append(UInt8(value))
            case UInt8(ascii: "\\"), quote:
                out.append(kind)
            default:
                return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
