/// TemplateToken is one lexical item of a template: text outside actions, or a token inside `{{ }}`.
struct TemplateToken {
    enum Kind: Equatable {
        case error, bool, char, charConstant, number, string, rawString, assign, declare, eof, field, identifier
        case leftDelim, rightDelim, leftParen, rightParen, pipe, space, text, variable
        // Keywords.
        case dot, block, breakKeyword, continueKeyword, define, elseKeyword, end, ifKeyword, nilKeyword, range
        case template, with

        var isKeyword: Bool {
            switch self {
            case .dot, .block, .breakKeyword, .continueKeyword, .define, .elseKeyword, .end, .ifKeyword, .nilKeyword,
                .range, .template, .with:
                true
            default: false
            }
        }
    }

    var kind: Kind
    /// Byte offset of the token in the template text.
    var position: Int
    /// The token's text; for `.error`, the message.
    var value: String
    /// Line of the token's start, from 1.
    var line: Int

    /// Go's rendering of a token in "unexpected …" messages.
    var goDescription: String {
        switch kind {
        case .eof: return "EOF"
        case .error: return value
        case _ where kind.isKeyword: return "<\(value)>"
        default:
            if value.unicodeScalars.count > 10 { return GoFormat.quote(String(String.UnicodeScalarView(value.unicodeScalars.prefix(10)))) + "..." }
            return GoFormat.quote(value)
        }
    }
}

/// TemplateLexer splits a template into tokens with the rules of Go's `text/template` lexer.
///
/// Delimiters are `{{` and `}}`. `{{- ` trims the white space before an action and ` -}}` the white space after
/// it; `{{/* … */}}` is a comment. Inside an action, newlines count as spaces. Lexing stops at the first error,
/// which becomes an `.error` token so the parser reports it where Go would.
struct TemplateLexer {
    private let bytes: [UInt8]
    private var pos = 0
    private var start = 0
    private var line = 1
    private var startLine = 1
    private var parenDepth = 0
    private(set) var tokens: [TemplateToken] = []

    private static let keywords: [String: TemplateToken.Kind] = [
        ".": .dot, "block": .block, "break": .breakKeyword, "continue": .continueKeyword, "define": .define,
        "else": .elseKeyword, "end": .end, "if": .ifKeyword, "range": .range, "nil": .nilKeyword,
        "template": .template, "with": .with,
    ]

    /// Tokenizes the whole template; the last token is `.eof` or `.error`.
    static func tokenize(_ text: String) -> [TemplateToken] {
        var lexer = TemplateLexer(bytes: Array(text.utf8))
        lexer.run()
        return lexer.tokens
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func run() {
        var insideAction = false
        while true {
            let ok = insideAction ? lexInsideAction(&insideAction) : lexText(&insideAction)
            if !ok { return }
        }
    }

    // MARK: Helpers

    private func peek(_ offset: Int = 0) -> UInt8? {
        pos + offset < bytes.count ? bytes[pos + offset] : nil
    }

    private func hasPrefix(_ prefix: String, at index: Int) -> Bool {
        let p = Array(prefix.utf8)
        guard index + p.count <= bytes.count else { return false }
        return bytes[index..<(index + p.count)].elementsEqual(p)
    }

    private static func isSpace(_ byte: UInt8?) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }

    /// `{{- ` at `index` (just after the `{{`).
    private func hasLeftTrimMarker(at index: Int) -> Bool {
        index + 1 < bytes.count && bytes[index] == UInt8(ascii: "-") && Self.isSpace(bytes[index + 1])
    }

    /// Whether `index` is at `}}` or at ` -}}`, and which.
    private func atRightDelim(_ index: Int) -> (delim: Bool, trim: Bool) {
        if index + 1 < bytes.count, Self.isSpace(bytes[index]), bytes[index + 1] == UInt8(ascii: "-"), hasPrefix("}}", at: index + 2) {
            return (true, true)
        }
        return (hasPrefix("}}", at: index), false)
    }

    private func text(_ from: Int, _ to: Int) -> String {
        String(decoding: bytes[from..<to], as: UTF8.self)
    }

    private mutating func emit(_ kind: TemplateToken.Kind) {
        tokens.append(TemplateToken(kind: kind, position: start, value: text(start, pos), line: startLine))
        advanceStart()
    }

    private mutating func advanceStart() {
        for index in start..<pos where bytes[index] == UInt8(ascii: "\n") { line += 1 }
        start = pos
        startLine = line
    }

