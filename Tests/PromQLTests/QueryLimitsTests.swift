import PromQL
import TSDB
import Testing

/// Timeouts, cancellation, the sample budget and the range-query checks of Prometheus's API.
@Suite struct QueryLimitsTests {
    static let heavy = """
        load 1s
          metric{i="1"} 0+1x20000
          metric{i="2"} 0+2x20000
          metric{i="3"} 0+3x20000
        """

    @Test func tooManySamplesIsAnExecutionError() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric{i=\"1\"} 0+1x100\n  metric{i=\"2\"} 0+1x100", options: QueryOptions(maxSamples: 50))
        let error = await fixture.error("sum_over_time(metric[1000s])", at: 1000)
        #expect(error?.kind == .tooManySamples)
        #expect(error?.errorType == "execution")
        #expect(error?.message == "query processing would load too many samples into memory in query execution")
    }

    @Test func rangeQueryOutputCountsAgainstTheBudget() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 1x10", options: QueryOptions(maxSamples: 600))
        _ = try await fixture.engine.rangeQuery("vector(1)", start: 0, end: 500_000, step: 1000)
        do {
            _ = try await fixture.engine.rangeQuery("vector(1)", start: 0, end: 900_000, step: 1000)
            Issue.record("expected too many samples")
        } catch {
            #expect(error.kind == .tooManySamples)
        }
    }

    /// A bare selector's range query is read series by series; its points still count against the budget.
    @Test func bareSelectorRangeOutputCountsAgainstTheBudget() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 0+1x100", options: QueryOptions(maxSamples: 600))
        let fits = try await fixture.engine.rangeQuery("metric", start: 0, end: 400_000, step: 1000)
        guard case .matrix(let series) = fits else { Issue.record("expected a matrix, got \(fits)"); return }
        #expect(series.count == 1 && series.first?.samples.count == 401)
        #expect(series.first?.samples.last?.v == 40)
        do {
            _ = try await fixture.engine.rangeQuery("metric", start: 0, end: 900_000, step: 1000)
            Issue.record("expected too many samples")
        } catch {
            #expect(error.kind == .tooManySamples)
        }
    }

    @Test func zeroTimeoutTimesOut() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 1", options: QueryOptions(timeout: .zero))
        let error = await fixture.error("metric", at: 0)
        #expect(error?.kind == .timeout)
        #expect(error?.errorType == "timeout")
        #expect(error?.message == "query timed out in expression evaluation")
    }

    @Test func longEvaluationStopsAtTheDeadline() async throws {
        let fixture = try await EngineFixture(Self.heavy, options: QueryOptions(timeout: .milliseconds(50)))
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try await fixture.engine.rangeQuery(
                "max_over_time(rate(metric[5m])[1h:1s])", start: 0, end: 20_000_000, step: 2000)
            Issue.record("expected a timeout")
        } catch {
            #expect(error.kind == .timeout)
        }
        #expect(clock.now - started < .seconds(5))
    }

    @Test func cancellationStopsEvaluation() async throws {
        let fixture = try await EngineFixture(Self.heavy)
        let engine = fixture.engine
        // A 100 ms subquery step: with 1 s, a busy test run once delayed the sleep below
        // until the query had finished; this is ten times the inner evaluations.
        let task = Task { () async -> QueryError? in
            do throws(QueryError) {
                _ = try await engine.rangeQuery("max_over_time(rate(metric[5m])[1h:100ms])", start: 0, end: 20_000_000, step: 2000)
                return nil
            } catch {
                return error
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        guard let error = await task.value else {
            Issue.record("expected cancellation")
            return
        }
        #expect(error.kind == .canceled)
        #expect(error.errorType == "canceled")
    }

    @Test func rangeQueryResolutionIsLimited() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 1")
        do {
            _ = try await fixture.engine.rangeQuery("metric", start: 0, end: 11_001_000, step: 1000)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .badData)
            #expect(error.message == "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        _ = try await fixture.engine.rangeQuery("metric", start: 0, end: 11_000_000, step: 1000)
    }

    @Test func badRangeParametersAreBadData() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 1")
        let cases: [(String, Int64, Int64, Int64, String)] = [
            ("metric", 0, 1000, 0, "zero or negative query resolution step widths are not accepted. Try a positive integer"),
            ("metric", 1000, 0, 10, "end timestamp must not be before start time"),
            ("metric[5m]", 0, 1000, 10, "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"),
            ("\"text\"", 0, 1000, 10, "invalid expression type \"string\" for range query, must be Scalar or instant Vector"),
        ]
        for (query, start, end, step, message) in cases {
            do {
                _ = try await fixture.engine.rangeQuery(query, start: start, end: end, step: step)
                Issue.record("expected an error for \(query)")
            } catch {
                #expect(error.kind == .badData)
                #expect(error.message == message)
            }
        }
    }

    @Test func parseErrorsAreBadData() async throws {
        let fixture = try await EngineFixture("load 10s\n  metric 1")
        let error = await fixture.error("sum(", at: 0)
        #expect(error?.errorType == "bad_data")
        #expect(error?.message.hasPrefix("1:5: parse error:") == true)
    }
}
