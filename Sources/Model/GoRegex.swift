import CRE2

/// A regular expression with Go's `regexp` syntax and semantics, compiled and run by RE2.
///
/// Prometheus uses regexes two ways, and each has a constructor: `anchored` compiles `^(?:pattern)$` exactly as
/// Prometheus does for selectors (`=~`, `!~`), `label_replace` and relabeling, so even odd patterns such as `a)|(b`
/// behave the same; `unanchored` is the plain pattern, for the template functions `match` and `reReplaceAll`.
/// Matching runs on UTF-8 bytes in linear time (no backtracking), so no pattern can stall a query.
///
/// Unchecked Sendable: the RE2 object is immutable after compilation and RE2 documents concurrent matching on one
/// object as safe; the pointer is owned by this instance and freed once, in `deinit`.
public final class GoRegex: @unchecked Sendable, CustomStringConvertible {
    /// The pattern as the user wrote it, without the anchoring wrapper.
    public let pattern: String
    /// Whether the pattern must match the whole text (`^(?:pattern)$`).
    public let isAnchored: Bool
    /// How many capturing groups the pattern has, not counting group 0 (the whole match).
    public let groupCount: Int
    /// Capturing group names by group index; nil for unnamed groups. Index 0 is the whole match.
    public let groupNames: [String?]

    let shortcut: Shortcut
    private let compiled: OpaquePointer

    /// Matches that avoid a call into RE2 for the shapes selectors and relabeling use most; each one decides exactly
    /// what the anchored regex would (`.` is any character but `\n`, and Swift strings are valid UTF-8).
    enum Shortcut {
        case none
        /// `literal`: the text equals the pattern.
        case literal(String)
        /// `a|b|c` of a few literals: the text is one of them (compared in turn, cheaper than hashing).
        case fewAlternatives([String])
        /// `a|b|c|…` of many literals: the text is one of them.
        case alternatives(Set<ByteString>)
        /// `.*`: any text without `\n`.
        case anyLine
        /// `(.*)`: any text without `\n`, captured as group 1.
        case capturedLine
        /// `literal.*` (`nonEmpty` false) or `literal.+` (true): the prefix, then a rest without `\n`.
        case prefix(String, nonEmpty: Bool)
        /// `.*literal.*`: no `\n` anywhere, and the literal somewhere.
        case contains(String)
    }

    /// Compiles `^(?:pattern)$`, as Prometheus compiles selector, `label_replace` and relabeling regexes.
    public convenience init(anchored pattern: String) throws(GoRegexError) {
        try self.init(pattern: pattern, anchored: true)
    }

    /// Compiles the pattern as written, for searches anywhere in a text.
    public convenience init(unanchored pattern: String) throws(GoRegexError) {
        try self.init(pattern: pattern, anchored: false)
    }

