import PromQL
import TSDB
import Testing

/// histogram_quantile over classic buckets, with the edge cases Prometheus 2.42 defines.
/// Expected values were taken from Prometheus 2.42 (`promtool test rules`).
@Suite struct HistogramQuantileTests {
    static let data = """
        load 1m
          h_bucket{case="basic",le="0.1"} 1
          h_bucket{case="basic",le="0.5"} 3
          h_bucket{case="basic",le="1"} 5
          h_bucket{case="basic",le="+Inf"} 6
          h_bucket{case="noinf",le="0.1"} 1
          h_bucket{case="noinf",le="1"} 5
          h_bucket{case="onlyinf",le="+Inf"} 5
          h_bucket{case="empty",le="1"} 0
          h_bucket{case="empty",le="+Inf"} 0
          h_bucket{case="nonmono",le="1"} 5
          h_bucket{case="nonmono",le="2"} 3
          h_bucket{case="nonmono",le="+Inf"} 6
          h_bucket{case="negative",le="-1"} 2
          h_bucket{case="negative",le="0"} 4
          h_bucket{case="negative",le="+Inf"} 4
          h_bucket{case="dup",le="1"} 2
          h_bucket{case="dup",le="1.0"} 2
          h_bucket{case="dup",le="+Inf"} 8
          h_bucket{case="badle",le="abc"} 100
          h_bucket{case="badle",le="2"} 1
          h_bucket{case="badle",le="+Inf"} 2
          h_bucket{case="nole"} 3
        """

    static let expected: [(q: String, results: [String: Double])] = [
        ("0.5", ["basic": 0.5, "badle": 2, "dup": 1, "empty": .nan, "negative": -1, "noinf": .nan, "nonmono": 0.6, "onlyinf": .nan]),
        ("0.99", ["basic": 1, "badle": 2, "dup": 1, "empty": .nan, "negative": -0.020000000000000018, "noinf": .nan, "nonmono": 2, "onlyinf": .nan]),
        ("0.25", ["basic": 0.2, "badle": 1, "dup": 0.5, "empty": .nan, "negative": -1, "noinf": .nan, "nonmono": 0.3, "onlyinf": .nan]),
        ("0", ["basic": 0, "badle": 0, "dup": 0, "empty": .nan, "negative": -1, "noinf": .nan, "nonmono": 0, "onlyinf": .nan]),
    ]

    @Test(arguments: 0..<4) func quantilesMatchPrometheus(_ index: Int) async throws {
        let fixture = try await EngineFixture(Self.data)
        let (q, results) = Self.expected[index]
        let got = try await fixture.values("histogram_quantile(\(q), h_bucket)", at: 0)
        #expect(got.count == results.count, "\(got)")
        for (name, want) in results {
            #expect(isClose(got["{case=\"\(name)\"}"], want), "q=\(q) case=\(name): got \(String(describing: got["{case=\"\(name)\"}"]))")
        }
    }

    @Test func quantileOutsideZeroToOneIsInfinite() async throws {
        let fixture = try await EngineFixture(Self.data)
        #expect(try await fixture.values("histogram_quantile(-0.5, h_bucket{case=\"basic\"})", at: 0) == ["{case=\"basic\"}": -.infinity])
        #expect(try await fixture.values("histogram_quantile(1.5, h_bucket{case=\"basic\"})", at: 0) == ["{case=\"basic\"}": .infinity])
        #expect(try await fixture.value("histogram_quantile(NaN, h_bucket{case=\"basic\"})", at: 0)?.isNaN == true)
    }

    @Test func bucketsOfDifferentMetricsWithEqualLabelsCollide() async throws {
        let fixture = try await EngineFixture("""
            load 1m
              a_bucket{le="1"} 1
              a_bucket{le="+Inf"} 2
              b_bucket{le="1"} 1
              b_bucket{le="+Inf"} 2
            """)
        let error = await fixture.error("histogram_quantile(0.5, {__name__=~\"a_bucket|b_bucket\"})", at: 0)
        #expect(error?.message == "vector cannot contain metrics with the same labelset")
        #expect(error?.errorType == "execution")
    }
}
