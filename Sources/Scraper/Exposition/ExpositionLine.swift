/// ExpositionLine walks one line of a scrape body; reading at or past the line's end yields `\n`.
///
/// A real `\n` never occurs inside a line, so the sentinel lets token loops stop at the end of the
/// line without a separate bounds check, and error positions fall out of `index - start`.
struct ExpositionLine {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Offset of the line's first byte.
    let start: Int
    /// Offset of the line's `\n`, or the body's length for a last line without one.
    let end: Int
    /// 1-based line number, for errors.
    let line: Int
    var index: Int

    init(bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, line: Int) {
        self.bytes = bytes
        self.start = start
        self.end = end
        self.line = line
        self.index = start
    }

    @inline(__always) func byte(at offset: Int) -> UInt8 {
        offset < end ? bytes[offset] : ExpositionByte.newline
    }

    @inline(__always) var current: UInt8 { byte(at: index) }

    var isAtEnd: Bool { index >= end }

    /// skipBlanks skips spaces and tabs, the 0.0.4 token separators.
    @inline(__always) mutating func skipBlanks() {
        while index < end, bytes[index] == ExpositionByte.space || bytes[index] == ExpositionByte.tab { index += 1 }
    }

    /// skipToBlank moves to the next space, tab or line end: the end of a 0.0.4 token.
    @inline(__always) mutating func skipToBlank() {
        while index < end, bytes[index] != ExpositionByte.space, bytes[index] != ExpositionByte.tab { index += 1 }
    }

    /// skipToSpace moves to the next space or line end: the end of an OpenMetrics token.
    @inline(__always) mutating func skipToSpace() {
        while index < end, bytes[index] != ExpositionByte.space { index += 1 }
    }

    /// scanMetricName consumes `[a-zA-Z_:][a-zA-Z0-9_:]*` and says whether there was one.
    @inline(__always) mutating func scanMetricName() -> Bool {
        guard ExpositionByte.isMetricNameStart(current) else { return false }
        index += 1
        while index < end, ExpositionByte.isMetricNameChar(bytes[index]) { index += 1 }
        return true
    }

    /// scanLabelName consumes `[a-zA-Z_][a-zA-Z0-9_]*` and says whether there was one.
    @inline(__always) mutating func scanLabelName() -> Bool {
        guard ExpositionByte.isLabelNameStart(current) else { return false }
        index += 1
        while index < end, ExpositionByte.isLabelNameChar(bytes[index]) { index += 1 }
        return true
    }

    /// scanQuotedValue consumes a label value after its opening quote, through the closing quote.
    ///
    /// Any escape is accepted here: `\\`, `\"` and `\n` decode, other pairs stay as written, as in
    /// Prometheus and OpenMetrics' `BS normal-char`. Only a backslash at the line's end is malformed.
    @inline(__always) mutating func scanQuotedValue() throws(ExpositionError) {
        while true {
            while index < end {
                let byte = bytes[index]
                if byte == ExpositionByte.quote || byte == ExpositionByte.backslash || byte >= 0x80 { break }
                index += 1
            }
            switch current {
            case ExpositionByte.quote:
                index += 1
                return
            case ExpositionByte.backslash:
                index += 1
                guard !isAtEnd else { throw expected("escaped character after '\\'", at: index) }
                if current < 0x80 { index += 1 } else { try skipUTF8Sequence() }
            case ExpositionByte.newline:
                throw expected("'\"' to close label value", at: index)
            default:
                try skipUTF8Sequence()
            }
        }
    }

    /// skipUTF8Sequence consumes one well-formed multi-byte UTF-8 sequence at `index`.
    mutating func skipUTF8Sequence() throws(ExpositionError) {
        guard let length = ExpositionUTF8.sequenceLength(bytes, at: index, end: end) else {
            throw error(.invalidUTF8, at: index, "expected UTF-8 text, got \(describeByte(at: index))")
        }
        index += length
    }

    /// validateUTF8 checks that `range` is well-formed UTF-8.
    func validateUTF8(_ range: Range<Int>) throws(ExpositionError) {
        var offset = range.lowerBound
        while offset < range.upperBound {
            if bytes[offset] < 0x80 {
                offset += 1
                continue
            }
            guard let length = ExpositionUTF8.sequenceLength(bytes, at: offset, end: range.upperBound) else {
                throw error(.invalidUTF8, at: offset, "expected UTF-8 text, got \(describeByte(at: offset))")
            }
            offset += length
        }
    }

