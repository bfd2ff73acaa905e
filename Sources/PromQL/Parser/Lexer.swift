/// Lexer splits a PromQL query into tokens, following the lexical rules of Prometheus 2.42.
///
/// It works on UTF-8 bytes, so token positions are byte offsets as in Prometheus. The lexer is
/// modal like Prometheus's: inside `{…}` keywords are plain identifiers, and right after `[` it
/// reads a duration. Comments (`# …` to end of line) are skipped. Errors use Prometheus's
/// wording and point at the start of the offending token.
struct Lexer {
    let bytes: [UInt8]
    private var position = 0
    /// start is where the token being scanned begins.
    private var start = 0
    private var lastWidth = 0
    private var parenDepth = 0
    private var braceOpen = false
    private var bracketOpen = false
    /// gotColon is set after the `:` of a subquery, which may appear once per bracket pair.
    private var gotColon = false
    /// durationNext is set after `[`, whose contents start with a duration.
    private var durationNext = false

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// next returns the next token, or `.eof` at the end of input.
    mutating func next() throws(PromQLParseError) -> Token {
        while true {
            if braceOpen {
                if let token = try nextInsideBraces() { return token }
                continue
            }
            if durationNext {
                durationNext = false
                while let rune = peekRune(), Self.isSpace(rune) { _ = nextRune() }
                start = position
                return try lexDuration()
            }
            start = position
            guard let rune = nextRune() else {
                if parenDepth != 0 { throw error("unclosed left parenthesis") }
                if bracketOpen { throw error("unclosed left bracket") }
                return emit(.eof)
            }
            switch rune {
            case "#":
                skipComment()
            case _ where Self.isSpace(rune):
                continue
            case ",": return emit(.comma)
            case "*": return emit(.binary(.mul))
            case "/": return emit(.binary(.div))
            case "%": return emit(.binary(.mod))
            case "+": return emit(.binary(.add))
            case "-": return emit(.binary(.sub))
            case "^": return emit(.binary(.pow))
            case "=":
                let following = peekRune()
                if following == "=" {
                    _ = nextRune()
                    return emit(.binary(.eql))
                }
                if following == "~" { throw error("unexpected character after '=': \(GoSyntax.quoteRune(following))") }
                return emit(.assign)
            case "!":
                let following = nextRune()
                guard following == "=" else {
                    throw error("unexpected character after '!': \(GoSyntax.quoteRune(following))")
                }
                return emit(.binary(.neq))
            case "<":
                if peekRune() == "=" {
                    _ = nextRune()
                    return emit(.binary(.lte))
                }
                return emit(.binary(.lss))
            case ">":
                if peekRune() == "=" {
                    _ = nextRune()
                    return emit(.binary(.gte))
                }
                return emit(.binary(.gtr))
            case _ where Self.isDigit(rune) || (rune == "." && peekRune().map(Self.isDigit) == true):
                backup()
                return try lexNumberOrDuration()
            case "\"", "'":
                return try lexString(quote: rune)
            case "`":
                return try lexRawString()
            case _ where Self.isAlpha(rune) || rune == ":":
                if !bracketOpen {
                    backup()
                    return lexKeywordOrIdentifier()
                }
                // Inside brackets any letter is taken as the subquery colon, as Prometheus does.
                if gotColon { throw error("unexpected colon \(GoSyntax.quoteRune(rune))") }
                gotColon = true
                return emit(.colon)
            case "(":
                parenDepth += 1
                return emit(.leftParen)
            case ")":
                parenDepth -= 1
                let token = emit(.rightParen)
                if parenDepth < 0 {
                    throw error("unexpected right parenthesis \(GoSyntax.quoteRune(rune))")
                }
                return token
            case "{":
                braceOpen = true
                return emit(.leftBrace)
            case "[":
                if bracketOpen { throw error("unexpected left bracket \(GoSyntax.quoteRune(rune))") }
                gotColon = false
                bracketOpen = true
                durationNext = true
                return emit(.leftBracket)
            case "]":
                if !bracketOpen { throw error("unexpected right bracket \(GoSyntax.quoteRune(rune))") }
                bracketOpen = false
                return emit(.rightBracket)
            case "@":
                return emit(.at)
            default:
                throw error("unexpected character: \(GoSyntax.quoteRune(rune))")
            }
        }
    }

