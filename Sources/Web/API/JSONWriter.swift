import PromQL

/// Builds JSON as UTF-8 bytes directly, so number formats match Prometheus's byte for byte.
///
/// Prometheus prints sample values as strings in Go's shortest form and timestamps as seconds
/// with up to three decimals; a generic encoder would print neither that way. Range queries write
/// hundreds of thousands of values, so strings without characters to escape are copied whole.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Per open container: whether a member was already written (and the next needs a comma).
    private var hasMembers: [Bool] = [false]
    private var afterKey = false

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Every value starts here: after a key nothing is needed, otherwise a comma between members.
    private mutating func beginValue() {
        if afterKey {
            afterKey = false
            return
        }
        if hasMembers[hasMembers.count - 1] { bytes.append(UInt8(ascii: ",")) }
        hasMembers[hasMembers.count - 1] = true
    }

    mutating func key(_ name: String) {
        if hasMembers[hasMembers.count - 1] { bytes.append(UInt8(ascii: ",")) }
        hasMembers[hasMembers.count - 1] = true
        Self.appendQuoted(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    mutating func string(_ value: String) { beginValue(); Self.appendQuoted(value, to: &bytes) }
    mutating func raw(_ json: String) { beginValue(); bytes.append(contentsOf: json.utf8) }
    /// Appends the top-level values another writer wrote, as members of the container open here.
    mutating func members(_ other: JSONWriter) {
        guard !other.bytes.isEmpty else { return }
        beginValue()
        bytes.append(contentsOf: other.bytes)
    }
    mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }
    mutating func int(_ value: Int) { raw(String(value)) }
    mutating func null() { raw("null") }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginValue()
        bytes.append(UInt8(ascii: "{"))
        hasMembers.append(false)
        body(&self)
        hasMembers.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func array(_ body: (inout JSONWriter) -> Void) {
        beginValue()
        bytes.append(UInt8(ascii: "["))
        hasMembers.append(false)
        body(&self)
        hasMembers.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes a sample as Prometheus does, `[seconds,"value"]`, with the value in Go's shortest decimal form.
    ///
    /// A range query writes hundreds of thousands of these, so a point is formatted in a stack
    /// buffer and appended once. Swift prints the same shortest digits as Go into that buffer;
    /// only its two spellings that differ from Go's are fixed up: exponent notation and a trailing `.0`.
    /// A `[t, "v"]` pair of a vector or matrix: values below 1e-6 or from 1e21 up print in exponent
    /// form (`1e-07`, `1e+21`), as Prometheus's JSON encoder prints sample values; scalars use `point`.
    mutating func samplePoint(_ t: Int64, _ value: Double) {
        let magnitude = value.magnitude
        guard value.isFinite, magnitude != 0, magnitude < 1e-6 || magnitude >= 1e21 else {
            point(t, value)
            return
        }
        beginValue()
        bytes.append(UInt8(ascii: "["))
        bytes.append(contentsOf: Self.timestamp(t).utf8)
        bytes.append(contentsOf: #",""#.utf8)
        // Swift's shortest form in this range is Go's 'e' format: one digit, fraction, two-digit signed exponent.
        bytes.append(contentsOf: value.description.utf8)
        bytes.append(contentsOf: #""]"#.utf8)
    }

    mutating func point(_ t: Int64, _ value: Double) {
        beginValue()
        guard t >= 0, value.isFinite, value != 0 else {
            bytes.append(UInt8(ascii: "["))
            bytes.append(contentsOf: Self.timestamp(t).utf8)
            bytes.append(contentsOf: #",""#.utf8)
            bytes.append(contentsOf: formatPrometheusValue(value).utf8)
            bytes.append(contentsOf: #""]"#.utf8)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buffer in
            var sink = StackSink(buffer: buffer)
            sink.append(UInt8(ascii: "["))
            sink.appendTimestamp(t)
            sink.append(UInt8(ascii: ","))
            sink.append(UInt8(ascii: "\""))
            // Whole values below 1e15 (counters, gauges of counts) are their integer digits in Go's 'f' format too,
            // so they skip the float printer, which was the largest single cost of writing a matrix.
            if value == value.rounded(.towardZero), value.magnitude < 1e15 {
                if value < 0 { sink.append(UInt8(ascii: "-")) }
                sink.appendDecimal(UInt64(value.magnitude))
                sink.append(UInt8(ascii: "\""))
                sink.append(UInt8(ascii: "]"))
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<sink.count]))
                return
            }
            let digitsStart = sink.count
            value.write(to: &sink)
            let digits = UnsafeBufferPointer(rebasing: buffer[digitsStart..<sink.count])
            if digits.contains(UInt8(ascii: "e")) {
                // Go spells these out in full, up to 300-odd digits: too long for the stack buffer.
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<digitsStart]))
                bytes.append(contentsOf: formatPrometheusValue(value).utf8)
                bytes.append(contentsOf: #""]"#.utf8)
                return
            } else if digits.count >= 2, digits[digits.count - 2] == UInt8(ascii: "."), digits[digits.count - 1] == UInt8(ascii: "0") {
                sink.count -= 2
            }
            sink.append(UInt8(ascii: "\""))
            sink.append(UInt8(ascii: "]"))
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<sink.count]))
        }
    }

    /// `timestamp(_:)` without building a String.
    static func appendTimestamp(_ t: Int64, to bytes: inout [UInt8]) {
        guard t >= 0 else {
            bytes.append(contentsOf: timestamp(t).utf8)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            var sink = StackSink(buffer: buffer)
            sink.appendTimestamp(t)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<sink.count]))
        }
    }

    /// Writes `"name": value` pairs of a label set as an object.
    mutating func labels(_ pairs: some Sequence<(String, String)>) {
        object { json in
            for (name, value) in pairs {
                json.key(name)
                json.string(value)
            }
        }
    }

    /// Go's encoding/json escaping, which Prometheus's responses use (it escapes <, > and &, and the line and
    /// paragraph separators U+2028 and U+2029, which JavaScript once could not take inside a string).
    static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            if !utf8.contains(where: needsEscape) {
                bytes.append(contentsOf: utf8)
                return
            }
            var index = 0
            while index < utf8.count {
                let byte = utf8[index]
                index += 1
                guard needsEscape(byte) else {
                    bytes.append(byte)
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
                case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
                case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
                case 0xE2:
                    // U+2028 and U+2029 are E2 80 A8 and E2 80 A9; other characters starting with E2 pass as they are.
                    if index + 1 < utf8.count, utf8[index] == 0x80, utf8[index + 1] == 0xA8 || utf8[index + 1] == 0xA9 {
                        bytes.append(contentsOf: (utf8[index + 1] == 0xA8 ? #"\u2028"# : #"\u2029"#).utf8)
                        index += 2
                    } else {
                        bytes.append(byte)
                    }
                default:
                    let hex = String(byte, radix: 16)
                    bytes.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "<")
            || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&") || byte == 0xE2
    }

    /// A scalar's or a string's timestamp as Prometheus writes it: the seconds as Go's shortest float (`1.5`),
    /// where vector and matrix points keep three fraction digits (`1.500`, ``timestamp(_:)``).
    static func floatSeconds(_ t: Int64) -> String {
        formatPrometheusValue(Double(t) / 1000)
    }

    /// A millisecond timestamp as Prometheus writes it: seconds, plus `.mmm` when not whole.
    static func timestamp(_ t: Int64) -> String {
        let seconds = t / 1000
        let millis = t % 1000
        if millis == 0 { return String(seconds) }
        let sign = t < 0 && seconds == 0 ? "-" : ""
        let fraction = String(abs(millis))
        return sign + String(seconds) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

/// StackSink formats one point into a small stack buffer, which numbers print themselves into.
///
/// Its capacity (96 bytes) exceeds the longest point: 20 timestamp digits and 4 for the
/// fraction, punctuation, and Swift's longest spelling without an exponent (about 24
/// characters); values Swift prints with an exponent are written around the buffer.
private struct StackSink: TextOutputStream {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var count = 0

    init(buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    mutating func write(_ string: String) { for byte in string.utf8 { append(byte) } }

    /// The standard library's float printer hands over its ASCII digits here, without making a String.
    mutating func _writeASCII(_ digits: UnsafeBufferPointer<UInt8>) {
        _ = UnsafeMutableBufferPointer(rebasing: buffer[count...]).initialize(from: digits)
        count += digits.count
    }

    /// The decimal digits of `number`.
    @inline(__always)
    mutating func appendDecimal(_ number: UInt64) {
        var number = number
        var digits = 1
        var scale: UInt64 = 10
        while digits < 20 && number >= scale {
            digits += 1
            scale = scale &* 10
        }
        var position = count + digits
        count = position
        repeat {
            position -= 1
            buffer[position] = UInt8(ascii: "0") + UInt8(number % 10)
            number /= 10
        } while number > 0
    }

    /// A non-negative millisecond timestamp as seconds, plus `.mmm` when not whole.
    @inline(__always)
    mutating func appendTimestamp(_ t: Int64) {
        appendDecimal(UInt64(t / 1000))
        let millis = Int(t % 1000)
        guard millis != 0 else { return }
        append(UInt8(ascii: "."))
        append(UInt8(ascii: "0") + UInt8(millis / 100))
        append(UInt8(ascii: "0") + UInt8(millis / 10 % 10))
        append(UInt8(ascii: "0") + UInt8(millis % 10))
    }
}
