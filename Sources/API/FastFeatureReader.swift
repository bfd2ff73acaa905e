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
            guard let value = number(), schema.features[field].accepts(value), values[field].isNaN else { return nil }
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
        if expected < schema.utf8Names.count, schema.utf8Names[expected].elementsEqual(name) { return expected }
        for (index, fieldName) in schema.utf8Names.enumerated() where fieldName.elementsEqual(name) {
            return index
        }
        return nil
    }

    /// A number in JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func number() -> Double? {
        let start = position
        _ = consume(UInt8(ascii: "-"))
        guard position < bytes.count else { return nil }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            guard digits() > 0 else { return nil }
        }
        if consume(UInt8(ascii: ".")) { guard digits() > 0 else { return nil } }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard digits() > 0 else { return nil }
        }
        // Short numbers fit a small string, which Swift stores inline without allocating.
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        return Double(text)
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
