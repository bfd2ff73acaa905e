#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import TSDB

/// ExpositionParser is a pull parser over the bytes of one scrape body, in either text format.
///
/// Each `next()` reads lines until one means something and returns it. Samples come back as
/// value and timestamp only; the series stays in the body as `currentSeriesBytes`, so a scrape
/// loop can look it up in its cache and call `currentLabels()` only for series it has not seen.
/// Nothing on the sample path allocates. The first error ends the parse: later calls rethrow it.
///
///     var parser = ExpositionParser(bytes: body, format: ExpositionFormat(contentType: header))
///     while let entry = try parser.next() {
///         guard case .sample(let value, let timestamp) = entry else { continue }
///         let ref = cache[parser.currentSeriesBytes] ?? add(parser.currentLabels())
///     }
///
/// The parser checks each line's syntax, not the structure between lines: it does not reject
/// a second `# HELP` for one metric, samples before their `# TYPE`, or interleaved families.
public struct ExpositionParser: Sendable {
    /// format is the dialect the whole body is read as.
    public let format: ExpositionFormat
    let body: [UInt8]
    /// Offset of the first byte of the next unread line.
    var position = 0
    /// 1-based number of the line at `position`.
    var lineNumber = 1
    /// Offset of the last line read, to place a missing `# EOF` at the end of an unterminated line.
    var lastLineStart = 0
    var phase = Phase.body

    // The current sample's series: `seriesStart..<seriesEnd` is the name and label set as written,
    // `seriesStart..<nameEnd` the name, and `labelsStart` the `{` (or -1 without braces).
    var hasSeries = false
    var seriesStart = 0
    var nameEnd = 0
    var labelsStart = -1
    var seriesEnd = 0
    /// Label names of the current label set, kept across samples so duplicate checks reuse its storage.
    var labelNames: [Range<Int>] = []

    enum Phase: Sendable {
        case body
        /// OpenMetrics `# EOF` was read: only the end of input may follow.
        case afterEOF
        case finished
        case failed(ExpositionError)
    }

    /// init wraps a whole response body; the parser reads it in place and never copies it.
    public init(bytes: [UInt8], format: ExpositionFormat) {
        self.body = bytes
        self.format = format
        labelNames.reserveCapacity(16)
    }

    /// next advances to the next HELP, TYPE, UNIT or sample line; nil at the end of the body.
    ///
    /// Blank lines and comments are skipped. Throws for the first malformed line, and for an
    /// OpenMetrics body that lacks `# EOF` or continues after it.
    public mutating func next() throws(ExpositionError) -> ExpositionEntry? {
        switch phase {
        case .failed(let error): throw error
        case .finished: return nil
        case .body, .afterEOF: break
        }
        let body = self.body
        do {
            return try body.withUnsafeBufferPointer { (bytes) throws(ExpositionError) -> ExpositionEntry? in
                try advance(in: bytes)
            }
        } catch {
            phase = .failed(error)
            hasSeries = false
            throw error
        }
    }

    /// currentSeriesBytes is the current sample's metric name and label set exactly as written.
    ///
    /// It is a cache key: equal bytes mean the same series. Different spellings of one series
    /// (`a{}` and `a`, reordered labels) give different keys that `currentLabels()` maps to equal
    /// `Labels`. The slice shares the body's storage, so copy it (`Array(...)`) before keeping it.
    /// Empty when the last entry was not a sample.
    public var currentSeriesBytes: ArraySlice<UInt8> {
        hasSeries ? body[seriesStart..<seriesEnd] : []
    }

    /// currentSeriesRange is where `currentSeriesBytes` lie in the body, for callers that read the body in place.
    public var currentSeriesRange: Range<Int> {
        hasSeries ? seriesStart..<seriesEnd : 0..<0
    }

    /// currentLabels decodes the current sample's series, with `__name__` set to the metric name.
    ///
    /// Allocates, so call it only for series the caller has not cached. Label values are unescaped
    /// and written forms such as `le="1.0"` are kept as they are. Empty label values are dropped,
    /// as `Labels` does. Empty when the last entry was not a sample.
    public func currentLabels() -> Labels {
        guard hasSeries else { return Labels() }
        return body.withUnsafeBufferPointer { bytes in
            decodeLabels(in: bytes)
        }
    }

