import Foundation
import PromQL
import TSDB
import Testing

/// Evaluation semantics beyond the conformance scripts: matching errors, ordering, range
/// queries agreeing with instant queries, and parse-once reuse.
@Suite struct EngineTests {
    static let data = """
        load 15s
          http_requests_total{job="api",instance="0",code="200"} 0+10x400
          http_requests_total{job="api",instance="1",code="200"} 0+20x200 0+5x199
          http_requests_total{job="api",instance="0",code="500"} 0+1x400
          http_requests_total{job="web",instance="0",code="200"} _x100 0+3x300
          info{job="api",instance="0",version="1"} 1x400
          info{job="api",instance="1",version="2"} 1x400
          temperature{room="a"} 20 21 22 23 stale _ 25 26 27 28x300
          temperature{room="b"} 10+0.5x400
        """

    /// ln of a subnormal is what Debian's Prometheus 2.42 answers (recorded): Go's amd64 logarithm reads the
    /// exponent field as is. Normal values keep the ordinary logarithm, and log2 and log10 stay exact.
    @Test func lnOfSubnormalsAnswersAsPrometheusDoes() async throws {
        let fixture = try await EngineFixture("load 15s\n  tiny{} 5e-324x2\n  small{} 1e-310x2\n  normal{} 2x2")
        #expect(try await fixture.value("ln(tiny)", at: 15) == -709.0895657128241)
        let small = try #require(try await fixture.value("ln(small)", at: 15))
        #expect(abs(small - -709.0850815488945) < 1e-9, "\(small)")
        #expect(try await fixture.value("ln(normal)", at: 15) == 0.6931471805599453)
        #expect(try await fixture.value("log2(tiny)", at: 15) == -1074)
    }

    @Test func manyToManyMatchingIsRejected() async throws {
        let fixture = try await EngineFixture(Self.data)
        let error = await fixture.error("info * on(job) http_requests_total", at: 600)
        #expect(error?.kind == .execution)
        #expect(error?.message.hasPrefix("found duplicate series for the match group {job=\"api\"} on the right hand-side of the operation:") == true)
        #expect(error?.message.hasSuffix(";many-to-many matching not allowed: matching labels must be unique on one side") == true)
    }

    @Test func oneToOneMatchingMustBeUnique() async throws {
        let fixture = try await EngineFixture(Self.data)
        let error = await fixture.error("http_requests_total + on(code) info", at: 600)
        #expect(error?.message == "found duplicate series for the match group {} on the right hand-side of the operation: [{__name__=\"info\", instance=\"1\", job=\"api\", version=\"2\"}, {__name__=\"info\", instance=\"0\", job=\"api\", version=\"1\"}];many-to-many matching not allowed: matching labels must be unique on one side")
        let multiple = await fixture.error("http_requests_total{code=\"200\"} + on(job) sum by (job) (info)", at: 600)
        #expect(multiple?.message == "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
    }

