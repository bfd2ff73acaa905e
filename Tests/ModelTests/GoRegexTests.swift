import Foundation
import Model
import Testing

/// Go's answers for each case in Fixtures/goregex/cases.json, recorded by Fixtures/goregex/record.go with go1.19
/// (the Go that built Debian's prometheus 2.42).
struct RecordedGoRegex: Decodable {
    struct Case: Decodable, CustomTestStringConvertible {
        var testDescription: String { pattern.count > 40 ? String(pattern.prefix(40)) + "…" : pattern }
        var pattern: String
        var anchoredError: String?
        var unanchoredError: String?
        var inputs: [Input]
    }

    struct Input: Decodable {
        var hex: String
        var anchoredMatch: Bool
        var unanchoredMatch: Bool
        var expansions: [Expansion]

        var bytes: [UInt8] { decodeHex(hex) }
        /// The input as Swift holds text: invalid UTF-8 cannot be a `String`, so those inputs go through `bytes:`.
        var text: String? { String(validating: bytes, as: UTF8.self) }
    }

    struct Expansion: Decodable {
        var template: String
        var labelReplaceHex: String?
        var replaceAllHex: String?
    }

    /// Go's `strconv` quoting of one text: `%q`, `%+q`, `%.3q`, and `%q` of its last rune.
    struct Quote: Decodable, CustomTestStringConvertible {
        var text: String
        var quote: String
        var quoteASCII: String
        var quote3: String
        var quoteRune: String
        var testDescription: String { quote }
    }

    /// Go's `strconv.FormatFloat(v, fmt, -1, 64)` of one float64, given by its bits, and its `%v`.
    struct FloatFormats: Decodable, CustomTestStringConvertible {
        var bits: String
        var e: String
        var E: String
        var f: String
        var g: String
        var G: String
        var v: String
        var value: Double { Double(bitPattern: UInt64(bits, radix: 16)!) }
        var testDescription: String { v }
    }

    var goVersion: String
    var cases: [Case]
    var quotes: [Quote]
    var floats: [FloatFormats]

    static let shared: RecordedGoRegex = {
        let url = Bundle.module.url(forResource: "Fixtures/goregex/recorded", withExtension: "json")!
        return try! JSONDecoder().decode(RecordedGoRegex.self, from: Data(contentsOf: url))
    }()
}

