import Foundation

/// Any JSON value, so that request validation can report every bad field instead of the first.
enum JSONValue: Sendable, Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Tries the kinds in order of how often requests hold them, numbers first: every failed
    /// attempt costs a thrown DecodingError, so a valid body decodes without any.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Decodes a body expected to be an object (`[String: …]`) or an array of objects without
    /// probing other kinds first; anything else falls back to the general decoder.
    ///
    /// A leading UTF-8 byte order mark is refused, as FastAPI's JSON parser refuses it (JSON text has none);
    /// Foundation's decoder would skip it silently.
    static func decodeBody(_ data: Data, expectingArray: Bool) throws -> JSONValue {
        if data.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "Unexpected UTF-8 BOM (decode using utf-8-sig)"))
        }
        if nestingDepth(of: data) > maxDepth {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "arrays and objects nested deeper than \(maxDepth) levels"))
        }
        let decoder = JSONDecoder()
        if expectingArray {
            if let rows = try? decoder.decode([[String: JSONValue]].self, from: data) { return .array(rows.map(JSONValue.object)) }
        } else if let members = try? decoder.decode([String: JSONValue].self, from: data) {
            return .object(members)
        }
        return try decoder.decode(JSONValue.self, from: data)
    }

    /// maxDepth bounds how deeply a body may nest arrays and objects.
    ///
    /// Decoding tries each kind of value in turn, and every failed try at depth d costs O(d), so a body of
    /// 500 nested brackets (1 KB) took seconds of CPU. A patient needs depth 2; extra fields are echoed back.
    static let maxDepth = 32

    /// nestingDepth is the deepest bracket nesting outside strings, found in one pass without decoding.
    static func nestingDepth(of data: Data) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// The value as it goes back to the client inside an error, like FastAPI's `input`.
    var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return JSONText.number(n)
        case .string(let s): return JSONText.quoted(s)
        case .array(let items): return "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.sorted { $0.key < $1.key }.map { JSONText.quoted($0.key) + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        }
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// Small JSON text helpers for responses built by hand on the hot path.
enum JSONText {
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += "\\u" + String(c.value, radix: 16).leftPadded(to: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Shortest round-trip decimal; integers without a fraction; non-finite values as null (JSON has none).
    static func number(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return "\(n)"
    }
}