    private mutating func fail(_ message: String) -> Bool {
        tokens.append(TemplateToken(kind: .error, position: start, value: message, line: startLine))
        return false
    }

    // MARK: States

    private mutating func lexText(_ insideAction: inout Bool) -> Bool {
        var index = pos
        while index < bytes.count, !hasPrefix("{{", at: index) { index += 1 }
        guard index < bytes.count else {
            pos = bytes.count
            if pos > start { emit(.text) }
            tokens.append(TemplateToken(kind: .eof, position: pos, value: "", line: line))
            return false
        }
        // Text before the delimiter, without trailing white space when the action trims it.
        var end = index
        if hasLeftTrimMarker(at: index + 2) {
            while end > start, Self.isSpace(bytes[end - 1]) { end -= 1 }
        }
        if end > start {
            pos = end
            emit(.text)
        }
        pos = index
        advanceStart()
        // The left delimiter, possibly a comment.
        pos += 2
        let trim = hasLeftTrimMarker(at: pos)
        let afterMarker = trim ? 2 : 0
        if hasPrefix("/*", at: pos + afterMarker) {
            pos += afterMarker
            return lexComment()
        }
        emit(.leftDelim)
        pos += afterMarker
        advanceStart()
        parenDepth = 0
        insideAction = true
        return true
    }

    private mutating func lexComment() -> Bool {
        pos += 2
        var index = pos
        while index + 1 < bytes.count, !hasPrefix("*/", at: index) { index += 1 }
        guard index + 1 < bytes.count else { return fail("unclosed comment") }
        pos = index + 2
        let (delim, trim) = atRightDelim(pos)
        guard delim else { return fail("comment ends before closing delimiter") }
        pos += (trim ? 2 : 0) + 2
        if trim { while pos < bytes.count, Self.isSpace(bytes[pos]) { pos += 1 } }
        advanceStart()
        return true
    }

    private mutating func lexRightDelim(_ insideAction: inout Bool) -> Bool {
        let (_, trim) = atRightDelim(pos)
        if trim {
            pos += 2
            advanceStart()
        }
        pos += 2
        emit(.rightDelim)
        if trim {
            while pos < bytes.count, Self.isSpace(bytes[pos]) { pos += 1 }
            advanceStart()
        }
        insideAction = false
        return true
    }

    private mutating func lexInsideAction(_ insideAction: inout Bool) -> Bool {
        let (delim, _) = atRightDelim(pos)
        if delim {
            if parenDepth == 0 { return lexRightDelim(&insideAction) }
            return fail("unclosed left paren")
        }
        guard let byte = peek() else { return fail("unclosed action") }
        switch byte {
        case _ where Self.isSpace(byte):
            return lexSpace(&insideAction)
        case UInt8(ascii: "="):
            pos += 1
            emit(.assign)
        case UInt8(ascii: ":"):
            pos += 1
            guard peek() == UInt8(ascii: "=") else { return fail("expected :=") }
            pos += 1
            emit(.declare)
        case UInt8(ascii: "|"):
            pos += 1
            emit(.pipe)
        case UInt8(ascii: "\""):
            return lexQuote()
        case UInt8(ascii: "`"):
            return lexRawQuote()
        case UInt8(ascii: "$"):
            pos += 1
            return lexFieldOrVariable(.variable)
        case UInt8(ascii: "'"):
            return lexChar()
        case UInt8(ascii: "."):
            if let next = peek(1), next < UInt8(ascii: "0") || next > UInt8(ascii: "9") {
                pos += 1
                return lexFieldOrVariable(.field)
            }
            return lexNumber()
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return lexNumber()
        case UInt8(ascii: "("):
            pos += 1
            emit(.leftParen)
            parenDepth += 1
        case UInt8(ascii: ")"):
            pos += 1
            emit(.rightParen)
            parenDepth -= 1
            if parenDepth < 0 { return fail("unexpected right paren U+0029 ')'") }
        default:
            let (scalar, width) = decodeScalar(at: pos)
            if isAlphaNumeric(scalar) { return lexIdentifier() }
            if scalar.value < 0x80 && scalar.value >= 0x20 && scalar.value < 0x7F {
                pos += width
                emit(.char)
            } else {
                return fail("unrecognized character in action: \(GoFormat.unicodeDescription(scalar))")
            }
        }
        return true
    }

    private mutating func lexSpace(_ insideAction: inout Bool) -> Bool {
        var count = 0
        while Self.isSpace(peek()) {
            pos += 1
            count += 1
        }
        // A space followed by "-}}" belongs to a trimming right delimiter.
        if atRightDelim(pos - 1).trim {
            pos -= 1
            if count == 1 { return lexRightDelim(&insideAction) }
        }
        emit(.space)
        return true
    }

