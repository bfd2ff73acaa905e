import PromQL
import TSDB
import Testing

/// MetricNotationTests covers `parseMetric`, the series notation of expected samples in rule unit tests.
struct MetricNotationTests {
    @Test(arguments: [
        ("{}", Labels()),
        ("", Labels()),
        ("   ", Labels()),
        ("up", ["__name__": "up"]),
        ("job:up:sum", ["__name__": "job:up:sum"]),
        (#"up{job="a"}"#, ["__name__": "up", "job": "a"]),
        (#"{__name__="up", job="a"}"#, ["__name__": "up", "job": "a"]),
        (#"{job="a",}"#, ["job": "a"]),
        (#"{job='a', instance=`h:1`}"#, ["job": "a", "instance": "h:1"]),
        (#"sum{by="x"}"#, ["__name__": "sum", "by": "x"]),
    ] as [(String, Labels)])
    func seriesNotationIsALabelSet(_ text: String, _ labels: Labels) throws {
        #expect(try parseMetric(text) == labels)
    }

    @Test(arguments: [
        (#"up{job=~"a"}"#, #"1:7: parse error: unexpected <op:=~> in label set, expected "=""#),
        ("up 1", #"1:4: parse error: unexpected number "1""#),
        ("sum(up)", #"1:4: parse error: unexpected "(""#),
        (#"up{job="a""#, "1:11: parse error: unexpected end of input inside braces"),
    ])
    func selectorsAndTrailingTextAreErrorsWithTheirPosition(_ text: String, _ message: String) {
        #expect(throws: PromQLParseError.self) { try parseMetric(text) }
        do {
            _ = try parseMetric(text)
        } catch {
            #expect(error.description == message)
        }
    }
}
