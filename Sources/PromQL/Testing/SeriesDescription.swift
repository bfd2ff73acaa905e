import TSDB

/// SeriesDescription is one series line of a test script: `metric{label="value"} 0+10x3 _ stale`.
///
/// `values` holds one entry per time slot; nil marks an omitted slot (`_`).
struct SeriesDescription {
    var labels: Labels
    var values: [Double?]

    /// maxValues bounds one expanding item, so a typo like `0+1x1000000000000` fails instead of exhausting memory.
    static let maxValues = 10_000_000

    struct Failure: Error {
        var message: String
    }

    init(_ line: Substring) throws(Failure) {
        let bytes = Array(line.utf8)
        var index = 0
        var pairs: [Label] = []
        func skipSpaces() {
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
        }
        func isNameByte(_ byte: UInt8, first: Bool, colon: Bool) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || byte == UInt8(ascii: "_") || (colon && byte == UInt8(ascii: ":"))
                || (!first && byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
        func readName(colon: Bool) -> String {
            let start = index
            while index < bytes.count, isNameByte(bytes[index], first: index == start, colon: colon) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        let metric = readName(colon: true)
        if !metric.isEmpty { pairs.append(Label(Labels.metricName, metric)) }
        if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
            index += 1
            while true {
                skipSpaces()
                guard index < bytes.count else { throw Failure(message: "unexpected end of label set in \(line)") }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    break
                }
                let name = readName(colon: false)
                guard !name.isEmpty else { throw Failure(message: "expected label name in \(line)") }
                skipSpaces()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else {
                    throw Failure(message: "expected \"=\" after label \(name) in \(line)")
                }
                index += 1
                skipSpaces()
                guard index < bytes.count else { throw Failure(message: "expected label value in \(line)") }
                let quote = bytes[index]
                guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") || quote == UInt8(ascii: "`") else {
                    throw Failure(message: "expected quoted label value in \(line)")
                }
                let start = index
                index += 1
                while index < bytes.count, bytes[index] != quote {
                    if bytes[index] == UInt8(ascii: "\\") && quote != UInt8(ascii: "`") { index += 1 }
                    index += 1
                }
                guard index < bytes.count else { throw Failure(message: "unterminated label value in \(line)") }
                index += 1
                guard let value = GoSyntax.unquoteIfValid(bytes[start..<index]) else {
                    throw Failure(message: "invalid escape sequence in label value \(String(decoding: bytes[start..<index], as: UTF8.self)) in \(line)")
                }
                pairs.append(Label(name, value))
                skipSpaces()
                if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
            }
        }
        guard !pairs.isEmpty || (index > 0) else { throw Failure(message: "expected a series in \(line)") }
        labels = Labels(pairs)
        values = []
        let rest = String(decoding: bytes[index...], as: UTF8.self)
        for item in rest.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            values += try Self.expand(item)
        }
    }

    /// expand turns one item of expanding notation into its values.
    ///
    /// `a+bxn` and `a-bxn` are n+1 values starting at a, each adding b (accumulated, as
    /// Prometheus does); `axn` is n+1 copies; `_xn` is n omitted slots.
    static func expand(_ item: Substring) throws(Failure) -> [Double?] {
        if item == "_" { return [nil] }
        if item.hasPrefix("_x"), let count = Int(item.dropFirst(2)) {
            guard count >= 0, count <= maxValues else { throw Failure(message: "invalid repetition in \(item)") }
            return Array(repeating: nil, count: count)
        }
        if item == "stale" { return [StaleNaN.value] }
        var head = item
        var count: Int?
        if let x = item.lastIndex(of: "x"), let n = Int(item[item.index(after: x)...]), x > item.startIndex {
            head = item[..<x]
            count = n
        }
        guard let count else {
            guard let value = number(head) else { throw Failure(message: "invalid value \(item)") }
            return [value]
        }
        // Split `a+b`: a sign that is not leading and does not follow an exponent marker.
        var split: Substring.Index?
        var index = head.index(after: head.startIndex)
        while index < head.endIndex {
            let character = head[index]
            let previous = head[head.index(before: index)]
            if (character == "+" || character == "-") && previous != "e" && previous != "E" {
                split = index
                break
            }
            index = head.index(after: index)
        }
        var start: Double
        var increment = 0.0
        if let split {
            guard let a = number(head[..<split]), let b = number(head[split...]) else {
                throw Failure(message: "invalid value \(item)")
            }
            start = a
            increment = b
        } else {
            guard let a = number(head) else { throw Failure(message: "invalid value \(item)") }
            start = a
        }
        guard count >= 0, count <= maxValues else { throw Failure(message: "invalid repetition in \(item)") }
        var out: [Double?] = []
        out.reserveCapacity(count + 1)
        for _ in 0...count {
            out.append(start)
            start += increment
        }
        return out
    }

    private static func number(_ text: Substring) -> Double? {
        parseGoNumber(String(text))
    }
}
