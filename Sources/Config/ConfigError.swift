/// ConfigError is a problem in a configuration or service-discovery file, with where it is.
///
/// Prints as `FILE:LINE:COL: message`, or `FILE: message` when there is no position (a file that cannot be read,
/// or a configuration built in code). Lines and columns start at 1.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Code is the kind of problem, for callers that react differently to, say, unreadable files.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The text is not well-formed YAML or JSON.
        public static let syntax = Code("syntax")
        /// A mapping has a key this configuration does not know, or knows but does not support.
        public static let unknownField = Code("unknownField")
        /// A value has the wrong type or fails validation.
        public static let invalidValue = Code("invalidValue")
        /// The file could not be read.
        public static let io = Code("io")
    }

    public var code: Code
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(code: Code, file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        switch (line, column) {
        case let (line?, column?): "\(file):\(line):\(column): \(message)"
        case let (line?, nil): "\(file):\(line): \(message)"
        default: "\(file): \(message)"
        }
    }
}

/// ConfigIssue is a problem found while decoding or validating, located by its coding path.
///
/// The loader turns it into a `ConfigError` by looking the path up in the composed YAML, which is how errors get
/// line numbers although `Decodable` knows nothing of positions. Issues thrown while decoding carry the absolute
/// path; `validate()` methods throw paths relative to the value validated and their callers prefix them.
public struct ConfigIssue: Error {
    public var message: String
    public var path: [any CodingKey]
    public var code: ConfigError.Code
    /// Whether to point at the key of the last path component rather than at its value, as for unknown fields.
    public var pointsAtKey: Bool

    public init(_ message: String, at path: [any CodingKey], code: ConfigError.Code = .invalidValue, pointsAtKey: Bool = false) {
        self.message = message
        self.path = path
        self.code = code
        self.pointsAtKey = pointsAtKey
    }

    public init(_ message: String, at path: ConfigPath...) {
        self.init(message, at: path.map(\.key))
    }

    /// The same issue located below `prefix`.
    public func within(_ prefix: [any CodingKey]) -> ConfigIssue {
        var copy = self
        copy.path = prefix + path
        return copy
    }

    public func within(_ prefix: ConfigPath...) -> ConfigIssue { within(prefix.map(\.key)) }

    /// The path in the notation a reader of the YAML would use: `scrape_configs[0].relabel_configs[1].regex`.
    public var pathDescription: String {
        var text = ""
        for key in path {
            if let index = key.intValue, key.stringValue == "Index \(index)" || key.stringValue == String(index) {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }
}

/// ConfigPath spells one step of a `ConfigIssue` path without declaring coding keys: a field name or a list index.
public enum ConfigPath: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case field(String)
    case index(Int)

    public init(stringLiteral value: String) { self = .field(value) }
    public init(integerLiteral value: Int) { self = .index(value) }

    public var key: any CodingKey {
        switch self {
        case .field(let name): AnyCodingKey(name)
        case .index(let index): AnyCodingKey(index: index)
        }
    }
}

/// AnyCodingKey names any mapping key or list index, for reading keys a type does not declare.
public struct AnyCodingKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int?

    public init(_ string: String) {
        stringValue = string
        intValue = nil
    }

    public init(index: Int) {
        stringValue = String(index)
        intValue = index
    }

    public init?(stringValue: String) { self.init(stringValue) }
    public init?(intValue: Int) { self.init(index: intValue) }
}