    /// nextInsideBraces scans one token of a label matcher list, or returns nil after whitespace.
    private mutating func nextInsideBraces() throws(PromQLParseError) -> Token? {
        start = position
        guard let rune = nextRune() else { throw error("unexpected end of input inside braces") }
        switch rune {
        case "#":
            skipComment()
            return nil
        case _ where Self.isSpace(rune):
            return nil
        case _ where Self.isAlpha(rune):
            while let next = peekRune(), Self.isAlphaNumeric(next) { _ = nextRune() }
            return emit(.identifier)
        case ",":
            return emit(.comma)
        case "\"", "'":
            return try lexString(quote: rune)
        case "`":
            return try lexRawString()
        case "=":
            if nextRune() == "~" { return emit(.eqlRegex) }
            backup()
            return emit(.assign)
        case "!":
            let following = nextRune()
            if following == "~" { return emit(.neqRegex) }
            if following == "=" { return emit(.binary(.neq)) }
            throw error("unexpected character after '!' inside braces: \(GoSyntax.quoteRune(following))")
        case "{":
            throw error("unexpected left brace \(GoSyntax.quoteRune(rune))")
        case "}":
            braceOpen = false
            return emit(.rightBrace)
        default:
            throw error("unexpected character inside braces: \(GoSyntax.quoteRune(rune))")
        }
    }

    private mutating func skipComment() {
        while position < bytes.count, bytes[position] != UInt8(ascii: "\n"), bytes[position] != UInt8(ascii: "\r") {
            position += 1
        }
    }

    // MARK: Numbers and durations

    /// lexDuration scans the duration that must follow `[`.
    private mutating func lexDuration() throws(PromQLParseError) -> Token {
        if scanNumber() { throw error("missing unit character in duration") }
        guard acceptRemainingDuration() else { throw error("bad duration syntax: \(GoSyntax.quote(pendingText))") }
        backup()
        return emit(.duration)
    }

    private mutating func lexNumberOrDuration() throws(PromQLParseError) -> Token {
        if scanNumber() { return emit(.number) }
        if acceptRemainingDuration() {
            backup()
            return emit(.duration)
        }
        throw error("bad number or duration syntax: \(GoSyntax.quote(pendingText))")
    }

    /// scanNumber consumes decimal, hex or float syntax and reports whether no letter follows.
    ///
    /// The consumed text need not be a valid number; the parser reports that case.
    private mutating func scanNumber() -> Bool {
        var digit: (Unicode.Scalar) -> Bool = Self.isDigit
        if accept({ $0 == "0" }) && accept({ $0 == "x" || $0 == "X" }) {
            digit = { $0.properties.isASCIIHexDigit }
        }
        acceptRun(digit)
        if accept({ $0 == "." }) { acceptRun(digit) }
        if accept({ $0 == "e" || $0 == "E" }) {
            _ = accept({ $0 == "+" || $0 == "-" })
            acceptRun(Self.isDigit)
        }
        return !(peekRune().map(Self.isAlphaNumeric) ?? false)
    }

    /// acceptRemainingDuration consumes unit-and-number groups after the first number.
    ///
    /// It also consumes one extra rune, which callers back up over on success. Unit order and
    /// repetition are checked later by `parseDuration`.
    private mutating func acceptRemainingDuration() -> Bool {
        let isUnit: (Unicode.Scalar) -> Bool = { "smhdwy".unicodeScalars.contains($0) }
        guard accept(isUnit) else { return false }
        _ = accept({ $0 == "s" })
        while accept(Self.isDigit) {
            acceptRun(Self.isDigit)
            // `y` must come first, so it is not accepted after a number here.
            guard accept({ "smhdw".unicodeScalars.contains($0) }) else { return false }
            _ = accept({ $0 == "s" })
        }
        return !(nextRune().map(Self.isAlphaNumeric) ?? false)
    }

    // MARK: Identifiers and strings

    private mutating func lexKeywordOrIdentifier() -> Token {
        while let rune = peekRune(), Self.isAlphaNumeric(rune) || rune == ":" { _ = nextRune() }
        let word = pendingText
        if let kind = TokenKind.words[word.lowercased()] { return emit(kind) }
        return emit(word.contains(":") ? .metricIdentifier : .identifier)
    }

