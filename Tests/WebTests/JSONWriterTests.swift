import Foundation
import TSDB
import PromQL
import Testing
@testable import Web

@Suite struct JSONWriterTests {
    @Test(arguments: [0.19999999999999998, 1, -1, 0, -0.0, 1e21, 1e-7, 123456789.123, 0.1 + 0.2, 8.333333333333334,
                      Double.nan, .infinity, -.infinity, 2.5e-5, 9_007_199_254_740_993, 1e15, 1234.5, -0.001, 5e-324, .greatestFiniteMagnitude,
                      42, -42, 999_999_999_999_999, -999_999_999_999_999, 4_294_967_296, 0.5, -1e14])
    func pointsPrintValuesExactlyAsPrometheusDoes(value: Double) {
        var json = JSONWriter()
        json.point(1_795_716_734_960, value)
        #expect(json.text == "[1795716734.960,\"\(formatPrometheusValue(value))\"]")
    }

    /// Sample values of vectors and matrices, as Debian's Prometheus 2.42 printed them for `vector(v)`.
    @Test(arguments: [(1e-7, "1e-07"), (1e21, "1e+21"), (-2.5e-9, "-2.5e-09"), (1.5e300, "1.5e+300"), (1e-6, "0.000001"),
                      (1e20, "100000000000000000000"), (0.00001, "0.00001"), (5e-324, "5e-324"), (1, "1"), (0, "0")])
    func samplePointsUseExponentFormAtTheExtremes(value: Double, expected: String) {
        var json = JSONWriter()
        json.samplePoint(100_000, value)
        #expect(json.text == "[100,\"\(expected)\"]")
    }

    @Test func timestampsKeepMillisecondsAndStayWholeWhenRound() {
        var json = JSONWriter()
        json.array { json in
            json.point(1_000, 1)
            json.point(1_001, 1)
            json.point(1_500_010, 1)
        }
        #expect(json.text == #"[[1,"1"],[1.001,"1"],[1500.010,"1"]]"#)
    }

    @Test(arguments: [Int64(0), 7, 999, 1_000, 10_000, 1_795_716_734_960, Int64.max])
    func timestampDigitsMatchSwiftsOwnPrinting(t: Int64) {
        var bytes: [UInt8] = []
        JSONWriter.appendTimestamp(t, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == JSONWriter.timestamp(t))
    }
}

/// Strings are escaped as Go's encoding/json escapes them, so answers are byte-identical to Prometheus's.
@Suite struct JSONStringEscapingTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        ("a<b>&c", #""a\u003cb\u003e\u0026c""#),
        ("line\u{2028}para\u{2029}end", #""line\u2028para\u2029end""#),
        // Other characters whose UTF-8 starts with E2 stay as they are.
        ("—€\u{2027}\u{202A}", "\"—€\u{2027}\u{202A}\""),
        ("\u{2028}", #""\u2028""#),
        ("tab\tquote\"back\\bell\u{07}", #""tab\tquote\"back\\bell\u0007""#),
    ])
    func escapesAsGoDoes(value: String, quoted: String) {
        var bytes: [UInt8] = []
        JSONWriter.appendQuoted(value, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == quoted)
    }
}

@Suite struct FormDecodingTests {
    @Test(arguments: [
        ("rate(x%5B5m%5D)", "rate(x[5m])"),
        ("sum+by+(a)", "sum by (a)"),
        ("a%2Bb", "a+b"),
        ("caf%C3%A9", "café"),
        ("100%", "100%"),
        ("%zz%4", "%zz%4"),
        ("%E9", "\u{FFFD}"),
        ("plain", "plain"),
        ("", ""),
    ])
    func decodesPlusAndPercentEscapesAndKeepsMalformedOnes(encoded: String, decoded: String) {
        #expect(APIParameters.formDecoded(Substring(encoded).utf8) == decoded)
    }
}

@Suite struct ParallelEncodingTests {
    @Test func largeMatricesAreSplitAcrossCoresIntoTheSameBytes() async {
        var random = SystemRandomNumberGenerator()
        var series: [Series] = []
        for index in 0..<40 {
            var samples: [Sample] = []
            for step in 0..<(300 + index * 7) {
                let t: Int64 = 1_700_000_000_000 + Int64(step) * 15_000
                samples.append(Sample(t: t, v: Double.random(in: -1e6...1e6, using: &random)))
            }
            series.append(Series(labels: Labels(["__name__": "m", "i": String(index)]), samples: samples))
        }
        let points = series.reduce(0) { $0 + $1.samples.count }
        let parts = await PrometheusAPI.encodedOnQueryThreads(series)
        let expectedParts = min(ProcessInfo.processInfo.activeProcessorCount, points / PrometheusAPI.parallelEncodingThreshold, series.count)
        #expect(parts.count == max(expectedParts, 1))
        var joined = JSONWriter()
        joined.array { json in for part in parts { json.members(part) } }
        var sequential = JSONWriter()
        sequential.array { json in json.members(PrometheusAPI.encode(series[...])) }
        #expect(joined.bytes == sequential.bytes)
        #expect(joined.bytes.first == UInt8(ascii: "[") && joined.bytes.last == UInt8(ascii: "]"))
    }
}
