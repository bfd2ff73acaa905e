import Foundation
import Testing
import TSDB

@testable import Config
@testable import Scraper

@Suite("Exposition parser")
struct ExpositionParserTests {
    // MARK: Format selection

    @Test("Content-Type selects OpenMetrics only for application/openmetrics-text", arguments: [
        (nil, ExpositionFormat.prometheusText),
        ("", .prometheusText),
        ("text/plain; version=0.0.4; charset=utf-8", .prometheusText),
        ("text/plain; version=1.0.0; charset=utf-8", .prometheusText),  // prometheus_client's 0.0.4 header
        ("application/json", .prometheusText),
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", .openMetrics),
        ("application/openmetrics-text", .openMetrics),
        (" Application/OpenMetrics-Text ;version=0.0.1", .openMetrics),
        ("application/openmetrics-textual", .prometheusText),
    ] as [(String?, ExpositionFormat)])
    func contentTypeSelectsFormat(contentType: String?, expected: ExpositionFormat) {
        #expect(ExpositionFormat(contentType: contentType) == expected)
    }

    // MARK: Golden fixtures

    @Test("Fixtures parse to their golden entries", arguments: [
        ("fastapi_metrics.txt", ExpositionFormat.prometheusText),
        ("swift_prometheus_metrics.txt", .prometheusText),
        ("prometheus_edge_cases.txt", .prometheusText),
        ("openmetrics.txt", .openMetrics),
    ])
    func fixturesMatchGolden(fixture: String, format: ExpositionFormat) throws {
        let input = try fixtureBytes(fixture)
        let golden = try String(decoding: fixtureBytes(fixture.replacingOccurrences(of: ".txt", with: ".golden")), as: UTF8.self)
        let rendered = try render(input, format: format)
        #expect(rendered == golden.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
    }

    @Test func fastAPIFixtureHasEverySampleLine() throws {
        let input = try fixtureBytes("fastapi_metrics.txt")
        let sampleLines = String(decoding: input, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }
        let samples = try render(input, format: .prometheusText).filter { $0.hasPrefix("sample ") }
        #expect(samples.count == sampleLines.count)
        #expect(samples.count == 66)
    }