    private init(pattern: String, anchored: Bool) throws(GoRegexError) {
        try GoRegexError.checkUnsupported(pattern, anchored: anchored)
        let source = anchored ? "^(?:" + pattern + ")$" : pattern
        let regex = source.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.withMemoryRebound(to: CChar.self) { cre2_compile($0.baseAddress, $0.count) }
        } ?? Array(source.utf8).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { cre2_compile($0.baseAddress, $0.count) }
        }
        guard let regex else { throw GoRegexError(code: .internalError, argument: "out of memory") }
        let code = cre2_error_code(regex)
        guard code == Int32(CRE2_NO_ERROR.rawValue) else {
            var length = 0
            let argument = cre2_error_arg(regex, &length).map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self)
            } ?? ""
            let error = GoRegexError(re2Code: code, argument: argument, source: source)
            cre2_free(regex)
            throw error
        }
        compiled = regex
        self.pattern = pattern
        self.isAnchored = anchored
        let count = Int(cre2_group_count(regex))
        groupCount = count
        groupNames = (0...count).map { index in cre2_group_name(regex, Int32(index)).map { String(cString: $0) } }
        shortcut = anchored ? Self.shortcut(for: pattern) : .none
    }

    deinit { cre2_free(compiled) }

    public var description: String { pattern }

    /// The fast path for an anchored pattern, when its shape has one.
    private static func shortcut(for pattern: String) -> Shortcut {
        if pattern == ".*" { return .anyLine }
        if pattern == "(.*)" { return .capturedLine }
        if isLiteral(pattern) { return .literal(pattern) }
        if !pattern.utf8.contains(where: { $0 != UInt8(ascii: "|") && isMetacharacter($0) }) {
            let parts = pattern.utf8.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            return parts.count <= 8 ? .fewAlternatives(parts) : .alternatives(Set(parts.map { ByteString($0) }))
        }
        for (suffix, nonEmpty) in [(".*", false), (".+", true)] where pattern.hasSuffix(suffix) {
            let literal = String(decoding: pattern.utf8.dropLast(2), as: UTF8.self)
            if isLiteral(literal) { return .prefix(literal, nonEmpty: nonEmpty) }
        }
        if pattern.utf8.count > 4, pattern.hasPrefix(".*"), pattern.hasSuffix(".*") {
            let literal = String(decoding: pattern.utf8.dropFirst(2).dropLast(2), as: UTF8.self)
            if !literal.isEmpty, isLiteral(literal) { return .contains(literal) }
        }
        return .none
    }

    /// Whether `text` has no `\n` and contains `literal`: the anchored `.*literal.*`.
    private static func containsWithoutNewline(_ text: String, _ literal: String) -> Bool {
        var text = text, literal = literal
        return text.withUTF8 { haystack in
            literal.withUTF8 { needle in
                guard !haystack.contains(UInt8(ascii: "\n")), let haystackBase = haystack.baseAddress,
                      let needleBase = needle.baseAddress, needle.count <= haystack.count else { return false }
                let first = needleBase[0]
                var start = 0
                while start + needle.count <= haystack.count {
                    if haystackBase[start] == first, memoryEqual(haystackBase + start, needleBase, needle.count) {
                        return true
                    }
                    start += 1
                }
                return false
            }
        }
    }

    private static func isMetacharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\\"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "*"), UInt8(ascii: "?"),
             UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"),
             UInt8(ascii: "}"), UInt8(ascii: "|"), UInt8(ascii: "^"), UInt8(ascii: "$"):
            return true
        default:
            return false
        }
    }

    private static func isLiteral(_ text: String) -> Bool { !text.utf8.contains(where: isMetacharacter) }

    // MARK: Matching

    /// Whether the regex matches `text` (the whole of it when anchored; anywhere in it otherwise).
    public func matches(_ text: String) -> Bool {
        switch shortcut {
        case .literal(let literal): return text.utf8Equal(literal)
        case .fewAlternatives(let literals): return literals.contains { $0.utf8Equal(text) }
        case .alternatives(let set): return set.contains(ByteString(text))
        case .anyLine, .capturedLine: return !text.utf8.contains(UInt8(ascii: "\n"))
        case .prefix(let prefix, let nonEmpty):
            let bytes = text.utf8, prefixBytes = prefix.utf8
            guard bytes.count >= prefixBytes.count + (nonEmpty ? 1 : 0), bytes.starts(with: prefixBytes) else { return false }
            return !bytes.dropFirst(prefixBytes.count).contains(UInt8(ascii: "\n"))
        case .contains(let literal):
            return Self.containsWithoutNewline(text, literal)
        case .none: break
        }
        var utf8 = text
        return utf8.withUTF8 { search($0, from: 0) }
    }

    /// Whether the regex matches UTF-8 `bytes`; invalid sequences count as U+FFFD one byte each, as in Go.
    public func matches(bytes: some Collection<UInt8>) -> Bool {
        firstMatch(bytes: bytes) != nil
    }

    /// The byte ranges of the leftmost match and its groups (nil for a group that took no part), or nil.
    ///
    /// Invalid UTF-8 is matched as Go does, each bad byte as one U+FFFD; the ranges index the original bytes.
    public func firstMatch(bytes: some Collection<UInt8>) -> [Range<Int>?]? {
        let input = Array(bytes)
        let decoded = GoUTF8.replacingInvalid(input)
        var spans = [cre2_span](repeating: cre2_span(start: -1, end: -1), count: groupCount + 1)
        let found = decoded.bytes.withUnsafeBufferPointer { search($0, from: 0, into: &spans) }
        guard found else { return nil }
        return spans.map { span in
            guard span.start >= 0 else { return nil }
            return decoded.originalOffset(Int(span.start))..<decoded.originalOffset(Int(span.end))
        }
    }

    /// The texts of the match's groups (group 0 is the whole match, nil for groups that took no part), or nil
    /// when the regex does not match.
    public func captures(_ text: String) -> [Substring?]? {
        switch shortcut {
        case .literal, .fewAlternatives, .alternatives, .anyLine, .prefix, .contains:
            return matches(text) ? [text[...]] : nil
        case .capturedLine:
            return matches(text) ? [text[...], text[...]] : nil
        case .none:
            break
        }
        var copy = text
        var spans = [cre2_span](repeating: cre2_span(start: -1, end: -1), count: groupCount + 1)
        let found = copy.withUTF8 { search($0, from: 0, into: &spans) }
        guard found else { return nil }
        let utf8 = text.utf8
        return spans.map { span in
            guard span.start >= 0 else { return nil }
            let lower = utf8.index(utf8.startIndex, offsetBy: Int(span.start))
            let upper = utf8.index(lower, offsetBy: Int(span.end - span.start))
            return text[lower..<upper]
        }
    }

    /// Whether RE2 finds a match in `text` from byte `start`, with all of `text` as context for `^` and `\b`.
    func search(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        text.withMemoryRebound(to: CChar.self) { chars in
            cre2_match(compiled, chars.baseAddress, chars.count, start, CRE2_UNANCHORED, nil, 0) == 1
        }
    }

    /// Like `search(_:from:)`, filling `spans` (group 0 first) with byte offsets into `text`.
    func search(_ text: UnsafeBufferPointer<UInt8>, from start: Int, into spans: inout [cre2_span]) -> Bool {
        text.withMemoryRebound(to: CChar.self) { chars in
            spans.withUnsafeMutableBufferPointer { buffer in
                cre2_match(compiled, chars.baseAddress, chars.count, start, CRE2_UNANCHORED, buffer.baseAddress, Int32(buffer.count)) == 1
            }
        }
    }
}

