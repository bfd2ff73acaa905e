import Foundation
import PromQL
import Rules
import TSDB
import Testing

/// BacktestTests replays alerting rules over an in-memory store with known series.
struct BacktestTests {
    static let minute: Int64 = 60_000

    /// A store holding `cpu{instance="a"}`: 1 for the first `highMinutes` minutes, then 0 until `totalMinutes`.
    static func store(highMinutes: Int, totalMinutes: Int) async throws -> TimeSeriesStore {
        let store = TimeSeriesStore(options: .init(retentionMillis: nil))
        var batch = AppendBatch()
        for minute in 0...totalMinutes {
            batch.append(labels: ["__name__": "cpu", "instance": "a"], t: Int64(minute) * Self.minute, v: minute < highMinutes ? 1 : 0)
        }
        _ = try await store.commit(batch)
        return store
    }

    static func backtester(_ yaml: String) throws -> Backtester {
        try Backtester(files: [LoadedRuleFile(path: "rules.yml", ruleFile: try RuleFile(yaml: yaml, file: "rules.yml"))])
    }

    static func query(_ store: TimeSeriesStore) -> QueryFunc {
        let engine = PromQLEngine(querier: store)
        return { expr, time in
            switch try await engine.instantQuery(expr, at: time) {
            case .vector(let samples): return samples.map { ($0.labels, $0.v) }
            case .scalar(_, let value): return [(Labels(), value)]
            default: return []
            }
        }
    }

    static let rules = """
        groups:
          - name: cpu
            interval: 1m
            rules:
              - record: cpu:high
                expr: cpu > 0.5
              - alert: CPUHigh
                expr: cpu > 0.5
                for: 2m
                labels: {severity: page}
              - alert: CPUHighSticky
                expr: cpu > 0.5
                for: 2m
                keep_firing_for: 5m
        """

    @Test func pendingForTheHoldThenFiringUntilTheConditionClears() async throws {
        let store = try await Self.store(highMinutes: 10, totalMinutes: 30)
        let report = try await Self.backtester(Self.rules).run(from: 0, to: 30 * Self.minute, query: Self.query(store))
        let episode = try #require(report.episodes.first { $0.rule == "CPUHigh" })
        #expect(episode.labels == ["instance": "a", "severity": "page"])
        #expect(episode.pendingSince == 0)
        #expect(episode.firingFrom == 2 * Self.minute)
        #expect(episode.end == 10 * Self.minute)
        #expect(episode.pendingMillis(until: report.to) == 2 * Self.minute)
        #expect(episode.firingMillis(until: report.to) == 8 * Self.minute)
        #expect(report.evaluations == 31)
    }

    @Test func keepFiringForExtendsFiring() async throws {
        let store = try await Self.store(highMinutes: 10, totalMinutes: 30)
        let report = try await Self.backtester(Self.rules).run(from: 0, to: 30 * Self.minute, query: Self.query(store))
        let episode = try #require(report.episodes.first { $0.rule == "CPUHighSticky" })
        #expect(episode.firingFrom == 2 * Self.minute)
        #expect(episode.end == 15 * Self.minute)
        #expect(episode.firingMillis(until: report.to) == 13 * Self.minute)
    }

    @Test func recordingRulesAreNotReplayed() throws {
        let backtester = try Self.backtester(Self.rules)
        #expect(backtester.groups.flatMap(\.rules).map(\.name) == ["CPUHigh", "CPUHighSticky"])
    }

    @Test func anAlertStillActiveAtTheEndStaysOpen() async throws {
        let store = try await Self.store(highMinutes: 10, totalMinutes: 30)
        let report = try await Self.backtester(Self.rules).run(from: 0, to: 5 * Self.minute, query: Self.query(store))
        let episode = try #require(report.episodes.first { $0.rule == "CPUHigh" })
        #expect(episode.end == nil)
        #expect(episode.firingMillis(until: report.to) == 3 * Self.minute)
        #expect(report.text.contains("(still firing)"))
    }

    @Test func anAlertThatNeverFiresIsPendingOnly() async throws {
        let store = try await Self.store(highMinutes: 1, totalMinutes: 10)
        let report = try await Self.backtester(Self.rules).run(from: 0, to: 10 * Self.minute, query: Self.query(store))
        let episode = try #require(report.episodes.first { $0.rule == "CPUHigh" })
        #expect(episode.firingFrom == nil)
        #expect(episode.end == Self.minute)
        let summary = try #require(report.rules.first { $0.rule == "CPUHigh" })
        #expect(summary.alerts == 1)
        #expect(summary.fired == 0)
    }

    @Test func stepOverridesTheGroupInterval() async throws {
        let store = try await Self.store(highMinutes: 10, totalMinutes: 30)
        let report = try await Self.backtester(Self.rules).run(
            from: 0, to: 30 * Self.minute, step: 3 * Self.minute, query: Self.query(store))
        let episode = try #require(report.episodes.first { $0.rule == "CPUHigh" })
        // Evaluated at 0, 3m, 6m, 9m, 12m: fires at 3m (2m after 0), resolves at 12m.
        #expect(episode.firingFrom == 3 * Self.minute)
        #expect(episode.end == 12 * Self.minute)
        #expect(report.evaluations == 11)
    }

    @Test func summaryCountsPerRuleAndTableListsEpisodes() async throws {
        let store = try await Self.store(highMinutes: 10, totalMinutes: 30)
        let report = try await Self.backtester(Self.rules).run(from: 0, to: 30 * Self.minute, query: Self.query(store))
        #expect(report.rules.map(\.rule) == ["CPUHigh", "CPUHighSticky"])
        #expect(report.rules.map(\.firingMillis) == [8 * Self.minute, 13 * Self.minute])
        #expect(report.text.contains("CPUHigh        {instance=\"a\", severity=\"page\"}  1970-01-01T00:00:00Z  1970-01-01T00:02:00Z → 1970-01-01T00:10:00Z  8m"))
    }

    @Test func failedEvaluationsAreCounted() async throws {
        let failing: QueryFunc = { _, _ in throw RuleEvaluationError("boom") }
        let report = try await Self.backtester(Self.rules).run(from: 0, to: 2 * Self.minute, query: failing)
        #expect(report.rules.map(\.failedEvaluations) == [3, 3])
        #expect(report.rules[0].firstError == "at 1970-01-01T00:00:00Z: boom")
    }

    @Test(arguments: [
        ("now", 1_000_000_000_000), ("-24h", 1_000_000_000_000 - 86_400_000), ("now-1h30m", 1_000_000_000_000 - 5_400_000),
        ("1700000000", 1_700_000_000_000), ("1700000000.5", 1_700_000_000_500),
        ("2026-01-02T03:04:05Z", 1_767_323_045_000), ("2026-01-02T03:04:05.250+01:00", 1_767_319_445_250),
    ] as [(String, Int64)])
    func parsesTimes(_ text: String, _ expected: Int64) {
        #expect(BacktestTime.parse(text, now: 1_000_000_000_000) == expected)
    }

    @Test func rejectsOtherTimes() {
        #expect(BacktestTime.parse("yesterday", now: 0) == nil)
        #expect(BacktestTime.parse("24x", now: 0) == nil)
    }
}