    @Test func swiftPrometheusBucketBoundsKeepTheirSpelling() throws {
        var parser = ExpositionParser(bytes: try fixtureBytes("swift_prometheus_metrics.txt"), format: .prometheusText)
        var bounds: [String] = []
        while let entry = try parser.next() {
            guard case .sample = entry, let bound = parser.currentLabels()["le"] else { continue }
            if parser.currentLabels().name == "model_inference_duration_seconds_bucket" { bounds.append(bound) }
        }
        #expect(bounds == ["5e-07", "1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025",
                           "0.0005", "0.001", "0.005", "0.01", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "+Inf"])
    }

    // MARK: Series bytes and labels

    @Test func seriesBytesAreNameAndLabelSetAsWritten() throws {
        let text = "a 1\nb{x=\"1\"} 2 3\nc {y = \"2\" , } 4\n  d{}\t5\n"
        var parser = ExpositionParser(bytes: Array(text.utf8), format: .prometheusText)
        var keys: [String] = []
        while let entry = try parser.next() {
            if case .sample = entry { keys.append(String(decoding: parser.currentSeriesBytes, as: UTF8.self)) }
        }
        #expect(keys == ["a", "b{x=\"1\"}", "c {y = \"2\" , }", "d{}"])
    }

    @Test func cachedSeriesAreDecodedOnce() throws {
        let text = """
            req_total{code="200",path="/"} 1
            req_total{path="/",code="200"} 2
            req_total{code="200",path="/"} 3
            req_total{code="500",path="/"} 4
            req_total{code="200",path="/"} 5

            """
        var parser = ExpositionParser(bytes: Array(text.utf8), format: .prometheusText)
        var cache: [ArraySlice<UInt8>: Int] = [:]
        var series: [Labels] = []
        var refs: [Int] = []
        while let entry = try parser.next() {
            guard case .sample = entry else { continue }
            if let ref = cache[parser.currentSeriesBytes] {
                refs.append(ref)
                continue
            }
            let labels = parser.currentLabels()
            let ref = series.firstIndex(of: labels) ?? series.count
            if ref == series.count { series.append(labels) }
            cache[ArraySlice(Array(parser.currentSeriesBytes))] = ref
            refs.append(ref)
        }
        #expect(refs == [0, 0, 0, 1, 0])
        #expect(cache.count == 3)  // two spellings of one series, plus the 500s
        #expect(series.map(\.description) == [#"req_total{code="200", path="/"}"#, #"req_total{code="500", path="/"}"#])
    }

    @Test func seriesAccessorsAreEmptyOutsideSamples() throws {
        var parser = ExpositionParser(bytes: Array("# HELP a Some help.\na 1\n".utf8), format: .prometheusText)
        #expect(try parser.next() == .help(metric: "a", text: "Some help."))
        #expect(parser.currentSeriesBytes.isEmpty)
        #expect(parser.currentLabels().isEmpty)
        #expect(try parser.next() == .sample(value: 1, timestamp: nil))
        #expect(parser.currentLabels() == ["__name__": "a"])
        #expect(try parser.next() == nil)
        #expect(parser.currentSeriesBytes.isEmpty)
    }

    @Test func labelValuesAreUnescapedAndEmptyOnesDropped() throws {
        let text = #"m{b="x\\y",a="say \"hi\"",c="1\n2",d="\q",e=""} 1"#
        for format in [ExpositionFormat.prometheusText, .openMetrics] {
            let body = format == .openMetrics ? text + "\n# EOF\n" : text
            var parser = ExpositionParser(bytes: Array(body.utf8), format: format)
            _ = try parser.next()
            let labels = parser.currentLabels()
            #expect(labels.map(\.name) == ["__name__", "a", "b", "c", "d"])
            #expect(labels["a"] == #"say "hi""#)
            #expect(labels["b"] == #"x\y"#)
            #expect(labels["c"] == "1\n2")
            #expect(labels["d"] == #"\q"#)
        }
    }

    // MARK: Numbers

    @Test("Values accept Go ParseFloat spellings", arguments: [
        ("1", 1.0), ("-1", -1.0), ("+1", 1.0), ("1.0", 1.0), (".5", 0.5), ("5.", 5.0), ("1e-05", 1e-05),
        ("1E+05", 1e5), ("2.527501e+06", 2527501), ("0.1", 0.1), ("007", 7), ("1.7957165425847847e+09", 1795716542.5847847),
        ("9007199254740993", 9007199254740992), ("1e22", 1e22), ("1e23", 1e23), ("4.9e-324", .leastNonzeroMagnitude),
        ("Inf", .infinity), ("+Inf", .infinity), ("-Inf", -.infinity), ("inf", .infinity), ("+infinity", .infinity),
        ("-INFINITY", -.infinity),
    ])
    func valueSpellings(token: String, expected: Double) throws {
        #expect(try sampleValue(token) == expected)
    }

    @Test func nanAndNegativeZeroKeepTheirBits() throws {
        #expect(try sampleValue("NaN").isNaN)
        #expect(try sampleValue("nan").isNaN)
        #expect(try sampleValue("-0").sign == .minus)
        #expect(try sampleValue("-0.0e10").sign == .minus)
    }

    @Test func fastPathAgreesWithStandardLibrary() throws {
        var random = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let digits = String(random.next() % 10_000_000_000_000_000)
            let point = Int(random.next() % UInt64(digits.count + 1))
            let mantissa = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            let exponent = Int(random.next() % 61) - 30
            let token = random.next() % 2 == 0 ? mantissa : "\(mantissa)e\(exponent)"
            let parsed = Array(token.utf8).withUnsafeBufferPointer { ExpositionNumber.parseFloat($0) }
            #expect(parsed?.bitPattern == Double(token)?.bitPattern, "\(token)")
        }
    }

    @Test("OpenMetrics timestamps are seconds, converted to milliseconds exactly", arguments: [
        ("1520879607.789", 1_520_879_607_789), ("1520879607", 1_520_879_607_000), ("-1.5", -1500), ("0", 0),
        ("1.5e9", 1_500_000_000_000), ("1604676851.123456789", 1_604_676_851_123), ("0.0005", 1), ("-0.0005", -1),
        ("0.0004999", 0), ("1e-4", 0), (".001", 1), ("9223372036854775.807", Int64.max),
    ] as [(String, Int64)])
    func openMetricsTimestamps(token: String, milliseconds: Int64) throws {
        var parser = ExpositionParser(bytes: Array("a 1 \(token)\n# EOF\n".utf8), format: .openMetrics)
        #expect(try parser.next() == .sample(value: 1, timestamp: milliseconds))
    }

    // MARK: Errors

    @Test("Malformed input reports line and column", arguments: [
        // 0.0.4
        (ExpositionFormat.prometheusText, "foo{a=\"b} 1\n", #"1:12: expected '"' to close label value, got end of line"#),
        (.prometheusText, "foo{a=\"b\\", #"1:10: expected escaped character after '\', got end of input"#),
        (.prometheusText, "foo\n", "1:4: expected value, got end of line"),
        (.prometheusText, "foo{a=\"b\"}\n", "1:11: expected value, got end of line"),
        (.prometheusText, "foo abc\n", #"1:5: expected float value, got "abc""#),
        (.prometheusText, "foo 1.2.3", #"1:5: expected float value, got "1.2.3""#),
        (.prometheusText, "foo 0x1p3", #"1:5: expected float value, got "0x1p3""#),
        (.prometheusText, "foo 1e999", #"1:5: expected float value, got "1e999""#),
        (.prometheusText, "foo +NaN", #"1:5: expected float value, got "+NaN""#),
        (.prometheusText, "foo 1\r\n", #"1:5: expected float value, got "1\x0D""#),
        (.prometheusText, "foo 1 2 3", "1:9: expected end of line after timestamp, got '3'"),
        (.prometheusText, "foo 1 1.5", #"1:7: expected integer timestamp in milliseconds, got "1.5""#),
        (.prometheusText, "foo 1 9223372036854775808", #"1:7: expected integer timestamp in milliseconds, got "9223372036854775808""#),
        (.prometheusText, "foo 1 # {a=\"b\"} 1", "1:7: expected integer timestamp in milliseconds, got \"#\""),
        (.prometheusText, "1foo 1", "1:1: expected metric name, got '1'"),
        (.prometheusText, "foo-bar 1", "1:4: expected '{' or blank after metric name, got '-'"),
        (.prometheusText, "foo{1a=\"b\"} 1", "1:5: expected label name, got '1'"),
        (.prometheusText, "foo{a-b=\"c\"} 1", "1:6: expected '=' after label name, got '-'"),
        (.prometheusText, "foo{a=b} 1", #"1:7: expected '"' to open label value, got 'b'"#),
        (.prometheusText, "foo{a=\"b\" c=\"d\"} 1", "1:11: expected ',' or '}' after label value, got 'c'"),
        (.prometheusText, "foo{a=\"1\",a=\"2\"} 1", #"1:11: duplicate label name "a""#),
        (.prometheusText, "foo{__name__=\"x\"} 1", #"1:5: label name "__name__" duplicates the metric name"#),
        (.prometheusText, "foo{a=\"1\",,b=\"2\"} 1", "1:11: expected label name, got ','"),
        (.prometheusText, "foo{,} 1", "1:5: expected label name, got ','"),
        (.prometheusText, "\u{0}\u{7F}", "1:1: expected metric name, got byte 0x00"),
        (.prometheusText, "foo{a=\"\u{7F}\"} 1", ""),  // DEL is valid UTF-8: parses
        (.prometheusText, "# TYPE foo bar\n", #"1:12: expected metric type (counter, gauge, histogram, summary, untyped), got "bar""#),
        (.prometheusText, "# TYPE foo info\n", #"1:12: expected metric type (counter, gauge, histogram, summary, untyped), got "info""#),
        (.prometheusText, "# TYPE foo\n", "1:11: expected metric type (counter, gauge, histogram, summary, untyped), got end of line"),
        (.prometheusText, "# TYPE foo counter extra\n", "1:20: expected end of line after metric type, got 'e'"),
        (.prometheusText, "# HELP\n", "1:7: expected metric name, got end of line"),
        (.prometheusText, "# HELP 1abc text\n", "1:8: expected metric name, got '1'"),
        (.prometheusText, "# HELP foo{ text\n", "1:11: expected blank or end of line after metric name, got '{'"),
        (.prometheusText, "# HELP a b\na 1\na{b=\"c\"} x\n", #"3:10: expected float value, got "x""#),
        // OpenMetrics
        (.openMetrics, "", "1:1: expected '# EOF', got end of input"),
        (.openMetrics, "foo 1\n", "2:1: expected '# EOF', got end of input"),
        (.openMetrics, "foo 1", "1:6: expected '# EOF', got end of input"),
        (.openMetrics, "# EOF\nfoo 1\n", "2:1: expected end of input after '# EOF', got 'f'"),
        (.openMetrics, "# EOF\n\n", "2:1: expected end of input after '# EOF', got end of line"),
        (.openMetrics, "# EOF junk\n", "1:6: expected end of line after '# EOF', got ' '"),
        (.openMetrics, "foo 1\n\n# EOF\n", "2:1: expected metric name or '#', got end of line"),
        (.openMetrics, "# hello\n# EOF\n", #"1:3: expected TYPE, HELP, UNIT or EOF after '# ', got "hello""#),
        (.openMetrics, "#TYPE foo counter\n# EOF\n", "1:2: expected ' ' after '#', got 'T'"),
        (.openMetrics, "# TYPE foo untyped\n# EOF\n",
         #"1:12: expected metric type (counter, gauge, histogram, summary, info, stateset, gaugehistogram, unknown), got "untyped""#),
        (.openMetrics, "# UNIT foo_seconds sec-onds\n# EOF\n", "1:23: expected unit of letters, digits, '_' or ':', got '-'"),
        (.openMetrics, "foo  1\n# EOF\n", "1:5: expected value, got ' '"),
        (.openMetrics, "foo\t1\n# EOF\n", "1:4: expected '{' or ' ' after metric name, got tab"),
        (.openMetrics, "foo{a=\"b\"}1\n# EOF\n", "1:11: expected ' ' before value, got '1'"),
        (.openMetrics, "foo{a=\"b\",} 1\n# EOF\n", "1:11: expected label name, got '}'"),
        (.openMetrics, "foo{a = \"b\"} 1\n# EOF\n", "1:6: expected '=' after label name, got ' '"),
        (.openMetrics, "foo 1 \n# EOF\n", "1:7: expected timestamp, got end of line"),
        (.openMetrics, "foo 1 abc\n# EOF\n", #"1:7: expected timestamp in seconds, got "abc""#),
        (.openMetrics, "foo 1 NaN\n# EOF\n", #"1:7: expected timestamp in seconds, got "NaN""#),
        (.openMetrics, "foo 1 1e300\n# EOF\n", #"1:7: expected timestamp in seconds, got "1e300""#),
        (.openMetrics, "foo_total 1 # {a=\"b\"}\n# EOF\n", "1:22: expected ' ' before exemplar value, got end of line"),
        (.openMetrics, "foo_total 1 #{a=\"b\"} 1\n# EOF\n", "1:14: expected ' ' after '#', got '{'"),
        (.openMetrics, "foo_total 1 # a 1\n# EOF\n", "1:15: expected '{' to start exemplar labels, got 'a'"),
        (.openMetrics, "foo_total 1 # {a=\"b\"} x\n# EOF\n", #"1:23: expected float exemplar value, got "x""#),
        (.openMetrics, "foo_total 1 # {a=\"b\"} 1 2 3\n# EOF\n", "1:26: expected end of line after exemplar, got ' '"),
        (.openMetrics, "foo_total 1 2 3\n# EOF\n", "1:15: expected '#' to start an exemplar, got '3'"),
        (.openMetrics, "foo{a=\"\u{FF}\"} 1\n# EOF\n", ""),  // U+00FF is two valid UTF-8 bytes: parses
    ] as [(ExpositionFormat, String, String)])
    func malformedInput(format: ExpositionFormat, input: String, expected: String) {
        #expect(parseError(Array(input.utf8), format: format)?.description ?? "" == expected)
    }

    @Test func invalidUTF8InLabelValueOrHelpIsRejected() {
        let value: [UInt8] = Array("foo{a=\"".utf8) + [0xC3, 0x28] + Array("\"} 1\n".utf8)
        #expect(parseError(value, format: .prometheusText)?.description == "1:8: expected UTF-8 text, got byte 0xC3")
        #expect(parseError(value, format: .prometheusText)?.code == .invalidUTF8)
        let help: [UInt8] = Array("# HELP foo bad ".utf8) + [0xED, 0xA0, 0x80] + Array("\n".utf8)  // a UTF-16 surrogate
        #expect(parseError(help, format: .prometheusText)?.description == "1:16: expected UTF-8 text, got byte 0xED")
    }

    @Test func errorCodesNameTheFault() {
        #expect(parseError(Array("a x\n".utf8), format: .prometheusText)?.code == .invalidValue)
        #expect(parseError(Array("a 1 x\n".utf8), format: .prometheusText)?.code == .invalidTimestamp)
        #expect(parseError(Array("# TYPE a b\n".utf8), format: .prometheusText)?.code == .invalidType)
        #expect(parseError(Array("a{b=\"1\",b=\"1\"} 1\n".utf8), format: .prometheusText)?.code == .duplicateLabel)
        #expect(parseError(Array("a 1\n".utf8), format: .openMetrics)?.code == .missingEOF)
        #expect(parseError(Array("# EOF\na 1\n".utf8), format: .openMetrics)?.code == .contentAfterEOF)
        #expect(parseError(Array("a{\n".utf8), format: .openMetrics)?.code == .invalidSyntax)
    }

    @Test func firstErrorIsRethrownAndEndsTheParse() throws {
        var parser = ExpositionParser(bytes: Array("a 1\nb x\nc 3\n".utf8), format: .prometheusText)
        #expect(try parser.next() == .sample(value: 1, timestamp: nil))
        let first = #expect(throws: ExpositionError.self) { try parser.next() }
        let second = #expect(throws: ExpositionError.self) { try parser.next() }
        #expect(first == second)
        #expect(first?.description == #"2:3: expected float value, got "x""#)
        #expect(parser.currentSeriesBytes.isEmpty)
    }

    @Test func openMetricsEOFWithoutNewlineEndsTheBody() throws {
        var parser = ExpositionParser(bytes: Array("a 1\n# EOF".utf8), format: .openMetrics)
        #expect(try parser.next() == .sample(value: 1, timestamp: nil))
        #expect(try parser.next() == nil)
        #expect(try parser.next() == nil)
    }

    @Test func prometheusTextTreatsEOFAsAComment() throws {
        #expect(try render(Array("# EOF\na 1\n".utf8), format: .prometheusText) == ["sample a 1.0"])
    }

    // MARK: Robustness

    @Test func hugeLinesParseOrFailWithPositions() throws {
        let long = String(repeating: "x", count: 1 << 20)
        var parser = ExpositionParser(bytes: Array("a{v=\"\(long)\"} 1\n".utf8), format: .prometheusText)
        #expect(try parser.next() == .sample(value: 1, timestamp: nil))
        #expect(parser.currentLabels()["v"]?.count == 1 << 20)

        #expect(parseError(Array("a \(long)\n".utf8), format: .prometheusText)?.description.hasPrefix("1:3: expected float value, got \"xxxx") == true)
        #expect(parseError(Array("\(long)".utf8), format: .prometheusText)?.description == "1:1048577: expected value, got end of input")
    }

    @Test func duplicateInAManyLabelSetIsFoundAtItsFirstRepeat() {
        let names = (0..<5000).map { "l\($0)=\"v\"" }
        let text = "m{" + names.joined(separator: ",") + ",l4999=\"w\",l7=\"w\"} 1\n"
        let column = 3 + names.joined(separator: ",").utf8.count + 1
        #expect(parseError(Array(text.utf8), format: .prometheusText)?.description == "1:\(column): duplicate label name \"l4999\"")
        let small = "m{" + (0..<17).map { "l\($0)=\"v\"" }.joined(separator: ",") + "} 1\n"
        #expect(parseError(Array(small.utf8), format: .prometheusText) == nil)
    }

    @Test("Random and mutated bodies end in entries or a positioned error", arguments: [
        ExpositionFormat.prometheusText, .openMetrics,
    ])
    func fuzzedInputTerminates(format: ExpositionFormat) throws {
        let seeds = try ["fastapi_metrics.txt", "swift_prometheus_metrics.txt", "prometheus_edge_cases.txt", "openmetrics.txt"]
            .map(fixtureBytes)
        let alphabet = Array("{}\",=\\# \t\n.eE+-_:01239aZ".utf8) + [0x00, 0x0D, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
        var random = SplitMix64(seed: format == .openMetrics ? 2 : 1)
        var failures = 0
        for round in 0..<3000 {
            var input: [UInt8]
            if round % 4 == 0 {
                input = (0..<Int(random.next() % 200)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            } else {
                input = seeds[Int(random.next() % UInt64(seeds.count))]
                for _ in 0..<(1 + random.next() % 8) {
                    mutate(&input, alphabet: alphabet, random: &random)
                }
            }
            let lineCount = input.count(where: { $0 == 0x0A }) + 1
            var parser = ExpositionParser(bytes: input, format: format)
            var entries = 0
            do {
                while let entry = try parser.next() {
                    entries += 1
                    #expect(entries <= lineCount, "more entries than lines")
                    if entries > lineCount { break }
                    if case .sample = entry {
                        let labels = parser.currentLabels()
                        #expect(labels.name.map { Array($0.utf8) == Array(parser.currentSeriesBytes.prefix($0.utf8.count)) } == true)
                    }
                }
            } catch {
                failures += 1
                #expect((1...lineCount).contains(error.line), "\(error)")
                #expect(error.column >= 1 && error.column <= input.count + 1, "\(error)")
                #expect(!error.message.isEmpty)
            }
        }
        #expect(failures > 1000)  // the mutations do exercise the error paths
    }
}

// MARK: - Helpers

/// SplitMix64 is a tiny seeded generator, so fuzz rounds are the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func mutate(_ input: inout [UInt8], alphabet: [UInt8], random: inout SplitMix64) {
    guard !input.isEmpty else {
        input.append(alphabet[Int(random.next() % UInt64(alphabet.count))])
        return
    }
    let at = Int(random.next() % UInt64(input.count))
    let byte = random.next() % 3 == 0 ? UInt8(truncatingIfNeeded: random.next()) : alphabet[Int(random.next() % UInt64(alphabet.count))]
    switch random.next() % 5 {
    case 0: input[at] = byte
    case 1: input.insert(byte, at: at)
    case 2: input.remove(at: at)
    case 3: input.removeSubrange(at...)
    default:
        let end = min(input.count, at + Int(random.next() % 64))
        input.insert(contentsOf: input[at..<end], at: Int(random.next() % UInt64(input.count)))
    }
}

private func fixtureBytes(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/exposition/\(name)", withExtension: nil), "missing fixture \(name)")
    return Array(try Data(contentsOf: url))
}

/// render prints each entry on one line: `help`, `type`, `unit`, or `sample <labels> <value> [@<ms>]`.
private func render(_ bytes: [UInt8], format: ExpositionFormat) throws -> [String] {
    var parser = ExpositionParser(bytes: bytes, format: format)
    var lines: [String] = []
    while let entry = try parser.next() {
        switch entry {
        case .help(let metric, let text): lines.append("help \(metric) \(quoted(text))")
        case .type(let metric, let type): lines.append("type \(metric) \(type.rawValue)")
        case .unit(let metric, let unit): lines.append("unit \(metric) \(quoted(unit))")
        case .sample(let value, let timestamp):
            lines.append("sample \(parser.currentLabels()) \(value)" + (timestamp.map { " @\($0)" } ?? ""))
        }
    }
    return lines
}

private func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        .replacingOccurrences(of: "\n", with: "\\n") + "\""
}

private func parseError(_ bytes: [UInt8], format: ExpositionFormat) -> ExpositionError? {
    var parser = ExpositionParser(bytes: bytes, format: format)
    do {
        while try parser.next() != nil {}
        return nil
    } catch {
        return error
    }
}

private func sampleValue(_ token: String) throws -> Double {
    var parser = ExpositionParser(bytes: Array("a \(token)\n".utf8), format: .prometheusText)
    guard case .sample(let value, _) = try parser.next() else { throw ExpositionError(.invalidSyntax, line: 0, column: 0, message: "no sample") }
    return value
}