    /// matches says whether `range` holds exactly the ASCII `literal`.
    func matches(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let text = literal.utf8Start
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != text[offset] { return false }
        return true
    }

    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: slice(range), as: UTF8.self)
    }

    // MARK: Errors

    func error(_ code: ExpositionError.Code, at offset: Int, _ message: String) -> ExpositionError {
        ExpositionError(code, line: line, column: offset - start + 1, message: message)
    }

    /// expected builds the usual `expected X, got Y` error with Y the byte at `offset`.
    func expected(_ what: String, at offset: Int, code: ExpositionError.Code = .invalidSyntax) -> ExpositionError {
        error(code, at: offset, "expected \(what), got \(describeByte(at: offset))")
    }

    /// describeByte names the byte at `offset` for a message: `'x'`, `tab`, `byte 0xFF`, or the end.
    func describeByte(at offset: Int) -> String {
        guard offset < end else { return end < bytes.count ? "end of line" : "end of input" }
        let byte = bytes[offset]
        switch byte {
        case ExpositionByte.tab: return "tab"
        case 0x20...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        default: return "byte 0x\(hex(byte))"
        }
    }

    /// describeToken quotes a token for a message, shortened and with non-printable bytes as `\xNN`.
    func describeToken(_ range: Range<Int>) -> String {
        guard !range.isEmpty else { return describeByte(at: range.lowerBound) }
        let limit = 40
        var text = "\""
        for offset in range.prefix(limit) {
            let byte = bytes[offset]
            switch byte {
            case ExpositionByte.quote, ExpositionByte.backslash: text += "\\\(Character(Unicode.Scalar(byte)))"
            case 0x20...0x7E: text.append(Character(Unicode.Scalar(byte)))
            default: text += "\\x\(hex(byte))"
            }
        }
        return text + (range.count > limit ? "…\"" : "\"")
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

/// ExpositionByte holds the bytes and character classes of the exposition grammar.
enum ExpositionByte {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let backslash: UInt8 = 0x5C
    static let underscore: UInt8 = 0x5F
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
    @inline(__always) static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isLabelNameStart(_ byte: UInt8) -> Bool { isLetter(byte) || byte == underscore }
    @inline(__always) static func isLabelNameChar(_ byte: UInt8) -> Bool { isLabelNameStart(byte) || isDigit(byte) }
    @inline(__always) static func isMetricNameStart(_ byte: UInt8) -> Bool { isLabelNameStart(byte) || byte == colon }
    @inline(__always) static func isMetricNameChar(_ byte: UInt8) -> Bool { isMetricNameStart(byte) || isDigit(byte) }
}

/// ExpositionUTF8 validates UTF-8 in place, so label values can be checked without building Strings.
enum ExpositionUTF8 {
    /// sequenceLength is the length of the well-formed sequence at `offset`, or nil.
    ///
    /// It rejects what Unicode calls ill-formed: stray continuation bytes, overlong forms,
    /// surrogates, and scalars past U+10FFFF.
    static func sequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, end: Int) -> Int? {
        let lead = bytes[offset]
        func continuation(_ at: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            at < end && range.contains(bytes[at])
        }
        switch lead {
        case 0x00...0x7F:
            return 1
        case 0xC2...0xDF:
            return continuation(offset + 1) ? 2 : nil
        case 0xE0...0xEF:
            let second: ClosedRange<UInt8> = lead == 0xE0 ? 0xA0...0xBF : lead == 0xED ? 0x80...0x9F : 0x80...0xBF
            return continuation(offset + 1, second) && continuation(offset + 2) ? 3 : nil
        case 0xF0...0xF4:
            let second: ClosedRange<UInt8> = lead == 0xF0 ? 0x90...0xBF : lead == 0xF4 ? 0x80...0x8F : 0x80...0xBF
            return continuation(offset + 1, second) && continuation(offset + 2) && continuation(offset + 3) ? 4 : nil
        default:
            return nil
        }
    }
}