/// Go's reading of UTF-8: a byte that does not start a valid sequence is one U+FFFD, one byte wide.
///
/// RE2 skips invalid bytes where Go's `.` would match them, so texts with invalid sequences are matched in a
/// repaired copy whose offsets map back to the original.
enum GoUTF8 {
    struct Repaired {
        var bytes: [UInt8]
        /// For each offset of `bytes` (and its end), the offset in the original; empty when nothing was repaired.
        var offsets: [Int]

        func originalOffset(_ offset: Int) -> Int { offsets.isEmpty ? offset : offsets[offset] }
    }

    static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    static func replacingInvalid(_ input: [UInt8]) -> Repaired {
        var index = 0
        while index < input.count {
            let width = validWidth(input, at: index)
            if width == 0 { break }
            index += width
        }
        if index == input.count { return Repaired(bytes: input, offsets: []) }
        var bytes: [UInt8] = Array(input[..<index])
        var offsets = Array(0..<index)
        bytes.reserveCapacity(input.count + 8)
        while index < input.count {
            let width = validWidth(input, at: index)
            if width == 0 {
                bytes += replacement
                offsets += [index, index, index]
                index += 1
            } else {
                bytes += input[index..<index + width]
                offsets += index..<index + width
                index += width
            }
        }
        offsets.append(input.count)
        return Repaired(bytes: bytes, offsets: offsets)
    }

    /// The length of the well-formed UTF-8 sequence at `index` (Unicode's table 3-7), or 0 when there is none.
    static func validWidth(_ bytes: [UInt8], at index: Int) -> Int {
        let first = bytes[index]
        if first < 0x80 { return 1 }
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            index + offset < bytes.count && range.contains(bytes[index + offset])
        }
        switch first {
        case 0xC2...0xDF: return continuation(1) ? 2 : 0
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : 0
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default: return 0
        }
    }
}

extension GoRegex: Hashable {
    /// Two regexes are equal when their patterns have the same bytes and the same anchoring: they then match alike.
    public static func == (lhs: GoRegex, rhs: GoRegex) -> Bool {
        lhs === rhs || (lhs.isAnchored == rhs.isAnchored && lhs.pattern.utf8Equal(rhs.pattern))
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(isAnchored)
        pattern.hashUTF8(into: &hasher)
    }
}