func decodeHex(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// The error text compiling produced, or nil when it compiled.
func compileError(_ compile: () throws(GoRegexError) -> GoRegex) -> String? {
    do {
        _ = try compile()
        return nil
    } catch {
        return error.description
    }
}

func hexString(_ text: String) -> String { text.utf8.map { String(format: "%02x", $0) }.joined() }

@Suite("GoRegex against recorded Go answers")
struct GoRegexTests {
    @Test("the fixture was recorded with Go 1.19, as Prometheus 2.42 was built")
    func recordedWithGo119() {
        #expect(RecordedGoRegex.shared.goVersion.hasPrefix("go1.19"))
        #expect(RecordedGoRegex.shared.cases.count > 100)
    }

    @Test("anchored compilation fails exactly where Go's fails, with Go's message", arguments: RecordedGoRegex.shared.cases)
    func anchoredCompileErrors(_ recorded: RecordedGoRegex.Case) {
        #expect(compileError { () throws(GoRegexError) in try GoRegex(anchored: recorded.pattern) } == recorded.anchoredError, "pattern \(recorded.pattern.debugDescription)")
    }

    @Test("unanchored compilation fails exactly where Go's fails, with Go's message", arguments: RecordedGoRegex.shared.cases)
    func unanchoredCompileErrors(_ recorded: RecordedGoRegex.Case) {
        #expect(compileError { () throws(GoRegexError) in try GoRegex(unanchored: recorded.pattern) } == recorded.unanchoredError, "pattern \(recorded.pattern.debugDescription)")
    }

    @Test("matching, label_replace expansion and reReplaceAll give Go's answers", arguments: RecordedGoRegex.shared.cases.filter { !$0.inputs.isEmpty })
    func matchesAndExpansions(_ recorded: RecordedGoRegex.Case) throws {
        let anchored = try GoRegex(anchored: recorded.pattern)
        let unanchored = try GoRegex(unanchored: recorded.pattern)
        for input in recorded.inputs {
            let context = "pattern \(recorded.pattern.debugDescription), input \(input.hex)"
            #expect(anchored.matches(bytes: input.bytes) == input.anchoredMatch, "\(context) anchored bytes")
            #expect(unanchored.matches(bytes: input.bytes) == input.unanchoredMatch, "\(context) unanchored bytes")
            guard let text = input.text else { continue }
            #expect(anchored.matches(text) == input.anchoredMatch, "\(context) anchored")
            #expect(unanchored.matches(text) == input.unanchoredMatch, "\(context) unanchored")
            #expect((anchored.captures(text) != nil) == input.anchoredMatch, "\(context) captures")
            for expansion in input.expansions {
                let expanded = anchored.captures(text).map { anchored.expand(expansion.template, captures: $0) }
                #expect(expanded.map(hexString) == expansion.labelReplaceHex, "\(context) label_replace \(expansion.template)")
                let replaced = unanchored.replaceAll(in: text, with: expansion.template)
                #expect(hexString(replaced) == expansion.replaceAllHex, "\(context) reReplaceAll \(expansion.template)")
            }
        }
    }

    @Test("invalid UTF-8 bytes match as one U+FFFD each and capture ranges index the original bytes")
    func invalidUTF8Captures() throws {
        // Go reads the truncated sequence E2 82 as two one-byte errors, so three characters precede "b".
        let bytes: [UInt8] = [0xFF, 0xE2, 0x82, 0x62]
        let three = try GoRegex(anchored: "(.)(.)(.)b")
        #expect(three.firstMatch(bytes: bytes) == [0..<4, 0..<1, 1..<2, 2..<3])
        let two = try GoRegex(anchored: "(.)(.)b")
        #expect(two.firstMatch(bytes: bytes) == nil)
    }

    @Test("a pattern that backtracking engines take exponential time on completes (RE2 is linear)")
    func catastrophicPatternCompletes() throws {
        let matcher = try Matcher(.regexMatch, "a", "(a+)+b")
        #expect(!matcher.matches(String(repeating: "a", count: 30)))
        #expect(!matcher.matches(String(repeating: "a", count: 100_000)))
        #expect(matcher.matches(String(repeating: "a", count: 30) + "b"))
    }

    @Test("a selector listing thousands of values compiles and matches, as Go accepts it")
    func largeAlternationCompiles() throws {
        let values = (0..<20_000).map { "host-\($0).example.org:9100" }
        let regex = try GoRegex(anchored: values.joined(separator: "|"))
        #expect(regex.matches("host-19999.example.org:9100"))
        #expect(!regex.matches("host-20000.example.org:9100"))
        let withClass = try GoRegex(anchored: "(" + values.joined(separator: "|") + ")[0-9]*")
        #expect(withClass.matches("host-7.example.org:910042"))
    }

    @Test("shortcut shapes agree with RE2 on every input")
    func shortcutsAgreeWithRE2() throws {
        let inputs = ["", "a", "b", "c", "j", "ab", "a|b", "x\ny", "\r", "é", "e\u{301}", "(.*)", ".*", "abc", "abcd", "abc\n",
                      "abc\r", "xfoo", "foo", "fo\no", "foo\n", "\nfoo", "xfooy", "é.*"]
        let patterns = ["a|b|c", ".*", "(.*)", "abc", "é", "a||b", "|", "abc.*", "abc.+", ".+", ".*foo.*", "é.*",
                        "a|b|c|d|e|f|g|h|i|j", "a|b|c|d|e|f|g|h|i|j|"]
        for pattern in patterns {
            let fast = try GoRegex(anchored: pattern)
            // The same language without a shortcut: an extra non-capturing group defeats the shape detection.
            let slow = try GoRegex(anchored: "(?:" + pattern + ")")
            for input in inputs {
                #expect(fast.matches(input) == slow.matches(input), "\(pattern) on \(input.debugDescription)")
                #expect(fast.captures(input)?.count == slow.captures(input)?.count)
            }
        }
    }

    @Test("the process-wide cache returns one compiled regex per pattern and keeps NFC and NFD patterns apart")
    func cacheSharesCompiledRegexes() throws {
        let first = try GoRegex.cached(anchored: "cache-test-[0-9]+")
        let second = try GoRegex.cached(anchored: "cache-test-[0-9]+")
        #expect(first === second)
        let unanchored = try GoRegex.cached(unanchored: "cache-test-[0-9]+")
        #expect(unanchored !== first)
        let nfc = try GoRegex.cached(anchored: "caf\u{E9}")
        let nfd = try GoRegex.cached(anchored: "cafe\u{301}")
        #expect(nfc !== nfd)
        #expect(nfc.matches("caf\u{E9}") && !nfc.matches("cafe\u{301}"))
        #expect(nfd.matches("cafe\u{301}") && !nfd.matches("caf\u{E9}"))
    }

    @Test("a bad pattern in the cache is reported each time, with Go's message")
    func cacheReportsErrors() {
        #expect(throws: GoRegexError(code: .invalidRepeatOp, argument: "++")) { try GoRegex.cached(anchored: "a++") }
        #expect(throws: GoRegexError(code: .invalidRepeatOp, argument: "++")) { try GoRegex.cached(anchored: "a++") }
    }

    @Test("named groups are reported by index")
    func groupNames() throws {
        let regex = try GoRegex(anchored: "(?P<first>a)(b)(?P<third>c)")
        #expect(regex.groupCount == 3)
        #expect(regex.groupNames == [nil, "first", nil, "third"])
    }
}
