import PromQL
import Testing

/// formatPrometheusValue must print what Go's `strconv.FormatFloat(v, 'f', -1, 64)` prints.
@Suite struct PrometheusNumberTests {
    @Test(arguments: [
        (0.1 + 0.2, "0.30000000000000004"),
        (0.19999999999999998, "0.19999999999999998"),
        (729.4909090909091, "729.4909090909091"),
        (1, "1"),
        (44, "44"),
        (0, "0"),
        (-0.0, "-0"),
        (-2.5, "-2.5"),
        (1e6, "1000000"),
        (1e21, "1000000000000000000000"),
        (1.2345678901234568e20, "123456789012345680000"),
        (1e-7, "0.0000001"),
        (2.5e-5, "0.000025"),
        (1795716734.977, "1795716734.977"),
        (Double.infinity, "+Inf"),
        (-Double.infinity, "-Inf"),
        (Double.nan, "NaN"),
    ])
    func formatsLikeGo(_ value: Double, _ expected: String) {
        #expect(formatPrometheusValue(value) == expected)
    }

    @Test func extremesPrintWithoutExponent() {
        #expect(formatPrometheusValue(Double.leastNonzeroMagnitude) == "0." + String(repeating: "0", count: 323) + "5")
        let largest = formatPrometheusValue(Double.greatestFiniteMagnitude)
        #expect(largest.count == 309)
        #expect(largest.hasPrefix("17976931348623157"))
        #expect(largest.dropFirst(17).allSatisfy { $0 == "0" })
    }
}

@Suite struct PrometheusNumberFastPathTests {
    @Test func wholeNumbersAtAndAbove2To53PrintWithoutAFraction() {
        #expect(formatPrometheusValue(9_007_199_254_740_992) == "9007199254740992")
        #expect(formatPrometheusValue(18_014_398_509_481_984) == "18014398509481984")
        #expect(formatPrometheusValue(-9_007_199_254_740_992) == "-9007199254740992")
    }
}
