import PromQL
import TSDB
import Testing

/// Extrapolation of rate/increase/delta, checked against values Prometheus 2.42 returns.
@Suite struct RateTests {
    static let data = """
        load 15s
          aligned 0+10x10
          late _ _ _ _ _ _ 100 110 120
          nearzero _ _ _ _ _ _ 2 12 22
          reset _ _ _ _ 10 20 5 15
          gauge 50 40 45 30 20 25 10 5 0
          single _ _ _ _ _ _ _ _ 7
        """

    @Test func samplesAtBothEdgesAreNotExtrapolated() async throws {
        let fixture = try await EngineFixture(Self.data)
        #expect(isClose(try await fixture.value("rate(aligned[1m])", at: 120), 0.6666666666666666))
    }

    @Test func gapsNearTheEdgesAreExtrapolatedToTheEdges() async throws {
        let fixture = try await EngineFixture(Self.data)
        #expect(isClose(try await fixture.value("rate(aligned[1m])", at: 125), 0.6666666666666666))
        #expect(isClose(try await fixture.value("increase(aligned[50s])", at: 120), 33.333333333333336))
    }

    @Test func seriesStartingInsideTheWindowIsExtrapolatedByHalfAnInterval() async throws {
        let fixture = try await EngineFixture(Self.data)
        #expect(isClose(try await fixture.value("increase(late[1m])", at: 120), 25))
    }

    @Test func countersAreNotExtrapolatedBelowZero() async throws {
        let fixture = try await EngineFixture(Self.data)
        #expect(isClose(try await fixture.value("increase(nearzero[1m])", at: 120), 22))
    }

    @Test func counterResetsAddThePreviousValue() async throws {
        let fixture = try await EngineFixture(Self.data)
        #expect(isClose(try await fixture.value("increase(reset[1m])", at: 105), 33.33333333333333))
        #expect(isClose(try await fixture.value("irate(reset[1m])", at: 105), 0.6666666666666666))
    }

    @Test func deltaOfAGaugeCanBeNegative() async throws {
        let fixture = try await EngineFixture(Self.data)
        #expect(isClose(try await fixture.value("delta(gauge[1m])", at: 120), -20))
    }

    @Test func oneSampleIsNotEnoughForARate() async throws {
        let fixture = try await EngineFixture(Self.data)
        #expect(try await fixture.values("rate(single[1m])", at: 120).isEmpty)
        #expect(try await fixture.values("irate(single[1m])", at: 120).isEmpty)
    }

    @Test func rangeFunctionsDropTheMetricNameExceptLastOverTime() async throws {
        let fixture = try await EngineFixture(Self.data)
        #expect(try await fixture.values("rate(aligned[1m])", at: 120).keys.first == "{}")
        #expect(try await fixture.values("last_over_time(aligned[1m])", at: 120) == ["aligned": 80])
    }
}
