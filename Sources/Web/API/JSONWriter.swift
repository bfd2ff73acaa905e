/// Builds JSON text directly, so number formats match Prometheus's byte for byte.
///
/// Prometheus prints sample values as strings in Go's shortest form and timestamps as seconds
/// with up to three decimals; a generic encoder would print neither that way.
struct JSONWriter {
    private(set) var text = ""
    /// Per open container: whether a member was already written (and the next needs a comma).
    private var hasMembers: [Bool] = [false]
    private var afterKey = false

    init(capacity: Int = 256) { text.reserveCapacity(capacity) }

    /// Every value starts here: after a key nothing is needed, otherwise a comma between members.
    private mutating func beginValue() {
        if afterKey {
            afterKey = false
            return
        }
        if hasMembers[hasMembers.count - 1] { text += "," }
        hasMembers[hasMembers.count - 1] = true
    }

    mutating func key(_ name: String) {
        if hasMembers[hasMembers.count - 1] { text += "," }
        hasMembers[hasMembers.count - 1] = true
        Self.appendQuoted(name, to: &text)
        text += ":"
        afterKey = true
    }

    mutating func string(_ value: String) { beginValue(); Self.appendQuoted(value, to: &text) }
    mutating func raw(_ json: String) { beginValue(); text += json }
    mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }
    mutating func int(_ value: Int) { raw(String(value)) }
    mutating func null() { raw("null") }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginValue()
        text += "{"
        hasMembers.append(false)
        body(&self)
        hasMembers.removeLast()
        text += "}"
    }

    mutating func array(_ body: (inout JSONWriter) -> Void) {
        beginValue()
        text += "["
        hasMembers.append(false)
        body(&self)
        hasMembers.removeLast()
        text += "]"
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
    static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "<": text += "\\u003c"
            case ">": text += "\\u003e"
            case "&": text += "\\u0026"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
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
