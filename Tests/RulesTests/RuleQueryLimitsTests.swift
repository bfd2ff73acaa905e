import Foundation
import PromQL
import Rules
import TSDB
import Testing

/// Rule evaluations go through the engine's limits (`--query.max-samples`, `--query.timeout`), as in Prometheus,
/// where rules query through the same engine as the HTTP API; the HTTP concurrency gate is a middleware on the
/// query endpoints, so an evaluation never waits behind HTTP queries.
struct RuleQueryLimitsTests {
    static let rules = """
        groups:
          - name: limits
            rules:
              - record: job:requests:sum
                expr: sum by (job) (requests_total)
              - record: job:requests:rate
                expr: sum by (job) (rate(requests_total[10m]))
        """

    /// 50 series with a sample every 15 s for 10 minutes, in a store on disk so reads go through the query threads.
    func store(_ temp: URL) async throws -> TimeSeriesStore {
        let store = try await TimeSeriesStore(path: temp.appendingPathComponent("vigil.db").path)
        for step in 0..<41 {
            var batch = AppendBatch()
            for instance in 0..<50 {
                batch.append(labels: ["__name__": "requests_total", "job": "api", "instance": "i\(instance)"], t: Int64(step) * 15_000, v: Double(step))
            }
            _ = try await store.commit(batch)
        }
        return store
    }

    func evaluate(_ store: TimeSeriesStore, options: QueryOptions) async throws -> [RuleHealth] {
        let file = try RuleFile(yaml: Self.rules, file: "rules.yml")
        var group = try RuleGroup(spec: file.groups[0], file: "rules.yml", defaultInterval: 60_000)
        let engine = PromQLEngine(querier: store, options: options)
        let query: QueryFunc = { expr, time in
            guard case .vector(let samples) = try await engine.instantQuery(expr, at: time) else { return [] }
            return samples.map { ($0.labels, $0.v) }
        }
        _ = await group.evaluate(at: 600_000, query: query) { _, _ in }
        return group.rules.map(\.health)
    }

    @Test func ruleEvaluationsStopAtTheSampleLimit() async throws {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rule-limits-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temp) }
        let store = try await store(temp)
        // The instant selector loads 50 × 21 samples (its 5-minute lookback); the range selector 50 × 41.
        let limited = try await evaluate(store, options: QueryOptions(maxSamples: 1_500))
        #expect(limited.map(\.status) == [.ok, .err])
        #expect(limited[1].lastError.contains("query processing would load too many samples into memory in query execution"))
        let unlimited = try await evaluate(store, options: QueryOptions())
        #expect(unlimited.map(\.status) == [.ok, .ok])
        try await store.close()
    }

    @Test func ruleEvaluationsStopAtTheTimeout() async throws {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rule-limits-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temp) }
        let store = try await store(temp)
        let timedOut = try await evaluate(store, options: QueryOptions(timeout: .zero))
        #expect(timedOut.map(\.status) == [.err, .err])
        #expect(timedOut.allSatisfy { $0.lastError.contains("query timed out") })
        try await store.close()
    }
}
