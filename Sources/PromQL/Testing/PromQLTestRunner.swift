import Foundation
import TSDB

/// PromQLTestStorage opens the stores a test script runs against.
///
/// A script gets a fresh store at the start and after every `clear`; `generation` counts
/// them. `afterLoad` runs after each `load` and may return a different store, e.g. the same
/// SQLite file reopened so that queries read what was persisted rather than what was cached.
public struct PromQLTestStorage: Sendable {
    public var open: @Sendable (_ generation: Int) async throws -> TimeSeriesStore
    public var afterLoad: @Sendable (_ store: TimeSeriesStore, _ generation: Int) async throws -> TimeSeriesStore
    public var discard: @Sendable (_ store: TimeSeriesStore, _ generation: Int) async -> Void
    /// name labels results, e.g. "memory" or "sqlite".
    public var name: String

    public init(
        name: String,
        open: @escaping @Sendable (Int) async throws -> TimeSeriesStore,
        afterLoad: @escaping @Sendable (TimeSeriesStore, Int) async throws -> TimeSeriesStore = { store, _ in store },
        discard: @escaping @Sendable (TimeSeriesStore, Int) async -> Void = { _, _ in }
    ) {
        self.name = name
        self.open = open
        self.afterLoad = afterLoad
        self.discard = discard
    }

    /// inMemory runs scripts against `TimeSeriesStore()` without retention.
    public static let inMemory = PromQLTestStorage(name: "memory") { _ in
        TimeSeriesStore(options: .init(retentionMillis: nil))
    }

    /// sqlite runs scripts against SQLite files in `directory`, closing and reopening the
    /// file after every load so that reads come from the persisted chunks and head snapshot.
    public static func sqlite(directory: String) -> PromQLTestStorage {
        let prefix = "\(directory)/promql-test-\(UUID().uuidString)"
        @Sendable func path(_ generation: Int) -> String { "\(prefix)-\(generation).db" }
        return PromQLTestStorage(
            name: "sqlite",
            open: { generation in
                try await TimeSeriesStore(path: path(generation), options: .init(retentionMillis: nil))
            },
            afterLoad: { store, generation in
                try await store.close()
                return try await TimeSeriesStore(path: path(generation), options: .init(retentionMillis: nil))
            },
            discard: { store, generation in
                try? await store.close()
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path(generation) + suffix) }
            })
    }
}

/// PromQLTestResult is the outcome of one `eval` block.
public struct PromQLTestResult: Sendable {
    public var file: String
    public var line: Int
    public var expression: String
    public var passed: Bool
    /// message says what went wrong, e.g. "expected 3 for {job="a"} but got 4"; empty when passed.
    public var message: String
    /// expected and got render both sides of a failed comparison, one sample per line.
    public var expected: String
    public var got: String
}

/// PromQLTestReport collects the results of one script.
public struct PromQLTestReport: Sendable {
    public var file: String
    public var results: [PromQLTestResult] = []
    /// setupErrors are failures outside eval blocks, such as a load the store refused.
    public var setupErrors: [String] = []

    public var passed: Int { results.filter(\.passed).count }
    public var failed: Int { results.count - passed }
}

/// PromQLTestRunner runs test scripts as Prometheus's `promql.Test` does.
///
/// Each eval is an instant query; unless it is `eval_fail` or `eval_ordered`, the same
/// expression is also run as a range query from one minute before to one minute after with
/// a one-minute step, and its middle step must agree, which exercises range evaluation.
public struct PromQLTestRunner: Sendable {
    public var options: QueryOptions
    public var checkRangeMode: Bool

    /// The engine settings of Prometheus's test harness: 5m lookback, 1m default subquery step.
    public init(options: QueryOptions = QueryOptions(timeout: .seconds(100)), checkRangeMode: Bool = true) {
        self.options = options
        self.checkRangeMode = checkRangeMode
    }

    public func run(_ script: PromQLTestScript, storage: PromQLTestStorage) async -> PromQLTestReport {
        var report = PromQLTestReport(file: script.name)
        var generation = 0
        var store: TimeSeriesStore?
        func currentStore() async throws -> TimeSeriesStore {
            if let store { return store }
            let opened = try await storage.open(generation)
            store = opened
            return opened
        }
        for command in script.commands {
            switch command {
            case .clear:
                if let store { await storage.discard(store, generation) }
                store = nil
                generation += 1
            case .load(let load):
                do {
                    let target = try await currentStore()
                    var batch = AppendBatch()
                    for series in load.series {
                        for sample in series.samples { batch.append(labels: series.labels, t: sample.t, v: sample.v) }
                    }
                    _ = try await target.commit(batch)
                    store = try await storage.afterLoad(target, generation)
                } catch {
                    report.setupErrors.append("\(script.name):\(load.line): load failed: \(error)")
                }
            case .eval(let eval):
                do {
                    let target = try await currentStore()
                    report.results.append(await run(eval, file: script.name, store: target))
                } catch {
                    report.results.append(
                        PromQLTestResult(
                            file: script.name, line: eval.line, expression: eval.expression, passed: false,
                            message: "cannot open store: \(error)", expected: "", got: ""))
                }
            }
        }
        if let store { await storage.discard(store, generation) }
        return report
    }

