import Foundation
import PromQL
import Rules
import TSDB
import Testing

/// RuleOutputStalenessTests: a series a rule stops writing is marked stale at that evaluation, so rules later in
/// the same group, at the same timestamp, no longer see it (Prometheus's staleness handling of rule outputs).
struct RuleOutputStalenessTests {
    static let rules = """
        groups:
          - name: chain
            interval: 1m
            rules:
              - record: instance:up:ok
                expr: up == 1
              - record: job:up_ok:count
                expr: count by (job) (instance:up:ok)
              - alert: InstanceDown
                expr: up == 0
              - record: job:alerts_firing:count
                expr: count by (job) (ALERTS{alertstate="firing"})
        """

    /// `a` is up for the first minute, then down for one minute, then up again; `b` is always up.
    static let tests = """
        evaluation_interval: 1m
        rule_files: [rules.yml]
        tests:
          - interval: 1m
            input_series:
              - series: 'up{job="api", instance="a"}'
                values: '1 0 1'
              - series: 'up{job="api", instance="b"}'
                values: '1 1 1'
            promql_expr_test:
              - expr: job:up_ok:count
                eval_time: 0m
                exp_samples:
                  - labels: 'job:up_ok:count{job="api"}'
                    value: 2
              - expr: job:up_ok:count
                eval_time: 1m
                exp_samples:
                  - labels: 'job:up_ok:count{job="api"}'
                    value: 1
              - expr: job:alerts_firing:count
                eval_time: 1m
                exp_samples:
                  - labels: 'job:alerts_firing:count{job="api"}'
                    value: 1
              - expr: job:alerts_firing:count
                eval_time: 2m
                exp_samples: []
              - expr: instance:up:ok
                eval_time: 1m
                exp_samples:
                  - labels: 'instance:up:ok{job="api", instance="b"}'
                    value: 1
        """

    @Test func laterRulesOfTheGroupNoLongerSeeASeriesThatWentAway() async throws {
        let files = try RuleUnitTestFiles(rules: Self.rules, tests: Self.tests)
        defer { files.remove() }
        let report = await files.run()
        #expect(report.passed, "\(report.stderr)")
        if let promtool = try await files.runPromtool() {
            #expect(promtool.status == 0, "promtool disagrees: \(promtool.stderr)")
        }
    }

    /// The serve path: the store holds a staleness marker at the evaluation where the series went away.
    @Test func evaluationWritesAStalenessMarkerForASeriesTheRuleNoLongerProduces() async throws {
        let store = TimeSeriesStore(options: .init(retentionMillis: nil))
        var input = AppendBatch()
        for (minute, value) in [1.0, 0, 1].enumerated() {
            input.append(labels: ["__name__": "up", "job": "api", "instance": "a"], t: Int64(minute) * 60_000, v: value)
        }
        _ = try await store.commit(input)
        let file = try RuleFile(yaml: Self.rules, file: "rules.yml")
        var group = try RuleGroup(spec: file.groups[0], file: "rules.yml", defaultInterval: 60_000)
        let engine = PromQLEngine(querier: store)
        let query: QueryFunc = { expr, time in
            guard case .vector(let samples) = try await engine.instantQuery(expr, at: time) else { return [] }
            return samples.map { ($0.labels, $0.v) }
        }
        let append: @Sendable ([(labels: Labels, value: Double)], Timestamp) async -> Void = { samples, time in
            var batch = AppendBatch()
            for sample in samples { batch.append(labels: sample.labels, t: time, v: sample.value) }
            _ = try? await store.commit(batch)
        }
        for minute in 0..<3 { _ = await group.evaluate(at: Int64(minute) * 60_000, query: query, appendNow: append) }

        let recorded = try await store.select([try Matcher(.equal, "__name__", "job:up_ok:count")], mint: 0, maxt: 120_000)
        let values = try #require(recorded.first).samples
        #expect(values.map(\.t) == [0, 60_000, 120_000])
        #expect(StaleNaN.isStale(values[1].v))
        #expect(values[2].v == 1)
        let alerts = try await store.select([try Matcher(.equal, "__name__", "ALERTS")], mint: 0, maxt: 120_000)
        #expect(alerts.count == 1)
        #expect(alerts.first.map { $0.samples.count == 2 && $0.samples[0].v == 1 && StaleNaN.isStale($0.samples[1].v) } == true)
    }

    /// After a reload drops a rule, the series it wrote are marked stale at the group's next evaluation; a rule
    /// with the same name and labels but a new expression takes its predecessor's series over instead.
    @Test func aReloadMarksTheSeriesOfRemovedRulesStale() async throws {
        let store = TimeSeriesStore(options: .init(retentionMillis: nil))
        var input = AppendBatch()
        input.append(labels: ["__name__": "up", "job": "api"], t: 0, v: 1)
        input.append(labels: ["__name__": "up", "job": "api"], t: 60_000, v: 1)
        _ = try await store.commit(input)
        let engine = PromQLEngine(querier: store)
        let query: QueryFunc = { expr, time in
            guard case .vector(let samples) = try await engine.instantQuery(expr, at: time) else { return [] }
            return samples.map { ($0.labels, $0.v) }
        }
        let append: @Sendable ([(labels: Labels, value: Double)], Timestamp) async -> Void = { samples, time in
            var batch = AppendBatch()
            for sample in samples { batch.append(labels: sample.labels, t: time, v: sample.value) }
            _ = try? await store.commit(batch)
        }
        func group(_ yaml: String) throws -> RuleGroup {
            try RuleGroup(spec: try RuleFile(yaml: yaml, file: "rules.yml").groups[0], file: "rules.yml", defaultInterval: 60_000)
        }
        var old = try group("""
            groups:
              - name: g
                rules:
                  - record: job:up:max
                    expr: max by (job) (up)
                  - record: job:up:min
                    expr: min by (job) (up)
            """)
        _ = await old.evaluate(at: 0, query: query, appendNow: append)
        var new = try group("""
            groups:
              - name: g
                rules:
                  - record: job:up:max
                    expr: max by (job) (up) * 1
            """)
        new.inheritState(from: old)
        _ = await new.evaluate(at: 60_000, query: query, appendNow: append)

        let removed = try await store.select([try Matcher(.equal, "__name__", "job:up:min")], mint: 0, maxt: 60_000)
        #expect(removed.first.map { $0.samples.count == 2 && StaleNaN.isStale($0.samples[1].v) } == true)
        let kept = try await store.select([try Matcher(.equal, "__name__", "job:up:max")], mint: 0, maxt: 60_000)
        #expect(kept.first?.samples.map(\.v) == [1, 1])
    }
}
