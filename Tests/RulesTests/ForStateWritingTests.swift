import Logging
import PromQL
import Testing
import TSDB
@testable import Rules

/// A server writes no `ALERTS`/`ALERTS_FOR_STATE` until it has restored `for` state, so a quick
/// second restart reads back the state from before the first one, not a first evaluation's fresh `activeAt`.
@Suite struct ForStateWritingTests {
    static let rules = """
        groups:
          - name: g
            interval: 15s
            rules:
              - alert: Slow
                expr: vector(1)
                for: 30m
        """

    func forStateSamples(_ store: TimeSeriesStore) async throws -> [Sample] {
        let series = try await store.select([try Matcher(.equal, "__name__", "ALERTS_FOR_STATE")], mint: .min, maxt: .max)
        return series.flatMap(\.samples)
    }

    func manager(_ store: TimeSeriesStore) async throws -> RuleManager {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let query: QueryFunc = { _, _ in [(labels: Labels(), value: 1)] }
        let manager = RuleManager(store: store, query: query, logger: logger)
        try await manager.load([LoadedRuleFile(path: "rules.yml", ruleFile: try RuleFile(yaml: Self.rules, file: "rules.yml"))])
        return manager
    }

    @Test func theFirstEvaluationAfterAStartWritesNoForState() async throws {
        let store = TimeSeriesStore()
        let t0: Timestamp = 1_700_000_000_000
        // What a previous run wrote: the alert active since 20 minutes before t0.
        var batch = AppendBatch()
        batch.append(labels: ["__name__": "ALERTS_FOR_STATE", "alertname": "Slow"], t: t0 - 60_000, v: Double(t0 / 1000 - 1200))
        _ = try await store.commit(batch)

        let first = try await manager(store)
        let key = try #require(await first.snapshot().first?.key)
        await first.evaluate(key, at: t0)
        #expect(try await forStateSamples(store).map(\.t) == [t0 - 60_000], "nothing written before restoration")

        // Restarting again right away restores from the previous run's sample, not from t0.
        let second = try await manager(store)
        await second.evaluate(key, at: t0 + 5_000)
        let restored = try #require(await second.snapshot().first?.rules.first?.alertState.allAlerts.first)
        #expect(restored.activeAt < t0 - 60_000, "activeAt \(restored.activeAt) comes from the first run")

        await second.evaluate(key, at: t0 + 20_000)
        let written = try await forStateSamples(store)
        #expect(written.map(\.t) == [t0 - 60_000, t0 + 20_000], "written from the evaluation after restoration on")
    }
}