    private mutating func lexIdentifier() -> Bool {
        while pos < bytes.count {
            let (scalar, width) = decodeScalar(at: pos)
            guard isAlphaNumeric(scalar) else { break }
            pos += width
        }
        guard atTerminator() else { return fail("bad character \(GoFormat.unicodeDescription(decodeScalar(at: pos).scalar))") }
        let word = text(start, pos)
        if let keyword = Self.keywords[word], keyword != .dot {
            emit(keyword)
        } else if word == "true" || word == "false" {
            emit(.bool)
        } else {
            emit(.identifier)
        }
        return true
    }

    /// Scans `$name` or `.Name`; the `$` or `.` has been consumed.
    private mutating func lexFieldOrVariable(_ kind: TemplateToken.Kind) -> Bool {
        if atTerminator() {
            emit(kind == .variable ? .variable : .dot)
            return true
        }
        while pos < bytes.count {
            let (scalar, width) = decodeScalar(at: pos)
            guard isAlphaNumeric(scalar) else { break }
            pos += width
        }
        guard atTerminator() else { return fail("bad character \(GoFormat.unicodeDescription(decodeScalar(at: pos).scalar))") }
        emit(kind)
        return true
    }

    /// Whether the next character may follow an identifier: space, end, `.`, `,`, `|`, `:`, `(`, `)` or `}`.
    private func atTerminator() -> Bool {
        guard let byte = peek() else { return true }
        if Self.isSpace(byte) { return true }
        return ".,|:)(}".utf8.contains(byte)
    }

    private mutating func lexChar() -> Bool {
        pos += 1
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { return fail("unterminated character constant") }
            pos += 1
            if byte == UInt8(ascii: "\\") {
                guard let escaped = peek(), escaped != UInt8(ascii: "\n") else { return fail("unterminated character constant") }
                pos += 1
            } else if byte == UInt8(ascii: "'") {
                break
            }
        }
        emit(.charConstant)
        return true
    }

    private mutating func lexNumber() -> Bool {
        guard scanNumber() else { return fail("bad number syntax: \(GoFormat.quote(text(start, pos)))") }
        if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            // Go would lex a complex constant here; templates for alerts have no use for them.
            _ = scanNumber()
            return fail("bad number syntax: \(GoFormat.quote(text(start, pos)))")
        }
        emit(.number)
        return true
    }

    private mutating func accept(_ valid: String) -> Bool {
        guard let byte = peek(), valid.utf8.contains(byte) else { return false }
        pos += 1
        return true
    }

    private mutating func acceptRun(_ valid: String) {
        while accept(valid) {}
    }

    private mutating func scanNumber() -> Bool {
        _ = accept("+-")
        var digits = "0123456789_"
        if accept("0") {
            if accept("xX") {
                digits = "0123456789abcdefABCDEF_"
            } else if accept("oO") {
                digits = "01234567_"
            } else if accept("bB") {
                digits = "01_"
            }
        }
        acceptRun(digits)
        if accept(".") { acceptRun(digits) }
        if digits.count == 11 && accept("eE") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        if digits.count == 23 && accept("pP") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        _ = accept("i")
        if pos < bytes.count, isAlphaNumeric(decodeScalar(at: pos).scalar) {
            pos += decodeScalar(at: pos).width
            return false
        }
        return true
    }

    private mutating func lexQuote() -> Bool {
        pos += 1
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { return fail("unterminated quoted string") }
            pos += 1
            if byte == UInt8(ascii: "\\") {
                guard let escaped = peek(), escaped != UInt8(ascii: "\n") else { return fail("unterminated quoted string") }
                pos += 1
            } else if byte == UInt8(ascii: "\"") {
                break
            }
        }
        emit(.string)
        return true
    }

    private mutating func lexRawQuote() -> Bool {
        pos += 1
        while true {
            guard let byte = peek() else { return fail("unterminated raw quoted string") }
            pos += 1
            if byte == UInt8(ascii: "`") { break }
        }
        emit(.rawString)
        return true
    }

    private func decodeScalar(at index: Int) -> (scalar: Unicode.Scalar, width: Int) {
        var iterator = bytes[index...].makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let scalar) = decoder.decode(&iterator) {
            return (scalar, String(scalar).utf8.count)
        }
        return ("\u{FFFD}", 1)
    }

    private func isAlphaNumeric(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal
    }
}
