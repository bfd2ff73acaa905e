import Foundation
import Model

/// GoFormat reproduces the parts of Go's `fmt` and `strconv` that alert templates reach: `printf` verbs, the
/// default `%v` layout of each value, and Go string quoting.
///
/// Prometheus renders `{{ $value }}` with `%v`, so a Vigil annotation must print `1.234567e+06` where Prometheus
/// does, not Swift's `1234567.0`.
enum GoFormat {
    struct Flags {
        var minus = false
        var plus = false
        var sharp = false
        var space = false
        var zero = false
        var width: Int?
        var precision: Int?
    }

    // MARK: printf

    /// Go's `fmt.Sprintf` for the verbs b c d e E f F g G o q s t T U v x X and `%%`.
    static func sprintf(_ format: String, _ arguments: [TemplateValue]) -> String {
        var out = ""
        let scalars = Array(format.unicodeScalars)
        var index = 0
        var argument = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            guard scalar == "%" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            var flags = Flags()
            flagLoop: while index < scalars.count {
                switch scalars[index] {
                case "#": flags.sharp = true
                case "0": flags.zero = !flags.minus
                case "+": flags.plus = true
                case "-": flags.minus = true; flags.zero = false
                case " ": flags.space = true
                default: break flagLoop
                }
                index += 1
            }
            if index < scalars.count, scalars[index] == "*" {
                index += 1
                if argument < arguments.count, case .int(let width) = arguments[argument], !Self.isTooLarge(width) {
                    flags.width = abs(width)
                    if width < 0 { flags.minus = true; flags.zero = false }
                } else {
                    out += "%!(BADWIDTH)"
                }
                argument += 1
            } else {
                flags.width = readNumber(scalars, &index)
            }
            if index < scalars.count, scalars[index] == "." {
                index += 1
                if index < scalars.count, scalars[index] == "*" {
                    index += 1
                    if argument < arguments.count, case .int(let precision) = arguments[argument], precision >= 0,
                        !Self.isTooLarge(precision)
                    {
                        flags.precision = precision
                    } else {
                        out += "%!(BADPREC)"
                    }
                    argument += 1
                } else {
                    flags.precision = readNumber(scalars, &index) ?? 0
                }
            }
            guard index < scalars.count else {
                out += "%!(NOVERB)"
                break
            }
            var verb = Character(scalars[index])
            index += 1
            if verb == "%" {
                out += "%"
                continue
            }
            if verb == "w" { verb = "v" }
            guard argument < arguments.count else {
                out += "%!\(verb)(MISSING)"
                continue
            }
            let value = arguments[argument]
            argument += 1
            if verb == "T" {
                out += pad(value.goType, flags)
                continue
            }
            out += Self.format(value, verb: verb, flags: flags)
        }
        if argument < arguments.count {
            let extra = arguments[argument...].map { value -> String in
                if case .none = value { return "<nil>" }
                return "\(value.goType)=\(Self.format(value, verb: "v", flags: Flags()))"
            }
            out += "%!(EXTRA " + extra.joined(separator: ", ") + ")"
        }
        return out
    }

    /// isTooLarge is Go's bound on widths and precisions (1e6), which keeps a format from allocating without limit.
    static func isTooLarge(_ number: Int) -> Bool { number > 1_000_000 || number < -1_000_000 }

    /// readNumber reads a literal width or precision; past Go's bound it consumes the rest of the format,
    /// as Go does, so the verb is then missing.
    private static func readNumber(_ scalars: [Unicode.Scalar], _ index: inout Int) -> Int? {
        var value: Int?
        while index < scalars.count, scalars[index].isASCII, let digit = Int(String(scalars[index])) {
            if isTooLarge(value ?? 0) {
                index = scalars.count
                return nil
            }
            value = (value ?? 0) * 10 + digit
            index += 1
        }
        return value
    }

    /// Go's `fmt.Sprint`: operands printed with `%v`, a space between two operands when neither is a string.
    static func sprint(_ values: [TemplateValue]) -> String {
        var out = ""
        for (index, value) in values.enumerated() {
            let isString = { (value: TemplateValue) -> Bool in if case .string = value { return true } else { return false } }
            if index > 0 && !isString(value) && !isString(values[index - 1]) { out += " " }
            out += printArgument(value)
        }
        return out
    }

    /// Go's `fmt.Sprintln`: operands printed with `%v`, always separated by spaces, and a newline.
    static func sprintln(_ values: [TemplateValue]) -> String {
        values.map(printArgument).joined(separator: " ") + "\n"
    }

    private static func printArgument(_ value: TemplateValue) -> String {
        if case .none = value { return "<nil>" }
        return format(value, verb: "v", flags: Flags())
    }

    // MARK: Values

    /// One value formatted with one verb, as `fmt` does, including `%!verb(type=value)` for a verb that does not fit.
    static func format(_ value: TemplateValue, verb: Character, flags: Flags) -> String {
        switch value {
        case .none:
            return verb == "v" ? pad("<nil>", flags) : "%!\(verb)(<nil>)"
        case .bool(let bool):
            guard verb == "t" || verb == "v" else { return badVerb(value, verb) }
            return pad(bool ? "true" : "false", flags)
        case .int(let int):
            return formatInt(int, verb: verb, flags: flags) ?? badVerb(value, verb)
        case .float(let float):
            return formatFloat(float, verb: verb, flags: flags) ?? badVerb(value, verb)
        case .string(let string):
            return formatString(string, verb: verb, flags: flags) ?? badVerb(value, verb)
        case .list(let values):
            return pad("[" + values.map { format($0, verb: verb, flags: Flags()) }.joined(separator: " ") + "]", flags)
        case .stringMap(let map):
            let entries = map.keys.sorted().map {
                format(.string($0), verb: verb, flags: Flags()) + ":" + format(.string(map[$0]!), verb: verb, flags: Flags())
            }
            return pad("map[" + entries.joined(separator: " ") + "]", flags)
        case .map(let map):
            let entries = map.keys.sorted().map { key -> String in
                let element = map[key]!
                let rendered = element == .none ? "<nil>" : format(element, verb: verb, flags: Flags())
                return format(.string(key), verb: verb, flags: Flags()) + ":" + rendered
            }
            return pad("map[" + entries.joined(separator: " ") + "]", flags)
        case .record(_, let fields):
            let parts = fields.map { field -> String in
                let rendered = field.value == .none ? "<nil>" : format(field.value, verb: verb, flags: Flags())
                return flags.plus ? "\(field.name):\(rendered)" : rendered
            }
            return pad("{" + parts.joined(separator: " ") + "}", flags)
        case .sample(let labels, let value):
            return pad("&{" + format(.stringMap(labels), verb: verb, flags: Flags()) + " " + format(.float(value), verb: verb, flags: Flags()) + "}", flags)
        case .queryResult(let samples):
            let parts = samples.map { format(.sample(labels: $0.labels, value: $0.value), verb: verb, flags: Flags()) }
            return pad("[" + parts.joined(separator: " ") + "]", flags)
        case .time(let nanoseconds):
            guard verb == "v" || verb == "s" else { return badVerb(value, verb) }
            return pad(timeString(nanoseconds: nanoseconds), flags)
        }
    }

    private static func badVerb(_ value: TemplateValue, _ verb: Character) -> String {
        "%!\(verb)(\(value.goType)=\(format(value, verb: "v", flags: Flags())))"
    }

    /// Pads to the width with spaces (or zeros), on the left unless `-` is set.
    static func pad(_ text: String, _ flags: Flags, zeroAllowed: Bool = true) -> String {
        guard let width = flags.width else { return text }
        let count = text.unicodeScalars.count
        guard count < width else { return text }
        let fill = String(repeating: flags.zero && zeroAllowed && !flags.minus ? "0" : " ", count: width - count)
        return flags.minus ? text + fill : fill + text
    }

    private static func formatString(_ string: String, verb: Character, flags: Flags) -> String? {
        var text = string
        if let precision = flags.precision, verb == "s" || verb == "v" || verb == "q" {
            text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(precision)))
        }
        switch verb {
        case "v" where flags.sharp: return pad(quote(text), flags)
        case "s", "v": return pad(text, flags)
        case "q": return pad(flags.sharp && !text.contains("`") ? "`\(text)`" : quote(text, asciiOnly: flags.plus), flags)
        case "x", "X":
            var hex = text.utf8.map { byte -> String in
                let digits = String(byte, radix: 16, uppercase: verb == "X")
                return digits.count == 1 ? "0" + digits : digits
            }
            if flags.sharp { hex = hex.map { (verb == "X" ? "0X" : "0x") + $0 } }
            return pad(hex.joined(separator: flags.space ? " " : ""), flags)
        default: return nil
        }
    }

    private static func formatInt(_ int: Int, verb: Character, flags: Flags) -> String? {
        let negative = int < 0
        let magnitude = int.magnitude
        var digits: String
        var prefix = ""
        switch verb {
        case "d", "v": digits = String(magnitude)
        case "b": digits = String(magnitude, radix: 2); if flags.sharp { prefix = "0b" }
        case "o", "O":
            digits = String(magnitude, radix: 8)
            if verb == "O" { prefix = "0o" } else if flags.sharp && digits != "0" { prefix = "0" }
        case "x", "X":
            digits = String(magnitude, radix: 16, uppercase: verb == "X")
            if flags.sharp { prefix = verb == "X" ? "0X" : "0x" }
        case "c":
            return pad(Unicode.Scalar(UInt32(truncatingIfNeeded: int)).map { String(Character($0)) } ?? "\u{FFFD}", flags)
        case "q":
            let scalar = Unicode.Scalar(UInt32(truncatingIfNeeded: int)) ?? "\u{FFFD}"
            return pad(quoteRune(scalar), flags)
        case "U":
            var hex = String(magnitude, radix: 16, uppercase: true)
            while hex.count < 4 { hex = "0" + hex }
            var text = "U+" + hex
            if flags.sharp, let scalar = Unicode.Scalar(UInt32(truncatingIfNeeded: int)), isPrint(scalar) {
                text += " '\(Character(scalar))'"
            }
            return pad(text, flags)
        case "e", "E", "f", "F", "g", "G": return nil
        default: return nil
        }
        if let precision = flags.precision {
            if precision == 0 && int == 0 { digits = "" }
            while digits.count < precision { digits = "0" + digits }
        }
        let sign = negative ? "-" : flags.plus ? "+" : flags.space ? " " : ""
        if flags.zero, flags.precision == nil, let width = flags.width, !flags.minus {
            let length = sign.count + prefix.count + digits.count
            if length < width { digits = String(repeating: "0", count: width - length) + digits }
        }
        return pad(sign + prefix + digits, flags, zeroAllowed: false)
    }

    private static func formatFloat(_ float: Double, verb: Character, flags: Flags) -> String? {
        if verb == "x" || verb == "X" {
            guard float.isFinite else { return formatFloat(float, verb: "v", flags: flags) }
            let text = hexFloat(float)
            return pad(verb == "X" ? text.uppercased() : text, flags)
        }
        guard "eEfFgGv".contains(verb) else { return nil }
        if float.isNaN || float.isInfinite {
            var text = float.isNaN ? "NaN" : float < 0 ? "-Inf" : "+Inf"
            if float.isNaN && (flags.plus || flags.space) { text = (flags.plus ? "+" : " ") + text }
            if float == .infinity && flags.space && !flags.plus { text = " Inf" }
            return pad(text, flags, zeroAllowed: false)
        }
        var number: String
        if (verb == "v" || verb == "g" || verb == "G") && flags.precision == nil {
            number = shortest(float, uppercase: verb == "G")
            if flags.sharp { number = cFormat(float, verb: verb == "G" ? "G" : "g", precision: 6, sharp: true) }
        } else {
            let cVerb: Character = verb == "F" ? "f" : verb == "v" ? "g" : verb
            number = cFormat(float, verb: cVerb, precision: flags.precision ?? 6, sharp: flags.sharp)
        }
        var sign = ""
        if number.hasPrefix("-") {
            sign = "-"
            number.removeFirst()
        } else if flags.plus {
            sign = "+"
        } else if flags.space {
            sign = " "
        }
        if flags.zero, !flags.minus, let width = flags.width, sign.count + number.count < width {
            number = String(repeating: "0", count: width - sign.count - number.count) + number
        }
        return pad(sign + number, flags, zeroAllowed: false)
    }

    /// Go's `%x` of a float64 with the shortest mantissa: `0x1.cp+01` for 3.5.
    private static func hexFloat(_ value: Double) -> String {
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0x0p+00" }
        var exponent = Int(value.exponent)
        var significand = value.significandBitPattern
        if value.isSubnormal {
            // Normalise so the leading 1 is implicit, as Go prints subnormals.
            let shift = significand.leadingZeroBitCount - 11
            significand = (significand << UInt64(shift + 1)) & ((1 << 52) - 1)
            exponent = -1022 - shift - 1
        }
        var digits = String(significand, radix: 16)
        digits = String(repeating: "0", count: 13 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        let e = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
        return sign + "0x1" + (digits.isEmpty ? "" : "." + digits) + "p" + (exponent < 0 ? "-" : "+") + e
    }

    /// C's formatting of a finite double, which agrees with Go's for e, f and g with an explicit precision.
    private static func cFormat(_ value: Double, verb: Character, precision: Int, sharp: Bool) -> String {
        String(format: "%\(sharp ? "#" : "").\(precision)\(verb)", value)
    }

    /// Go's `%v` of a float64: the shortest digits that round-trip, in exponent form when the exponent is below
    /// -4 or at least 6 (Go's cut-off for shortest `%g`, unlike C's).
    static func shortest(_ value: Double, uppercase: Bool = false) -> String {
        GoFloatFormat.shortest(value, format: uppercase ? "G" : "g")
    }
}
