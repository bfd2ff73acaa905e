import Model
import Testing

@Suite struct PrometheusDurationTests {
    private static let day: Int64 = 24 * 3_600_000

    @Test(arguments: [
        ("0", Int64(0)), ("0s", 0), ("1ms", 1), ("1m1ms", 60_001), ("1h30m", 5_400_000), ("1w1d", 8 * day),
        ("292y", 292 * 365 * day), ("106751d", 106_751 * day),
    ])
    func parsesWhatPrometheusAccepts(text: String, milliseconds: Int64) throws {
        #expect(try PrometheusDuration(parsing: text).milliseconds == milliseconds)
    }

    /// Anything past Go's `time.Duration` (2^63 - 1 ns, about 292.47 years) is out of range, as in Prometheus.
    @Test(arguments: ["300y", "293y", "106752d", "9223372036854775807ms", "99999999999999999999s", "292y1000w"])
    func rejectsDurationsBeyondGoRange(text: String) {
        #expect(throws: PrometheusDuration.ParseError(text: text, reason: .outOfRange)) {
            try PrometheusDuration(parsing: text)
        }
    }

    @Test(arguments: ["5m1h", "1h1h", "1.5h", "5", "h", "1x", "-1s", " 1s", "1s "])
    func rejectsMalformedText(text: String) {
        #expect(throws: PrometheusDuration.ParseError(text: text, reason: .syntax)) {
            try PrometheusDuration(parsing: text)
        }
    }

    @Test func errorMessagesAreTheOnesPrometheusPrints() {
        #expect(PrometheusDuration.ParseError(text: "", reason: .empty).description == "empty duration string")
        #expect(PrometheusDuration.ParseError(text: "5m1h", reason: .syntax).description == "not a valid duration string: \"5m1h\"")
        #expect(PrometheusDuration.ParseError(text: "300y", reason: .outOfRange).description == "duration out of range")
        #expect(throws: PrometheusDuration.ParseError(text: "", reason: .empty)) { try PrometheusDuration(parsing: "") }
    }

    @Test(arguments: [
        (Int64(0), "0s"), (90_000, "1m30s"), (14 * day, "2w"), (8 * day, "8d"), (365 * day, "1y"), (1500, "1s500ms"),
        (-90_000, "-1m30s"), (Int64.min, "-106751991167d7h12m55s808ms"),
    ])
    func formatsLargestUnitsFirst(milliseconds: Int64, text: String) {
        #expect(PrometheusDuration(milliseconds: milliseconds).description == text)
    }

    @Test(arguments: ["1y", "2w", "1d1h", "1m30s", "1s500ms", "90d"])
    func formattingRoundTrips(text: String) throws {
        let duration = try PrometheusDuration(parsing: text)
        #expect(try PrometheusDuration(parsing: duration.description) == duration)
    }
}
