/// Reads the common case of a request body without Foundation's JSONDecoder: a flat JSON object
/// (or an array of them) holding exactly the model's fields as valid numbers.
///
/// It accepts only a strict subset of JSON and returns nil for anything else — other types,
/// escapes, unknown or missing fields, values out of range — so the general decoder, which gives
/// detailed errors, decides every request this reader does not. Measured, JSONDecoder's generic
/// decoding was the largest cost of `/predict` after the HTTP stack itself.
struct FastFeatureReader {
    private let bytes: UnsafeRawBufferPointer
    private let schema: FeatureSchema
    private var position = 0

    private init(_ bytes: UnsafeRawBufferPointer, _ schema: FeatureSchema) {
        self.bytes = bytes
        self.schema = schema
    }

    static func row(_ body: UnsafeRawBufferPointer, schema: FeatureSchema) -> FeatureRow? {
        var reader = FastFeatureReader(body, schema)
        guard let row = reader.object() else { return nil }
        reader.skipWhitespace()
        return reader.position == body.count ? row : nil
    }

    static func rows(_ body: UnsafeRawBufferPointer, limit: Int, schema: FeatureSchema) -> [FeatureRow]? {
        var reader = FastFeatureReader(body, schema)
        reader.skipWhitespace()
        guard reader.consume(UInt8(ascii: "[")) else { return nil }
        var rows: [FeatureRow] = []
        repeat {
            guard rows.count < limit, let row = reader.object() else { return nil }
            rows.append(row)
            reader.skipWhitespace()
        } while reader.consume(UInt8(ascii: ","))
        guard reader.consume(UInt8(ascii: "]")) else { return nil }
        reader.skipWhitespace()
        return reader.position == body.count ? rows : nil
    }

    private mutating func object() -> FeatureRow? {
        skipWhitespace()
        guard consume(UInt8(ascii: "{")) else { return nil }
        var values = [Double](repeating: .nan, count: schema.count)
        var seen = 0
        repeat {
            skipWhitespace()
            guard let field = key(expected: seen) else { return nil }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            // A repeated key goes to the general decoder, which has its own rule for it.
            guard let value = number(), schema.accepts(value, at: field), values[field].isNaN else { return nil }
            seen += 1
            values[field] = value
            skipWhitespace()
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")), seen == values.count else { return nil }
        return FeatureRow(values: values)
    }

    /// A quoted key without escapes that names one of the fields; its index.
    ///
    /// Bodies usually list fields in schema order, so the field at `expected` is tried first.
    private mutating func key(expected: Int) -> Int? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
            if bytes[position] == UInt8(ascii: "\\") || bytes[position] < 0x20 { return nil }
            position += 1
        }
        guard position < bytes.count else { return nil }
        let name = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
        position += 1
        return schema.nameBytes.withUnsafeBytes { names in
            func matches(_ index: Int) -> Bool {
                let range = schema.nameRanges[index]
                return range.count == name.count && UnsafeRawBufferPointer(rebasing: names[range]).elementsEqual(name)
            }
            if expected < schema.nameRanges.count, matches(expected) { return expected }
            return schema.nameRanges.indices.first(where: matches)
        }
    }

    /// A number in JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    ///
    /// Numbers of at most 15 significant digits and a power of ten up to 22 are converted exactly with one
    /// multiplication or division, as both operands are exact doubles; the rest go through the library's parser.
    private mutating func number() -> Double? {
        let start = position
        let negative = consume(UInt8(ascii: "-"))
        guard position < bytes.count else { return nil }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var scale = 0
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            let integerStart = position
            guard digits() > 0 else { return nil }
            accumulate(integerStart..<position, into: &mantissa, counting: &significantDigits)
        }
        if consume(UInt8(ascii: ".")) {
            let fractionStart = position
            guard digits() > 0 else { return nil }
            accumulate(fractionStart..<position, into: &mantissa, counting: &significantDigits)
            scale = fractionStart - position
        }
        var exponentIsShort = true
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            let exponentNegative = consume(UInt8(ascii: "-"))
            if !exponentNegative { _ = consume(UInt8(ascii: "+")) }
            let exponentStart = position
            let count = digits()
            guard count > 0 else { return nil }
            exponentIsShort = count <= 4
            if exponentIsShort {
                var exponent = 0
                for index in exponentStart..<position { exponent = exponent * 10 + Int(bytes[index] &- UInt8(ascii: "0")) }
                scale += exponentNegative ? -exponent : exponent
            }
        }
        if exponentIsShort, significantDigits <= 15, let magnitude = Self.exactly(mantissa, scale: scale) {
            return negative ? -magnitude : magnitude
        }
        // Short numbers fit a small string, which Swift stores inline without allocating.
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        return Double(text)
    }

    /// Appends digits to a mantissa, counting significant ones; past 15 the count alone goes on, as the number takes the slow path.
    private func accumulate(_ range: Range<Int>, into mantissa: inout UInt64, counting significantDigits: inout Int) {
        for index in range {
            let digit = UInt64(bytes[index] &- UInt8(ascii: "0"))
            if significantDigits == 0 && digit == 0 { continue }
            significantDigits += 1
            if significantDigits <= 15 { mantissa = mantissa * 10 + digit }
        }
    }

    /// Powers of ten that a double holds exactly.
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { power, _ in power * 10 }
    }

    /// `mantissa × 10^scale` rounded once, when the mantissa has at most 15 digits and |scale| ≤ 22; nil otherwise.
    private static func exactly(_ mantissa: UInt64, scale: Int) -> Double? {
        if mantissa == 0 { return 0 }
        guard scale >= -22, scale <= 22 else { return nil }
        let value = Double(mantissa)
        return scale >= 0 ? value * exactPowersOfTen[scale] : value / exactPowersOfTen[-scale]
    }

    private mutating func digits() -> Int {
        let start = position
        while position < bytes.count, bytes[position] &- UInt8(ascii: "0") < 10 { position += 1 }
        return position - start
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 {
            position += 1
        }
    }
}
