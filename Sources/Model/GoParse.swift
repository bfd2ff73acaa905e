/// Go's number and time parsing as Prometheus's HTTP API applies it to `time`, `start`, `end`, `step` and
/// `timeout`: which texts it accepts decides 200 against 400, so the syntax is Go's, not Swift's.
public enum GoParse {
    /// parseFloat is Go's `strconv.ParseFloat(s, 64)`: decimal or hexadecimal (with a `p` exponent), `_` between
    /// digits, `inf`/`infinity`/`nan` in any case. Nil where Go returns an error, including a finite text whose
    /// value is beyond a double's range (Go answers ±Inf with a range error).
    public static func parseFloat(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        if let special = special(bytes) { return special }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        var hex = false
        if index + 2 < bytes.count, bytes[index] == UInt8(ascii: "0"), bytes[index + 1] | 0x20 == UInt8(ascii: "x") {
            hex = true
            index += 2
        }
        func isDigit(_ byte: UInt8) -> Bool {
            byte &- UInt8(ascii: "0") < 10 || (hex && (byte | 0x20) &- UInt8(ascii: "a") < 6)
        }
        var underscores = false
        var sawDot = false
        var sawDigits = false
        var cleaned: [UInt8] = hex ? Array("0x".utf8) : []
        mantissa: while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "_"): underscores = true
            case UInt8(ascii: "."):
                if sawDot { break mantissa }
                sawDot = true
                cleaned.append(byte)
            default:
                guard isDigit(byte) else { break mantissa }
                sawDigits = true
                cleaned.append(byte)
            }
            index += 1
        }
        guard sawDigits else { return nil }
        let exponentMark = hex ? UInt8(ascii: "p") : UInt8(ascii: "e")
        if index < bytes.count, bytes[index] | 0x20 == exponentMark {
            cleaned.append(exponentMark)
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                cleaned.append(bytes[index])
                index += 1
            }
            guard index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 else { return nil }
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 || bytes[index] == UInt8(ascii: "_") {
                if bytes[index] == UInt8(ascii: "_") { underscores = true } else { cleaned.append(bytes[index]) }
                index += 1
            }
        } else if hex {
            return nil
        }
        guard index == bytes.count, !underscores || underscoreOK(bytes) else { return nil }
        // A mantissa written as "5." or ".5" is completed for Swift's parser, which wants digits on both sides.
        if let dot = cleaned.firstIndex(of: UInt8(ascii: ".")) {
            if dot + 1 == cleaned.count || !isDigit(cleaned[dot + 1]) { cleaned.insert(UInt8(ascii: "0"), at: dot + 1) }
            if dot == (hex ? 2 : 0) { cleaned.insert(UInt8(ascii: "0"), at: dot) }
        }
        guard let magnitude = Double(String(decoding: cleaned, as: UTF8.self)), magnitude.isFinite else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// `inf`, `infinity` (either signed) and `nan` (unsigned only), in any case, as Go's `special` reads them.
    private static func special(_ bytes: [UInt8]) -> Double? {
        var body = bytes[...]
        var sign = 1.0
        if let first = body.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            sign = first == UInt8(ascii: "-") ? -1 : 1
            body = body.dropFirst()
            let word = String(decoding: body, as: UTF8.self).lowercased()
            return word == "inf" || word == "infinity" ? sign * .infinity : nil
        }
        switch String(decoding: body, as: UTF8.self).lowercased() {
        case "inf", "infinity": return .infinity
        case "nan": return .nan
        default: return nil
        }
    }

    /// Go's rule for `_` in a number: only between digits, or between a base prefix and a digit.
    private static func underscoreOK(_ bytes: [UInt8]) -> Bool {
        var index = 0
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { index = 1 }
        enum Saw { case start, digit, underscore, other }
        var saw = Saw.start
        var hex = false
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "0"),
           [UInt8(ascii: "b"), UInt8(ascii: "o"), UInt8(ascii: "x")].contains(bytes[index + 1] | 0x20) {
            hex = bytes[index + 1] | 0x20 == UInt8(ascii: "x")
            index += 2
            saw = .digit
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte &- UInt8(ascii: "0") < 10 || (hex && (byte | 0x20) &- UInt8(ascii: "a") < 6) {
                saw = .digit
            } else if byte == UInt8(ascii: "_") {
                guard saw == .digit else { return false }
                saw = .underscore
            } else {
                if saw == .underscore { return false }
                saw = .other
            }
        }
        return saw != .underscore
    }

    /// parseRFC3339 reads a time as Go's `time.Parse(time.RFC3339Nano, s)` does: a four-digit year, two-digit
    /// month, day, minute and second, a one- or two-digit hour, up to nine fraction digits after `.` or `,`,
    /// and `Z` or `±hh:mm`. Dates that do not exist (February 30, hour 24) are refused, as Go refuses them.
    ///
    /// The answer is seconds since the epoch and nanoseconds, in the proleptic Gregorian calendar.
    public static func parseRFC3339(_ text: String) -> (seconds: Int64, nanoseconds: Int64)? {
        var reader = FixedReader(bytes: Array(text.utf8))
        guard let year = reader.digits(exactly: 4), reader.take("-"),
              let month = reader.digits(exactly: 2), reader.take("-"),
              let day = reader.digits(exactly: 2), reader.take("T"),
              let hour = reader.digits(oneOrTwo: ()), reader.take(":"),
              let minute = reader.digits(exactly: 2), reader.take(":"),
              let second = reader.digits(exactly: 2)
        else { return nil }
        var nanoseconds: Int64 = 0
        if reader.peek == UInt8(ascii: ".") || reader.peek == UInt8(ascii: ",") {
            reader.index += 1
            var count = 0
            while let byte = reader.peek, byte &- UInt8(ascii: "0") < 10, count < 9 {
                nanoseconds = nanoseconds * 10 + Int64(byte - UInt8(ascii: "0"))
                count += 1
                reader.index += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<9 { nanoseconds *= 10 }
        }
        var offset: Int64 = 0
        if reader.take("Z") {
            offset = 0
        } else if let sign = reader.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            reader.index += 1
            guard let hours = reader.digits(exactly: 2), reader.take(":"), let minutes = reader.digits(exactly: 2) else { return nil }
            offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        guard reader.index == reader.bytes.count,
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return (days * 86_400 + hour * 3600 + minute * 60 + second - offset, nanoseconds)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// A cursor over ASCII bytes for fixed-width fields.
    private struct FixedReader {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard peek == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digits(exactly count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard byte &- UInt8(ascii: "0") < 10 else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }

        /// One digit, or two when a second follows: Go's non-fixed `getnum`, used for the hour.
        mutating func digits(oneOrTwo: Void) -> Int64? {
            guard let first = peek, first &- UInt8(ascii: "0") < 10 else { return nil }
            index += 1
            guard let second = peek, second &- UInt8(ascii: "0") < 10 else { return Int64(first - UInt8(ascii: "0")) }
            index += 1
            return Int64(first - UInt8(ascii: "0")) * 10 + Int64(second - UInt8(ascii: "0"))
        }
    }
}