    @Test func groupLeftCopiesLabelsFromTheOneSide() async throws {
        let fixture = try await EngineFixture(Self.data)
        let values = try await fixture.values("http_requests_total{code=\"200\"} * on(job, instance) group_left(version) info", at: 600)
        #expect(values == [
            "{code=\"200\", instance=\"0\", job=\"api\", version=\"1\"}": 400,
            "{code=\"200\", instance=\"1\", job=\"api\", version=\"2\"}": 800,
        ])
    }

    @Test func sortAndTopkKeepTheirOrder() async throws {
        let fixture = try await EngineFixture(Self.data)
        guard case .vector(let sorted) = try await fixture.engine.instantQuery("sort_desc(http_requests_total)", at: 600_000),
            case .vector(let top) = try await fixture.engine.instantQuery("topk(2, http_requests_total)", at: 600_000)
        else {
            Issue.record("expected vectors")
            return
        }
        #expect(sorted.map(\.v) == [800, 400, 40])
        #expect(top.map(\.v) == [800, 400])
    }

    @Test func expressionIsParsedOnceAndEvaluatedManyTimes() async throws {
        let fixture = try await EngineFixture(Self.data)
        let expr = try parseExpr("sum by (job) (rate(http_requests_total[1m]))")
        for t in stride(from: Int64(300_000), through: 3_000_000, by: 300_000) {
            guard case .vector(let vector) = try await fixture.engine.instantQuery(expr, at: t) else {
                Issue.record("expected a vector")
                return
            }
            #expect(vector.allSatisfy { $0.t == t })
        }
    }

    /// Range queries must agree with instant queries at every step, including subqueries,
    /// whose points are cached across steps.
    @Test(arguments: [
        "rate(http_requests_total[1m])",
        "sum by (job) (increase(http_requests_total[5m]))",
        "max_over_time(rate(http_requests_total[1m])[10m:30s])",
        "avg_over_time(sum(rate(http_requests_total[2m]))[7m:45s] offset 2m)",
        "min_over_time(max_over_time(temperature[2m])[5m:20s])",
        "temperature",
        "timestamp(temperature)",
        "absent_over_time(temperature{room=\"a\"}[30s])",
        "http_requests_total @ 3000",
        "rate(http_requests_total[5m] @ end())",
        "scalar(sum(temperature))",
        "http_requests_total / on(job, instance) group_left(version) info",
    ])
    func rangeQueryMatchesInstantQueries(_ query: String) async throws {
        let fixture = try await EngineFixture(Self.data)
        let start: Int64 = 0, end: Int64 = 6_000_000, step: Int64 = 97_000
        guard case .matrix(let matrix) = try await fixture.engine.rangeQuery(query, start: start, end: end, step: step) else {
            Issue.record("expected a matrix")
            return
        }
        var fromRange: [Int64: [String: Double]] = [:]
        for series in matrix {
            for sample in series.samples { fromRange[sample.t, default: [:]][series.labels.description] = sample.v }
        }
        for t in stride(from: start, through: end, by: Int(step)) {
            var fromInstant: [String: Double] = [:]
            // `@ end()` means the end of the range, so the instant query must pin it explicitly.
            let instantQuery = query.replacingOccurrences(of: "@ end()", with: "@ \(Double(end) / 1000)")
            switch try await fixture.engine.instantQuery(instantQuery, at: t) {
            case .vector(let vector): for sample in vector { fromInstant[sample.labels.description] = sample.v }
            case .scalar(_, let v): fromInstant[Labels().description] = v
            default: Issue.record("unexpected result type")
            }
            let ranged = fromRange[t] ?? [:]
            #expect(ranged.keys.sorted() == fromInstant.keys.sorted(), "at \(t)")
            for (key, value) in fromInstant {
                #expect(isClose(ranged[key], value), "at \(t) \(key): \(String(describing: ranged[key])) vs \(value)")
            }
        }
    }

    @Test func rangeQueryOfAScalarIsOneSeries() async throws {
        let fixture = try await EngineFixture(Self.data)
        guard case .matrix(let matrix) = try await fixture.engine.rangeQuery("time() * 2", start: 0, end: 60_000, step: 30_000) else {
            Issue.record("expected a matrix")
            return
        }
        #expect(matrix.count == 1)
        #expect(matrix.first?.labels == Labels())
        #expect(matrix.first?.samples == [Sample(t: 0, v: 0), Sample(t: 30_000, v: 60), Sample(t: 60_000, v: 120)])
    }

    @Test func rangeSelectorReturnsRawSamplesSortedByLabels() async throws {
        let fixture = try await EngineFixture(Self.data)
        guard case .matrix(let matrix) = try await fixture.engine.instantQuery("temperature[30s]", at: 30_000) else {
            Issue.record("expected a matrix")
            return
        }
        #expect(matrix.map { $0.labels["room"] } == ["a", "b"])
        #expect(matrix[0].samples == [Sample(t: 0, v: 20), Sample(t: 15_000, v: 21), Sample(t: 30_000, v: 22)])
    }

    /// Label values compare as bytes: "café" in NFC and NFD are two series, two groups, and selected apart.
    @Test func unicodeNormalisationFormsAreDistinctSeriesAndGroups() async throws {
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let fixture = try await EngineFixture("load 15s\n  m{path=\"\(nfc)\"} 1\n  m{path=\"\(nfd)\"} 2")
        func vector(_ query: String) async throws -> [VectorSample] {
            guard case .vector(let vector) = try await fixture.engine.instantQuery(query, at: 0) else {
                Issue.record("expected a vector for \(query)")
                return []
            }
            return vector
        }
        #expect(try await fixture.value("count(m)", at: 0) == 2)
        #expect(try await vector("count by (path) (m)").map(\.v) == [1, 1])
        #expect(try await vector("m{path=\"\(nfc)\"}").map(\.v) == [1])
        #expect(try await vector("m{path=~\"\(nfd)\"}").map(\.v) == [2])
        #expect(try await vector("m{path!=\"\(nfc)\"}").map(\.v) == [2])
        let sorted = try await vector("sort_desc(m)")
        #expect(sorted.map { Array($0.labels["path"]!.utf8) } == [Array(nfd.utf8), Array(nfc.utf8)])
    }

    @Test func labelReplaceValidatesItsArguments() async throws {
        let fixture = try await EngineFixture(Self.data)
        let regex = await fixture.error("label_replace(temperature, \"x\", \"$1\", \"room\", \"(\")", at: 0)
        #expect(regex?.message == "invalid regular expression in label_replace(): (")
        let name = await fixture.error("label_replace(temperature, \"1x\", \"$1\", \"room\", \"(.*)\")", at: 0)
        #expect(name?.message == "invalid destination label name in label_replace(): 1x")
        let values = try await fixture.values("label_replace(temperature, \"place\", \"room-${1}$$\", \"room\", \"(.)\")", at: 0)
        #expect(values["temperature{place=\"room-a$\", room=\"a\"}"] == 20)
    }

    @Test func holtWintersValidatesItsFactors() async throws {
        let fixture = try await EngineFixture(Self.data)
        let error = await fixture.error("holt_winters(temperature[1m], 1, 0.5)", at: 600)
        #expect(error?.message == "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000")
    }
}
