import PromQL
import TSDB
import Testing

/// Lookback delta and staleness markers, as in Prometheus 2.42 (closed intervals).
@Suite struct StalenessTests {
    @Test func instantSelectorLooksBackFiveMinutesInclusive() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 0")
        #expect(try await fixture.value("metric", at: 300) == 0)
        #expect(try await fixture.value("metric", at: 300.001) == nil)
    }

    @Test func staleMarkerEndsASeriesAtOnce() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 0 1 stale 2")
        #expect(try await fixture.value("metric", at: 19.999) == 1)
        #expect(try await fixture.value("metric", at: 20) == nil)
        #expect(try await fixture.value("metric", at: 30) == 2)
    }

    @Test func rangeSelectorsSkipStaleMarkers() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 0 1 stale 2")
        #expect(try await fixture.value("count_over_time(metric[1m])", at: 30) == 3)
        #expect(try await fixture.value("count_over_time(metric[1s])", at: 20) == nil)
    }

    @Test func lookbackDeltaIsConfigurable() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 5", options: QueryOptions(lookbackDelta: 60_000))
        #expect(try await fixture.value("metric", at: 60) == 5)
        #expect(try await fixture.value("metric", at: 61) == nil)
    }

    @Test func rangeQueryShowsTheGapOfAStaleSeries() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 1 1 stale _ 2")
        let value = try await fixture.engine.rangeQuery("metric", start: 0, end: 40_000, step: 10_000)
        guard case .matrix(let matrix) = value else {
            Issue.record("expected a matrix")
            return
        }
        #expect(matrix.count == 1)
        #expect(matrix.first?.samples.map(\.t) == [0, 10_000, 40_000])
    }
}
