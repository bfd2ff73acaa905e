/// PositionRange is a half-open range of UTF-8 byte offsets into the parsed query.
///
/// Offsets are bytes, not characters, because Prometheus counts columns in bytes and error
/// messages should point at the same column as Prometheus does.
public struct PositionRange: Sendable, Hashable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public var description: String { "\(start)..<\(end)" }
}

/// PromQLParseError is a lexical, syntactic or type error in a PromQL expression.
///
/// `description` reads like Prometheus: `1:12: parse error: unexpected <op:+>`. The line is
/// 1-based and the column is the 1-based byte offset within that line.
public struct PromQLParseError: Error, Sendable, CustomStringConvertible {
    /// Code classifies an error so callers can react without matching on message text.
    public enum Code: Sendable, Hashable {
        /// A token that cannot appear where it does, or a malformed token.
        case syntax
        /// A well-formed literal with a bad value: number, duration, regex, timestamp.
        case invalidValue
        /// A type or placement rule of PromQL: argument types, `bool`, `offset` targets.
        case type
    }

    public var code: Code
    public var message: String
    /// The offending input range; `start` decides the reported line and column.
    public var positionRange: PositionRange
    public var line: Int
    public var column: Int
    /// The underlying error, e.g. the `MatcherError` of a bad regular expression.
    public var cause: (any Error & Sendable)?

    public init(
        code: Code, message: String, positionRange: PositionRange, in input: String,
        cause: (any Error & Sendable)? = nil
    ) {
        self.init(code: code, message: message, positionRange: positionRange, in: Array(input.utf8), cause: cause)
    }

    init(
        code: Code, message: String, positionRange: PositionRange, in bytes: [UInt8],
        cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.positionRange = positionRange
        self.cause = cause
        var line = 1
        var lastLineBreak = -1
        let limit = min(max(positionRange.start, 0), bytes.count)
        for index in 0..<limit where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lastLineBreak = index
        }
        self.line = line
        self.column = limit - lastLineBreak
    }

    /// The 1-based line and byte column of the start of the offending range.
    public var position: (line: Int, column: Int) { (line, column) }

    public var description: String { "\(line):\(column): parse error: \(message)" }
}
