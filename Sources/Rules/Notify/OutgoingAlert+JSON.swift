import TSDB

extension OutgoingAlert {
    /// Renders alerts as the JSON array Alertmanager's `POST /api/v2/alerts` takes, with keys in a fixed order.
    ///
    /// Times are RFC 3339 in UTC with milliseconds, e.g. `2026-01-02T03:04:05.678Z`; an alert without `endsAt` omits it.
    public static func jsonBody(_ alerts: some Sequence<OutgoingAlert>) -> [UInt8] {
        var out: [UInt8] = []
        out.append(UInt8(ascii: "["))
        var first = true
        for alert in alerts {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            alert.writeJSON(into: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    func writeJSON(into out: inout [UInt8]) {
        out.append(contentsOf: #"{"labels":"#.utf8)
        Self.writeObject(labels, into: &out)
        out.append(contentsOf: #","annotations":"#.utf8)
        Self.writeObject(annotations, into: &out)
        out.append(contentsOf: #","startsAt":""#.utf8)
        out.append(contentsOf: Self.rfc3339(startsAt).utf8)
        out.append(UInt8(ascii: "\""))
        if let endsAt {
            out.append(contentsOf: #","endsAt":""#.utf8)
            out.append(contentsOf: Self.rfc3339(endsAt).utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: #","generatorURL":"#.utf8)
        Self.writeString(generatorURL, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    static func writeObject(_ labels: Labels, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, label) in labels.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            writeString(label.name, into: &out)
            out.append(UInt8(ascii: ":"))
            writeString(label.value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func writeString(_ text: String, into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Formats milliseconds since the epoch as RFC 3339 in UTC with exactly three fractional digits.
    static func rfc3339(_ millis: Timestamp) -> String {
        let (seconds, ms) = millis.floorDivided(by: 1000)
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(ms, 3))Z"
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = self / divisor
        var remainder = self % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }
}