    // MARK: Lines

    private mutating func advance(in bytes: UnsafeBufferPointer<UInt8>) throws(ExpositionError) -> ExpositionEntry? {
        hasSeries = false
        while position < bytes.count {
            let start = position
            let end = Self.lineEnd(in: bytes, from: start)
            var line = ExpositionLine(bytes: bytes, start: start, end: end, line: lineNumber)
            if case .afterEOF = phase {
                throw line.error(.contentAfterEOF, at: start, "expected end of input after '# EOF', got \(line.describeByte(at: start))")
            }
            let entry = switch format {
            case .prometheusText: try parsePrometheusLine(&line)
            case .openMetrics: try parseOpenMetricsLine(&line)
            }
            lastLineStart = start
            position = end + 1
            lineNumber += 1
            if let entry { return entry }
        }
        if format == .openMetrics, case .body = phase {
            throw missingEOF(in: bytes)
        }
        phase = .finished
        return nil
    }

    /// missingEOF places the error right after the last byte: on the unterminated last line, or at the start of the next.
    private func missingEOF(in bytes: UnsafeBufferPointer<UInt8>) -> ExpositionError {
        let message = "expected '# EOF', got end of input"
        if let last = bytes.last, last != ExpositionByte.newline {
            return ExpositionError(.missingEOF, line: lineNumber - 1, column: bytes.count - lastLineStart + 1, message: message)
        }
        return ExpositionError(.missingEOF, line: lineNumber, column: 1, message: message)
    }

