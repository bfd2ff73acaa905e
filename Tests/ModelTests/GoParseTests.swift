import Model
import Testing

/// Which texts Go's parsers accept, and as what: the answers Debian's Prometheus 2.42 gave to `time=` and
/// `step=` with these texts (recorded against it), since they decide a 200 against a 400.
@Suite struct GoParseTests {
    @Test(arguments: [
        ("10", 10.0), ("1_0", 10), ("1_0.5", 10.5), ("1e1_0", 1e10), ("0x1p4", 16), ("0x_1p4", 16), ("0x1.8p1", 3),
        ("0x1p-2", 0.25), (".5", 0.5), ("5.", 5), ("-.5e-1", -0.05), ("+5", 5), ("1E3", 1000), ("1e-400", 0),
        ("infinity", .infinity), ("-Inf", -.infinity), ("+INF", .infinity),
    ])
    func acceptsWhatGoAccepts(text: String, value: Double) {
        #expect(GoParse.parseFloat(text) == value, "\(text)")
    }

    @Test func readsNaNOnlyUnsigned() {
        #expect(GoParse.parseFloat("NaN")?.isNaN == true)
        #expect(GoParse.parseFloat("nan")?.isNaN == true)
        #expect(GoParse.parseFloat("-nan") == nil)
        #expect(GoParse.parseFloat("+NaN") == nil)
    }

    @Test(arguments: ["", "+", ".", "e5", "0x10", "0x1.8", "1__0", "_1", "1_", "1e_5", "1e400", "-1e400", " 5", "5 ",
                      "infin", "1.2.3", "0x", "1e", "1e+", "١"])
    func refusesWhatGoRefuses(text: String) {
        #expect(GoParse.parseFloat(text) == nil, "\(text)")
    }

    @Test(arguments: [
        ("2026-12-05T10:00:00Z", 1_796_464_800, 0), ("2026-12-05T10:00:00,5Z", 1_796_464_800, 500_000_000),
        ("2026-12-05T10:00:00.123456789Z", 1_796_464_800, 123_456_789), ("2026-12-05T10:00:00+25:00", 1_796_374_800, 0),
        ("2026-12-05T10:00:00-01:30", 1_796_470_200, 0), ("2026-12-05T1:00:00Z", 1_796_432_400, 0),
        ("2024-02-29T00:00:00Z", 1_709_164_800, 0), ("0000-01-01T00:00:00Z", -62_167_219_200, 0),
    ] as [(String, Int64, Int64)])
    func readsRFC3339AsGoDoes(text: String, seconds: Int64, nanoseconds: Int64) {
        let parsed = GoParse.parseRFC3339(text)
        #expect(parsed?.seconds == seconds && parsed?.nanoseconds == nanoseconds, "\(text): \(String(describing: parsed))")
    }

    @Test(arguments: ["2026-12-05T10:00:00z", "2026-12-05t10:00:00Z", "2026-12-05T10:00:00+0100", "2026-02-30T10:00:00Z",
                      "2025-02-29T10:00:00Z", "2026-12-05T24:00:00Z", "2026-12-05T10:60:00Z", "2026-12-05T10:00:60Z",
                      "2026-1-05T10:00:00Z", "10000-01-01T00:00:00Z", "2026-12-05T10:00:00.1234567891Z", "2026-12-05T10:00Z",
                      "2026-12-05", "2026-12-05T10:00:00", "2026-12-05T10:00:00.Z", "2026-13-05T10:00:00Z", " 2026-12-05T10:00:00Z"])
    func refusesRFC3339ThatGoRefuses(text: String) {
        #expect(GoParse.parseRFC3339(text) == nil, "\(text)")
    }
}
