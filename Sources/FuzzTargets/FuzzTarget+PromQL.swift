import PromQL
import TSDB

extension FuzzTarget {
    /// PromQL tokens that reach the parser's and engine's less common paths: modifiers, extreme numbers, nesting.
    static let promqlDictionary = [
        "(", ")", "[5m]", "[1h:1ms]", "[100y]", "[1m:]", " offset -1y", " offset 1ms", " @ 1e300", " @ -9223372036854775.808",
        " @ start()", " @ end()", "9223372036854775807", "1e308", "-Inf", "NaN", "0x7fffffffffffffff", "1e-320",
        "topk(", "bottomk(", "quantile(", "quantile_over_time(", "histogram_quantile(", "label_replace(", "label_join(",
        "count_values(", "absent(", "absent_over_time(", "{a=~\"(a+)+b\"}", "{__name__=~\".+\"}", " by (", " without (",
        " group_left(", " on(", " ignoring(", " bool ", " ^ ", " % ", " atan2 ", " and ", " or ", " unless ", "sum(", "rate(",
        "irate(", "increase(", "delta(", "deriv(", "predict_linear(", "holt_winters(", "round(", "clamp(", "time()",
        "vector(", "scalar(", "sort_desc(", "stddev(", "stdvar(", "timestamp(", "day_of_month(", "changes(", "resets(",
        "http_requests_total", "up", "request_duration_seconds_bucket", "odd_values", "\"", "`", "\\x", "\\u00e9",
    ]

    /// promql-parse: `parseExpr`, then printing the tree, on arbitrary text.
    static let promqlParse = FuzzTarget(name: "promql-parse", dictionary: promqlDictionary) { input in
        do {
            let expr = try parseExpr(text(input))
            _ = expr.description
            return .accepted
        } catch {
            return .rejected
        }
    }

    /// The fixed evaluation window: instant queries at 5 minutes, range queries over 10 minutes at 30 s steps.
    static let evaluationTime: Timestamp = 300_000
    static let rangeStep: Int64 = 30_000

    /// Engine limits small enough that no input can run long or hold much memory.
    static let fuzzQueryOptions = QueryOptions(timeout: .seconds(2), maxSamples: 500_000)

    /// promql-eval: parses, then evaluates as an instant and a range query over a small fixed store.
    static let promqlEval = FuzzTarget(name: "promql-eval", maxInputBytes: 64 << 10, dictionary: promqlDictionary) { input in
        let expr: Expr
        do { expr = try parseExpr(text(input)) } catch { return .rejected }
        let engine = PromQLEngine(querier: await fixtureStore.value, options: fuzzQueryOptions)
        var verdict = FuzzVerdict.rejected
        do {
            _ = try await engine.instantQuery(expr, at: evaluationTime)
            verdict = .accepted
        } catch {}
        do {
            _ = try await engine.rangeQuery(expr, start: 0, end: 2 * evaluationTime, step: rangeStep)
            verdict = .accepted
        } catch {}
        return verdict
    }

    /// fixtureStore holds a few series of every shape the engine treats specially: counters with a reset,
    /// histogram buckets, gauges with NaN, infinities and a staleness marker.
    static let fixtureStore = Task<TimeSeriesStore, Never> {
        let store = TimeSeriesStore(options: .init(retentionMillis: nil))
        var batch = AppendBatch()
        for step in 0...40 {
            let t = Timestamp(step) * 15_000
            let v = Double(step)
            batch.append(labels: ["__name__": "http_requests_total", "job": "api", "code": "200"], t: t, v: v * 10)
            batch.append(labels: ["__name__": "http_requests_total", "job": "api", "code": "500"], t: t, v: step < 20 ? v : v - 20)
            batch.append(labels: ["__name__": "up", "job": "api", "instance": "a"], t: t, v: step % 7 == 0 ? 0 : 1)
            for (le, share) in [("0.1", 0.25), ("0.5", 0.5), ("1", 0.9), ("+Inf", 1.0)] {
                batch.append(labels: ["__name__": "request_duration_seconds_bucket", "job": "api", "le": le], t: t, v: v * 4 * share)
            }
            let odd: [Double] = [.nan, .infinity, -.infinity, 1e308, -0.0, .leastNonzeroMagnitude, StaleNaN.value]
            batch.append(labels: ["__name__": "odd_values", "kind": "cycle"], t: t, v: odd[step % odd.count])
        }
        _ = try? await store.commit(batch)
        return store
    }
}