    @inline(__always) private static func lineEnd(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let base = UnsafeRawPointer(bytes.baseAddress!)
        guard let found = memchr(base + start, Int32(ExpositionByte.newline), bytes.count - start) else { return bytes.count }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// parsePrometheusLine reads a 0.0.4 line: blank, comment, HELP, TYPE, or sample.
    private mutating func parsePrometheusLine(_ line: inout ExpositionLine) throws(ExpositionError) -> ExpositionEntry? {
        line.skipBlanks()
        switch line.current {
        case ExpositionByte.newline: return nil
        case ExpositionByte.hash: return try parsePrometheusComment(&line)
        default: return try parseSample(&line)
        }
    }

    /// parsePrometheusComment reads `# HELP name text` and `# TYPE name type`; other comments yield nil.
    private func parsePrometheusComment(_ line: inout ExpositionLine) throws(ExpositionError) -> ExpositionEntry? {
        line.index += 1
        line.skipBlanks()
        let keywordStart = line.index
        line.skipToBlank()
        let keyword = keywordStart..<line.index
        let isHelp = line.matches(keyword, "HELP")
        guard isHelp || line.matches(keyword, "TYPE") else { return nil }
        line.skipBlanks()
        let nameStart = line.index
        guard line.scanMetricName() else { throw line.expected("metric name", at: nameStart) }
        let name = nameStart..<line.index
        guard line.current == ExpositionByte.space || line.current == ExpositionByte.tab || line.isAtEnd else {
            throw line.expected("blank or end of line after metric name", at: line.index)
        }
        line.skipBlanks()
        if isHelp {
            // Trailing blanks are not part of the docstring: 0.0.4 ignores them on every line.
            var textEnd = line.end
            while textEnd > line.index, line.bytes[textEnd - 1] == ExpositionByte.space || line.bytes[textEnd - 1] == ExpositionByte.tab {
                textEnd -= 1
            }
            try line.validateUTF8(line.index..<textEnd)
            let text = Self.unescape(line.bytes, line.index..<textEnd, decodesQuote: false)
            return .help(metric: line.string(name), text: text)
        }
        let type = try parseType(&line, until: { $0.skipToBlank() })
        line.skipBlanks()
        guard line.isAtEnd else { throw line.expected("end of line after metric type", at: line.index) }
        return .type(metric: line.string(name), type)
    }

    /// parseOpenMetricsLine reads an OpenMetrics line: `# TYPE|HELP|UNIT|EOF …` or a sample.
    private mutating func parseOpenMetricsLine(_ line: inout ExpositionLine) throws(ExpositionError) -> ExpositionEntry? {
        switch line.current {
        case ExpositionByte.hash: break
        case ExpositionByte.newline: throw line.expected("metric name or '#'", at: line.index)
        default: return try parseSample(&line)
        }
        guard line.byte(at: line.index + 1) == ExpositionByte.space else { throw line.expected("' ' after '#'", at: line.index + 1) }
        line.index += 2
        let keywordStart = line.index
        line.skipToSpace()
        let keyword = keywordStart..<line.index
        if line.matches(keyword, "EOF") {
            guard line.isAtEnd else { throw line.expected("end of line after '# EOF'", at: line.index) }
            phase = .afterEOF
            return nil
        }
        let isHelp = line.matches(keyword, "HELP"), isType = line.matches(keyword, "TYPE")
        guard isHelp || isType || line.matches(keyword, "UNIT") else {
            throw line.error(.invalidSyntax, at: keywordStart, "expected TYPE, HELP, UNIT or EOF after '# ', got \(line.describeToken(keyword))")
        }
        guard line.current == ExpositionByte.space else { throw line.expected("' ' after \(line.string(keyword))", at: line.index) }
        line.index += 1
        let nameStart = line.index
        guard line.scanMetricName() else { throw line.expected("metric name", at: nameStart) }
        let name = nameStart..<line.index
        if isType {
            guard line.current == ExpositionByte.space else { throw line.expected("' ' after metric name", at: line.index) }
            line.index += 1
            return .type(metric: line.string(name), try parseType(&line, until: { $0.index = $0.end }))
        }
        // An empty HELP or UNIT counts as absent metadata, so it yields no entry.
        if line.isAtEnd { return nil }
        guard line.current == ExpositionByte.space else { throw line.expected("' ' after metric name", at: line.index) }
        line.index += 1
        let text = line.index..<line.end
        if text.isEmpty { return nil }
        if isHelp {
            try line.validateUTF8(text)
            return .help(metric: line.string(name), text: Self.unescape(line.bytes, text, decodesQuote: true))
        }
        for offset in text where !ExpositionByte.isMetricNameChar(line.bytes[offset]) {
            throw line.expected("unit of letters, digits, '_' or ':'", at: offset)
        }
        return .unit(metric: line.string(name), unit: line.string(text))
    }

    /// parseType reads the type token that `skip` delimits and checks the format allows it.
    private func parseType(_ line: inout ExpositionLine, until skip: (inout ExpositionLine) -> Void) throws(ExpositionError) -> MetricType {
        let start = line.index
        skip(&line)
        let token = start..<line.index
        if let type = MetricType(rawValue: line.string(token)), type.isAllowed(in: format) {
            return type
        }
        let allowed = MetricType.allCases.filter { $0.isAllowed(in: format) }.map(\.rawValue).joined(separator: ", ")
        throw line.error(.invalidType, at: start, "expected metric type (\(allowed)), got \(line.describeToken(token))")
    }

    /// unescape decodes `\\` and `\n` (and `\"` when `decodesQuote`); other backslashes stay as written.
    ///
    /// 0.0.4 help text escapes only backslash and newline, so there `\"` is two literal characters.
    static func unescape(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, decodesQuote: Bool) -> String {
        let text = UnsafeBufferPointer(rebasing: bytes[range])
        guard text.contains(ExpositionByte.backslash) else { return String(decoding: text, as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(text.count)
        var offset = 0
        while offset < text.count {
            let byte = text[offset]
            if byte == ExpositionByte.backslash, offset + 1 < text.count {
                switch text[offset + 1] {
                case 0x6E:  // n
                    decoded.append(ExpositionByte.newline)
                    offset += 2
                    continue
                case ExpositionByte.backslash:
                    decoded.append(ExpositionByte.backslash)
                    offset += 2
                    continue
                case ExpositionByte.quote where decodesQuote:
                    decoded.append(ExpositionByte.quote)
                    offset += 2
                    continue
                default:
                    break
                }
            }
            decoded.append(byte)
            offset += 1
        }
        return String(decoding: decoded, as: UTF8.self)
    }
}
