import CRE2

/// Why a pattern did not compile, worded as Go's `regexp/syntax` words it.
///
/// `description` is Go's text, `error parsing regexp: invalid nested repetition operator: `++``, which Prometheus
/// shows in its parse errors and API responses.
public struct GoRegexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Go's `syntax.ErrorCode` values, which are also their messages.
    public enum Code: String, Sendable {
        case internalError = "regexp/syntax: internal error"
        case invalidCharClass = "invalid character class"
        case invalidCharRange = "invalid character class range"
        case invalidEscape = "invalid escape sequence"
        case invalidNamedCapture = "invalid named capture"
        case invalidPerlOp = "invalid or unsupported Perl syntax"
        case invalidRepeatOp = "invalid nested repetition operator"
        case invalidRepeatSize = "invalid repeat count"
        case invalidUTF8 = "invalid UTF-8"
        case missingBracket = "missing closing ]"
        case missingParen = "missing closing )"
        case missingRepeatArgument = "missing argument to repetition operator"
        case trailingBackslash = "trailing backslash at end of expression"
        case unexpectedParen = "unexpected )"
        case nestingDepth = "expression nests too deeply"
        case tooLarge = "expression too large"
    }

    public var code: Code
    /// The part of the (possibly anchored) pattern the error is about, as Go quotes it.
    public var argument: String

    public init(code: Code, argument: String) {
        self.code = code
        self.argument = argument
    }

    public var description: String { "error parsing regexp: \(code.rawValue): `\(argument)`" }

    /// Translates RE2's error code and argument for the compiled `source` into Go's.
    init(re2Code: Int32, argument: String, source: String) {
        switch UInt32(bitPattern: re2Code) {
        case CRE2_ERROR_BAD_ESCAPE.rawValue: code = .invalidEscape
        case CRE2_ERROR_BAD_CHAR_CLASS.rawValue: code = .invalidCharClass
        case CRE2_ERROR_BAD_CHAR_RANGE.rawValue: code = .invalidCharRange
        case CRE2_ERROR_MISSING_BRACKET.rawValue: code = .missingBracket
        case CRE2_ERROR_MISSING_PAREN.rawValue: code = .missingParen
        case CRE2_ERROR_UNEXPECTED_PAREN.rawValue: code = .unexpectedParen
        case CRE2_ERROR_TRAILING_BACKSLASH.rawValue: code = .trailingBackslash
        case CRE2_ERROR_REPEAT_ARGUMENT.rawValue: code = .missingRepeatArgument
        case CRE2_ERROR_REPEAT_SIZE.rawValue: code = .invalidRepeatSize
        case CRE2_ERROR_REPEAT_OP.rawValue: code = .invalidRepeatOp
        case CRE2_ERROR_BAD_PERL_OP.rawValue: code = .invalidPerlOp
        case CRE2_ERROR_BAD_UTF8.rawValue:
            // Swift strings are valid UTF-8; RE2 says "bad UTF-8" for an escape cut off by the end of the pattern
            // (`\x{`), which Go reports as an invalid escape from the backslash on.
            code = .invalidEscape
            if let backslash = source.utf8.lastIndex(of: UInt8(ascii: "\\")) {
                self.argument = String(source[backslash...])
                return
            }
        case CRE2_ERROR_BAD_NAMED_CAPTURE.rawValue: code = .invalidNamedCapture
        case CRE2_ERROR_PATTERN_TOO_LARGE.rawValue: code = .tooLarge
        default: code = .internalError
        }
        self.argument = argument
    }

    /// Rejects what RE2 accepts but Go does not, before RE2 sees the pattern.
    ///
    /// RE2 has `\C` (any byte) and non-ASCII group names, which Go has not; Go also limits nesting to 1000 levels.
    static func checkUnsupported(_ pattern: String, anchored: Bool) throws(GoRegexError) {
        let bytes = Array(pattern.utf8)
        var index = 0
        var depth = 0, deepest = 0
        var inClass = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                let next = bytes[index + 1]
                if next == UInt8(ascii: "C") { throw GoRegexError(code: .invalidEscape, argument: "\\C") }
                if next == UInt8(ascii: "Q") {
                    // Everything up to \E is literal.
                    index += 2
                    while index < bytes.count, !(bytes[index] == UInt8(ascii: "\\") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "E")) {
                        index += 1
                    }
                }
                index += 2
                continue
            }
            if byte == UInt8(ascii: "("), !inClass, bytes[index...].starts(with: Array("(?P<".utf8)) {
                // RE2 takes any letters in a group name; Go only ASCII letters, digits and "_".
                let nameStart = index + 4
                if let close = bytes[nameStart...].firstIndex(of: UInt8(ascii: ">")),
                   bytes[nameStart..<close].contains(where: { $0 >= 0x80 }) {
                    throw GoRegexError(code: .invalidNamedCapture, argument: String(decoding: bytes[index...close], as: UTF8.self))
                }
            }
            if inClass {
                if byte == UInt8(ascii: "[") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: ":") {
                    // A POSIX class such as [:alpha:]; skip to its closing ":]".
                    var end = index + 2
                    while end + 1 < bytes.count && !(bytes[end] == UInt8(ascii: ":") && bytes[end + 1] == UInt8(ascii: "]")) { end += 1 }
                    if end + 1 < bytes.count { index = end + 2; continue }
                }
                if byte == UInt8(ascii: "]") { inClass = false }
            } else if byte == UInt8(ascii: "[") {
                inClass = true
                // A "]" right after "[" or "[^" is a member, not the end.
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "^") { index += 1 }
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "]") { index += 1 }
            } else if byte == UInt8(ascii: "(") {
                depth += 1
                deepest = max(deepest, depth)
            } else if byte == UInt8(ascii: ")") {
                depth -= 1
            }
            index += 1
        }
        // Go measures the height of the parsed tree: each group is a level, and so are the leaf and, once anchored,
        // the concatenation around the pattern.
        if deepest + 1 + (anchored ? 1 : 0) > 1000 {
            let source = anchored ? "^(?:" + pattern + ")$" : pattern
            throw GoRegexError(code: .nestingDepth, argument: source)
        }
    }
}