    private func run(_ eval: PromQLTestScript.Eval, file: String, store: TimeSeriesStore) async -> PromQLTestResult {
        var result = PromQLTestResult(
            file: file, line: eval.line, expression: eval.expression, passed: true, message: "",
            expected: render(eval.expected), got: "")
        let engine = PromQLEngine(querier: store, options: options)
        func failed(_ message: String, got: String) -> PromQLTestResult {
            var copy = result
            copy.passed = false
            copy.message = message
            copy.got = got
            return copy
        }
        let value: QueryValue
        do {
            value = try await engine.instantQuery(eval.expr, at: eval.time)
        } catch {
            if eval.shouldFail { return result }
            return failed("error evaluating query: \(error.message)", got: "error: \(error.message)")
        }
        if eval.shouldFail {
            return failed("expected an error but got none", got: render(value))
        }
        if let problem = compare(value, eval) { return failed(problem, got: render(value)) }
        guard checkRangeMode, !eval.ordered else { return result }

        let rangeValue: QueryValue
        do {
            rangeValue = try await engine.rangeQuery(eval.expr, start: eval.time - 60_000, end: eval.time + 60_000, step: 60_000)
        } catch {
            return failed("error evaluating query in range mode: \(error.message)", got: "error: \(error.message)")
        }
        guard case .matrix(let matrix) = rangeValue else {
            return failed("range mode returned a \(rangeValue.resultType)", got: render(rangeValue))
        }
        var vector: [VectorSample] = []
        for series in matrix {
            if let point = series.samples.first(where: { $0.t == eval.time }) {
                vector.append(VectorSample(labels: series.labels, t: point.t, v: point.v))
            }
        }
        let middle: QueryValue
        if case .scalar = value {
            guard let first = vector.first else {
                return failed("range mode returned no value at the evaluation time", got: render(.vector(vector)))
            }
            middle = .scalar(t: eval.time, v: first.v)
        } else {
            middle = .vector(vector)
        }
        if let problem = compare(middle, eval) { return failed("in range mode: " + problem, got: render(middle)) }
        result.got = ""
        return result
    }

    /// compare checks a result against the expectation with Prometheus's relative tolerance of 1e-6.
    private func compare(_ value: QueryValue, _ eval: PromQLTestScript.Eval) -> String? {
        switch (value, eval.expected) {
        case (.scalar(_, let got), .scalar(let want)):
            return almostEqual(want, got) ? nil : "expected scalar \(GoSyntax.formatFloat(want)) but got \(GoSyntax.formatFloat(got))"
        case (.vector(let vector), let expected):
            let samples: [PromQLTestScript.ExpectedSample]
            if case .vector(let list) = expected { samples = list } else { samples = [] }
            var byLabels: [Labels: PromQLTestScript.ExpectedSample] = [:]
            for sample in samples { byLabels[sample.labels] = sample }
            var seen = Set<Labels>()
            for (position, sample) in vector.enumerated() {
                guard let want = byLabels[sample.labels] else { return "unexpected metric \(sample.labels) in result" }
                if eval.ordered && want.position != position + 1 {
                    return "expected metric \(sample.labels) at position \(want.position) but was at \(position + 1)"
                }
                if !almostEqual(want.value, sample.v) {
                    return "expected \(GoSyntax.formatFloat(want.value)) for \(sample.labels) but got \(GoSyntax.formatFloat(sample.v))"
                }
                seen.insert(sample.labels)
            }
            if case .scalar(let want) = expected {
                return "expected scalar \(GoSyntax.formatFloat(want)) but got a vector"
            }
            for sample in samples where !seen.contains(sample.labels) {
                return "expected metric \(sample.labels) with \(GoSyntax.formatFloat(sample.value)) not found"
            }
            return nil
        case (.scalar, .vector):
            return "expected a vector but got a scalar"
        case (.matrix, _):
            return "received range result on instant evaluation"
        case (.string, _):
            return "received string result, which test scripts cannot express"
        }
    }

    private func render(_ expected: PromQLTestScript.Expected) -> String {
        switch expected {
        case .scalar(let value): return GoSyntax.formatFloat(value)
        case .vector(let samples):
            if samples.isEmpty { return "(no samples)" }
            return samples.map { "\($0.labels) \(GoSyntax.formatFloat($0.value))" }.joined(separator: "\n")
        }
    }

    private func render(_ value: QueryValue) -> String {
        switch value {
        case .scalar(_, let v): return GoSyntax.formatFloat(v)
        case .string(_, let s): return GoSyntax.quote(s)
        case .vector(let samples):
            if samples.isEmpty { return "(no samples)" }
            return samples.map { "\($0.labels) \(GoSyntax.formatFloat($0.v))" }.joined(separator: "\n")
        case .matrix(let series):
            if series.isEmpty { return "(no series)" }
            return series.map { entry in
                "\(entry.labels) " + entry.samples.map { "\(GoSyntax.formatFloat($0.v))@\($0.t)" }.joined(separator: " ")
            }.joined(separator: "\n")
        }
    }
}

/// almostEqual is Prometheus's test comparison: equal, both NaN, or within a relative error of 1e-6.
func almostEqual(_ a: Double, _ b: Double) -> Bool {
    if a.isNaN && b.isNaN { return true }
    if a == b { return true }
    let minNormal = Double.leastNormalMagnitude
    let diff = abs(a - b)
    if a == 0 || b == 0 || diff < minNormal { return diff < 1e-6 * minNormal }
    return diff / (abs(a) + abs(b)) < 1e-6
}
