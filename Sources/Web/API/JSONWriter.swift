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
    /// Swift prints the same shortest digits straight into this buffer (no String in between); only
    /// its two spellings that differ from Go's are fixed up: exponent notation and a trailing `.0`.
    mutating func point(_ t: Int64, _ value: Double) {
        beginValue()
        bytes.append(UInt8(ascii: "["))
        Self.appendTimestamp(t, to: &bytes)
        bytes.append(UInt8(ascii: ","))
        bytes.append(UInt8(ascii: "\""))
        if value.isFinite && value != 0 {
            let start = bytes.count
            value.write(to: &self)
            if bytes[start...].contains(UInt8(ascii: "e")) {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: formatPrometheusValue(value).utf8)
            } else if bytes.count - start >= 2, bytes[bytes.count - 2] == UInt8(ascii: "."), bytes[bytes.count - 1] == UInt8(ascii: "0") {
                bytes.removeLast(2)
            }
        } else {
            bytes.append(contentsOf: formatPrometheusValue(value).utf8)
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: "]"))
    }

    /// `timestamp(_:)` without building a String.
    static func appendTimestamp(_ t: Int64, to bytes: inout [UInt8]) {
        if t < 0 {
            bytes.append(contentsOf: timestamp(t).utf8)
            return
        }
        appendDigits(UInt64(t / 1000), to: &bytes)
        let millis = Int(t % 1000)
        guard millis != 0 else { return }
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(millis / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(millis / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(millis % 10))
    }

    /// Writes a non-negative integer in decimal; a range query writes one per point, where making a String each time showed up in profiles.
    @inline(__always)
    static func appendDigits(_ value: UInt64, to bytes: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64.max's 20 digits
        var remaining = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                count += 1
                buffer[24 - count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
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

    /// Go's encoding/json escaping, which Prometheus's responses use (it escapes <, > and &).
    static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            if !utf8.contains(where: needsEscape) {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
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
            || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&")
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

extension JSONWriter: TextOutputStream {
    /// Lets numbers print themselves into the buffer; nothing else writes through this.
    mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }

    /// The standard library's float printer hands over its ASCII digits here, without making a String.
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
}
