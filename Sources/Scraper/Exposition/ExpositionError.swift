/// ExpositionError is a malformed scrape body, located by 1-based line and byte column.
///
/// Columns count bytes, not characters, because the parser never decodes the lines it rejects.
public struct ExpositionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Code is the kind of fault, for callers that count failures by reason.
    public enum Code: String, Sendable, Hashable {
        /// A token is missing or has the wrong shape: names, label sets, quotes, separators.
        case invalidSyntax
        /// A value that is not a float64 spelling, or is out of range.
        case invalidValue
        /// A timestamp that is not an integer (0.0.4) or real number (OpenMetrics), or is out of range.
        case invalidTimestamp
        /// A `# TYPE` line naming a type the format does not have.
        case invalidType
        /// The same label name twice in one series, or `__name__` inside the braces.
        case duplicateLabel
        /// Bytes that are not UTF-8 inside a label value or help text.
        case invalidUTF8
        /// An OpenMetrics body that ends without `# EOF`.
        case missingEOF
        /// Anything after an OpenMetrics `# EOF` line.
        case contentAfterEOF
    }

    /// code is the kind of fault.
    public var code: Code
    /// line is the 1-based line of the fault.
    public var line: Int
    /// column is the 1-based byte offset of the fault within its line.
    public var column: Int
    /// message says what was wrong, usually as `expected X, got Y`.
    public var message: String

    public init(_ code: Code, line: Int, column: Int, message: String) {
        self.code = code
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(line):\(column): \(message)" }
}
