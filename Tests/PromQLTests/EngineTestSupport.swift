import PromQL
import TSDB
import Testing

/// EngineFixture loads series written in the test-script notation into an in-memory store.
struct EngineFixture {
    let store: TimeSeriesStore
    let engine: PromQLEngine

    /// init loads one or more `load <step>` blocks, e.g. "load 15s\n  up{job=\"a\"} 1x10".
    init(_ loads: String, options: QueryOptions = QueryOptions()) async throws {
        let script = try PromQLTestScript(source: loads, name: "fixture")
        store = TimeSeriesStore(options: .init(retentionMillis: nil))
        for command in script.commands {
            guard case .load(let load) = command else { continue }
            var batch = AppendBatch()
            for series in load.series {
                for sample in series.samples { batch.append(labels: series.labels, t: sample.t, v: sample.v) }
            }
            _ = try await store.commit(batch)
        }
        engine = PromQLEngine(querier: store, options: options)
    }

    /// values evaluates an instant query and returns its elements keyed by their labels in Prometheus notation.
    func values(_ query: String, at seconds: Double, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Double] {
        let value = try await engine.instantQuery(query, at: Int64(seconds * 1000))
        guard case .vector(let vector) = value else {
            Issue.record("expected a vector, got \(value.resultType)", sourceLocation: sourceLocation)
            return [:]
        }
        return Dictionary(uniqueKeysWithValues: vector.map { ($0.labels.description, $0.v) })
    }

    /// value evaluates an instant query expected to return exactly one element (or a scalar).
    func value(_ query: String, at seconds: Double, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Double? {
        switch try await engine.instantQuery(query, at: Int64(seconds * 1000)) {
        case .scalar(_, let v): return v
        case .vector(let vector):
            #expect(vector.count <= 1, "expected at most one element, got \(vector.count)", sourceLocation: sourceLocation)
            return vector.first?.v
        default:
            Issue.record("expected a scalar or vector", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// error evaluates a query that must fail and returns the error.
    func error(_ query: String, at seconds: Double, sourceLocation: SourceLocation = #_sourceLocation) async -> QueryError? {
        do {
            let value = try await engine.instantQuery(query, at: Int64(seconds * 1000))
            Issue.record("expected an error, got \(value)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}

/// isClose compares with a relative tolerance of 1e-12, treating two NaNs as equal.
func isClose(_ a: Double?, _ b: Double) -> Bool {
    guard let a else { return false }
    if a.isNaN && b.isNaN { return true }
    if a == b { return true }
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b))
}