    /// lexString scans a `"…"` or `'…'` string and validates its Go escape sequences.
    private mutating func lexString(quote: Unicode.Scalar) throws(PromQLParseError) -> Token {
        while true {
            guard let rune = nextRune(), rune != "\n" else { throw error("unterminated quoted string") }
            switch rune {
            case "\\": try lexEscape(quote: quote)
            // Prometheus rejects U+FFFD because it is what invalid UTF-8 decodes to.
            case "\u{FFFD}": throw error("invalid UTF-8 rune")
            case quote: return emit(.string)
            default: continue
            }
        }
    }

    private mutating func lexEscape(quote: Unicode.Scalar) throws(PromQLParseError) {
        var rune = nextRune()
        let digits: Int, base: UInt32, maximum: UInt32
        switch rune {
        case "a", "b", "f", "n", "r", "t", "v", "\\", quote:
            return
        case .some("0"..."7"):
            (digits, base, maximum) = (3, 8, 255)
        case "x":
            rune = nextRune()
            (digits, base, maximum) = (2, 16, 255)
        case "u":
            rune = nextRune()
            (digits, base, maximum) = (4, 16, 0x10FFFF)
        case "U":
            rune = nextRune()
            (digits, base, maximum) = (8, 16, 0x10FFFF)
        case nil:
            throw error("escape sequence not terminated")
        case .some(let other):
            throw error("unknown escape sequence \(GoSyntax.unicodeDescription(other))")
        }
        var value: UInt64 = 0
        for index in 0..<digits {
            guard let current = rune else { throw error("escape sequence not terminated") }
            let digitValue = Character(current).hexDigitValue.map(UInt32.init) ?? 16
            guard current.isASCII, digitValue < base else {
                throw error("illegal character \(GoSyntax.unicodeDescription(current)) in escape sequence")
            }
            value = value * UInt64(base) + UInt64(digitValue)
            if index < digits - 1 { rune = nextRune() }
        }
        if value > maximum || (0xD800..<0xE000).contains(value) {
            throw error("escape sequence is an invalid Unicode code point")
        }
    }

    private mutating func lexRawString() throws(PromQLParseError) -> Token {
        while true {
            switch nextRune() {
            case nil: throw error("unterminated raw string")
            case "\u{FFFD}": throw error("invalid UTF-8 rune")
            case "`": return emit(.string)
            default: continue
            }
        }
    }

    // MARK: Runes

    private var pendingText: String { String(decoding: bytes[start..<position], as: UTF8.self) }

    private mutating func emit(_ kind: TokenKind) -> Token {
        let token = Token(kind: kind, start: start, end: position, text: pendingText)
        start = position
        return token
    }

    private func error(_ message: String) -> PromQLParseError {
        PromQLParseError(
            code: .syntax, message: message, positionRange: PositionRange(start: start, end: bytes.count), in: bytes)
    }

    /// nextRune decodes the scalar at the current position; nil means end of input.
    private mutating func nextRune() -> Unicode.Scalar? {
        guard position < bytes.count else {
            lastWidth = 0
            return nil
        }
        let lead = UInt32(bytes[position])
        let width = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        var value = width == 1 ? lead : lead & (0xFF >> (width + 1))
        for offset in 1..<max(width, 1) where position + offset < bytes.count {
            value = value << 6 | UInt32(bytes[position + offset] & 0x3F)
        }
        position += width
        lastWidth = width
        return Unicode.Scalar(value) ?? "\u{FFFD}"
    }

    /// backup steps back over the rune last returned by `nextRune`; valid once per call.
    private mutating func backup() { position -= lastWidth }

    private mutating func peekRune() -> Unicode.Scalar? {
        let rune = nextRune()
        backup()
        return rune
    }

    private mutating func accept(_ predicate: (Unicode.Scalar) -> Bool) -> Bool {
        if let rune = nextRune(), predicate(rune) { return true }
        backup()
        return false
    }

    private mutating func acceptRun(_ predicate: (Unicode.Scalar) -> Bool) {
        while accept(predicate) {}
    }

    static func isSpace(_ rune: Unicode.Scalar) -> Bool { rune == " " || rune == "\t" || rune == "\n" || rune == "\r" }
    static func isDigit(_ rune: Unicode.Scalar) -> Bool { rune >= "0" && rune <= "9" }
    static func isAlpha(_ rune: Unicode.Scalar) -> Bool {
        rune == "_" || (rune >= "a" && rune <= "z") || (rune >= "A" && rune <= "Z")
    }
    static func isAlphaNumeric(_ rune: Unicode.Scalar) -> Bool { isAlpha(rune) || isDigit(rune) }
}
