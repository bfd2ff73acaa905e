import API
import Foundation
import Testing
@testable import vigil

struct LoadgenReportTests {
    @Test func percentileIsNearestRank() {
        let values = (1...100).map(Double.init)
        #expect(LoadgenSummary.percentile(values, 50) == 50)
        #expect(LoadgenSummary.percentile(values, 90) == 90)
        #expect(LoadgenSummary.percentile(values, 99) == 99)
        #expect(LoadgenSummary.percentile(values, 100) == 100)
        #expect(LoadgenSummary.percentile([7], 99) == 7)
        #expect(LoadgenSummary.percentile([1, 2, 3], 0) == 1)
        #expect(LoadgenSummary.percentile([], 50) == 0)
    }

    @Test func summaryCountsStatusesAndRendersTheWholeReport() {
        var summary = LoadgenSummary()
        for ms in [4.0, 1, 3, 2] { summary.record(status: 200, milliseconds: ms) }
        summary.record(status: 422, milliseconds: 10)
        summary.recordFailure("connection refused")
        #expect(summary.requests == 6)
        #expect(summary.errors == 2)
        #expect(summary.unreachable == 1)
        #expect(summary.render(elapsed: .seconds(2), target: 20, seed: 7) == """
            requests: 6 in 2.00 s (4 ok, 2 errors)
            achieved rate: 3.0 req/s (target 20.0)
            status 200: 4
            status 422: 1
            unreachable: 1 (connection refused)
            latency ms: p50=3.00 p90=10.00 p99=10.00 max=10.00
            seed: 7
            """)
        #expect(summary.progress(elapsed: .milliseconds(1500)) == "elapsed 1.5s  sent 6  4.0 req/s  errors 2")
    }

    @Test func unpacedRunReportsItsRateAsUnpaced() {
        #expect(LoadgenSummary().render(elapsed: .seconds(1), target: 0, seed: 1).contains("(target unpaced)"))
    }

    @Test func durationsParseWithUnits() {
        #expect(LoadgenSummary.parseDuration("500ms") == .milliseconds(500))
        #expect(LoadgenSummary.parseDuration("30s") == .seconds(30))
        #expect(LoadgenSummary.parseDuration("1.5m") == .seconds(90))
        #expect(LoadgenSummary.parseDuration("1h") == .seconds(3600))
        #expect(LoadgenSummary.parseDuration("30") == nil)
        #expect(LoadgenSummary.parseDuration("-1s") == nil)
        #expect(LoadgenSummary.parseDuration("xs") == nil)
    }

    @Test func scheduleSpacesSlotsByRateAndStopsAtTheCount() {
        var schedule = LoadSchedule(rate: 4, count: 3, duration: nil)
        #expect(schedule.next(elapsed: .zero)! == (0, .zero))
        #expect(schedule.next(elapsed: .zero)! == (1, .milliseconds(250)))
        #expect(schedule.next(elapsed: .seconds(5))! == (2, .milliseconds(500)))
        #expect(schedule.next(elapsed: .seconds(5)) == nil)
    }

    @Test func scheduleStopsAtTheDuration() {
        var timed = LoadSchedule(rate: 10, count: nil, duration: .seconds(1))
        var slots = 0
        while timed.next(elapsed: .zero) != nil { slots += 1 }
        #expect(slots == 10)
        var unpaced = LoadSchedule(rate: 0, count: nil, duration: .seconds(1))
        #expect(unpaced.next(elapsed: .milliseconds(999))! == (0, .milliseconds(999)))
        #expect(unpaced.next(elapsed: .seconds(1)) == nil)
    }

    @Test func loopbackHostsAreRecognised() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "LOCALHOST"] { #expect(Loadgen.isLoopback(host), "\(host)") }
        for host in ["example.com", "10.0.0.1", "128.0.0.1", "127.0.0.1.example.com", "0.0.0.0"] { #expect(!Loadgen.isLoopback(host), "\(host)") }
    }

    @Test func commandRefusesRemoteHostsAndOutOfBoundRuns() throws {
        #expect(throws: (any Error).self) { try Loadgen.parse(["--url", "http://example.com:8002"]) }
        #expect(throws: (any Error).self) { try Loadgen.parse(["--count", "1000001"]) }
        #expect(throws: (any Error).self) { try Loadgen.parse(["--duration", "61m"]) }
        #expect(throws: (any Error).self) { try Loadgen.parse(["--invalid-share", "0.8", "--batch-share", "0.3"]) }
        #expect(throws: (any Error).self) { try Loadgen.parse(["--rate", "-1"]) }
        let remote = try Loadgen.parse(["--url", "http://example.com:8002", "--allow-remote", "--duration", "1h"])
        #expect(remote.allowRemote && remote.duration == "1h")
        let error = #expect(throws: (any Error).self) { try Loadgen.parse(["--url", "http://10.1.2.3"]) }
        #expect(error.map { Loadgen.message(for: $0).contains("refusing to send load to 10.1.2.3") && Loadgen.message(for: $0).contains("--allow-remote") } == true)
    }
}

struct PatientGeneratorTests {
    /// The documented request ranges (data/diabetes.schema.yml), repeated here so a drift in either shows.
    static let ranges: [String: (ClosedRange<Double>, integer: Bool)] = [
        "Pregnancies": (0...20, true), "Glucose": (0...300, false), "BloodPressure": (0...200, false),
        "SkinThickness": (0...100, false), "Insulin": (0...1000, false), "BMI": (0...80, false),
        "DiabetesPedigreeFunction": (0...3, false), "Age": (1...120, true),
    ]

    static func isValidPatient(_ object: Any) -> Bool {
        guard let patient = object as? [String: Any], Set(patient.keys) == Set(ranges.keys) else { return false }
        return patient.allSatisfy { name, value in
            guard let number = value as? Double, let (range, integer) = ranges[name] else { return false }
            return range.contains(number) && (!integer || number == number.rounded())
        }
    }

    @Test func validRequestsCarryEightFieldsInsideTheDocumentedRanges() throws {
        var zeros = 0
        for index in 0..<2000 {
            let request = LoadRequest.make(index: index, seed: 42, invalidShare: 0, batchShare: 0)
            #expect(request.kind == .valid && request.path == "/predict" && request.contentType == "application/json")
            let object = try JSONSerialization.jsonObject(with: Data(request.body.utf8))
            #expect(Self.isValidPatient(object), "\(request.body)")
            if (object as? [String: Any])?["Insulin"] as? Double == 0 { zeros += 1 }
        }
        // About half of the data set's Insulin column is 0 ("not measured").
        #expect((700...1300).contains(zeros))
    }

    /// Rows drawn from the committed artifact's training distribution show no drift against it, and a shift does.
    @Test func rowsFromTheArtifactShowNoDriftUntilShifted() throws {
        let artifact = try ModelArtifact.load(from: Repository.root.appendingPathComponent("models/diabetes-logreg.json"))
        let patients = PatientGenerator(artifact: artifact, source: "models/diabetes-logreg.json")
        #expect(patients.fields.map(\.name) == PatientGenerator.pima.fields.map(\.name))
        func psi(shift: [String: Double]) throws -> (psi: [Double], insulinZeros: Int) {
            let model = CompiledModel(artifact)
            let tracker = try #require(DriftTracker(model: model, window: 5000))
            var zeros = 0
            for index in 0..<5000 {
                let request = LoadRequest.make(index: index, seed: 11, invalidShare: 0, batchShare: 0, shift: shift, patients: patients)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
                #expect(Self.isValidPatient(object), "\(request.body)")
                let values = patients.fields.map { (object[$0.name] as? Double) ?? .nan }
                if values[4] == 0 { zeros += 1 }
                tracker.record(FeatureRow(values: values), model: model)
            }
            return (tracker.psi(), zeros)
        }
        let plain = try psi(shift: [:])
        for (name, value) in zip(patients.fields.map(\.name), plain.psi) {
            #expect(value < 0.02, "\(name) drifts with PSI \(value) under unshifted load")
        }
        // The data set leaves Insulin unmeasured (0) in about half of its rows.
        #expect((2100...2800).contains(plain.insulinZeros), "\(plain.insulinZeros) of 5000")
        let shifted = try psi(shift: ["Glucose": 60])
        #expect(shifted.psi[1] > 0.2, "Glucose +60 gives PSI \(shifted.psi[1])")
        #expect(shifted.psi[5] < 0.02)
        #expect(throws: (any Error).self) { try Loadgen.parse(["--model.path", "/nonexistent/model.json"]) }
    }

    @Test func shiftedRequestsStayValidAndMoveTheirField() throws {
        func meanGlucose(_ shift: [String: Double]) throws -> Double {
            var total = 0.0, count = 0.0
            for index in 0..<500 {
                let request = LoadRequest.make(index: index, seed: 3, invalidShare: 0, batchShare: 0, shift: shift)
                let object = try JSONSerialization.jsonObject(with: Data(request.body.utf8))
                #expect(Self.isValidPatient(object), "\(request.body)")
                let glucose = try #require((object as? [String: Any])?["Glucose"] as? Double)
                if glucose > 0 { total += glucose; count += 1 }
            }
            return total / count
        }
        let plain = try meanGlucose([:])
        let shifted = try meanGlucose(["Glucose": 60])
        #expect(shifted - plain > 50, "plain \(plain), shifted \(shifted)")
        #expect(throws: (any Error).self) { try Loadgen.parse(["--shift", "Glucose"]) }
        #expect(throws: (any Error).self) { try Loadgen.parse(["--shift", "Colour=3"]) }
    }

    @Test func batchRequestsCarryAFewValidRows() throws {
        for index in 0..<200 {
            let request = LoadRequest.make(index: index, seed: 1, invalidShare: 0, batchShare: 1)
            #expect(request.kind == .batch && request.path == "/predict/batch")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [Any])
            #expect((2...5).contains(rows.count))
            #expect(rows.allSatisfy(Self.isValidPatient), "\(request.body)")
        }
    }

    @Test func invalidRequestsMixFieldErrorsMalformedJSONAndWrongContentTypes() {
        var kinds: [LoadRequest.Kind: Int] = [:]
        for index in 0..<1000 {
            let request = LoadRequest.make(index: index, seed: 9, invalidShare: 1, batchShare: 0)
            kinds[request.kind, default: 0] += 1
            let parsed = try? JSONSerialization.jsonObject(with: Data(request.body.utf8))
            switch request.kind {
            case .fieldError: #expect(parsed != nil && !Self.isValidPatient(parsed!), "\(request.body)")
            case .malformedJSON: #expect(parsed == nil, "\(request.body)")
            case .wrongContentType: #expect(request.contentType != "application/json" && parsed.map(Self.isValidPatient) == true)
            case .valid, .batch: Issue.record("valid request at share 1: \(request)")
            }
        }
        #expect(kinds[.fieldError, default: 0] > 600 && kinds[.malformedJSON, default: 0] > 150 && kinds[.wrongContentType, default: 0] > 40, "\(kinds)")
    }

    @Test func sharesAndSeedsAreReproducible() {
        let requests = (0..<1000).map { LoadRequest.make(index: $0, seed: 5, invalidShare: 0.25, batchShare: 0.1) }
        #expect(requests == (0..<1000).map { LoadRequest.make(index: $0, seed: 5, invalidShare: 0.25, batchShare: 0.1) })
        #expect(requests != (0..<1000).map { LoadRequest.make(index: $0, seed: 6, invalidShare: 0.25, batchShare: 0.1) })
        let invalid = requests.filter { ![.valid, .batch].contains($0.kind) }.count
        let batch = requests.filter { $0.kind == .batch }.count
        #expect((200...300).contains(invalid) && (60...140).contains(batch), "\(invalid) invalid, \(batch) batch")
    }
}

@Suite(.serialized) struct LoadgenEndToEndTests {
    @Test func loadgenSendsTheMixAndTheServerCountsIt() async throws {
        let server = try ServerProcess(arguments: [])
        try await server.waitUntilListening()
        let result = try await runVigil(["loadgen", "--url", "http://127.0.0.1:\(server.port)", "--count", "60", "--concurrency", "4",
                                         "--invalid-share", "0.25", "--rate", "0", "--seed", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("requests: 60 in "), "\(result.stdout)")
        func count(_ prefix: String, in text: String) -> Double {
            text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last!) } ?? 0
        }
        let ok = count("status 200:", in: result.stdout), invalid = count("status 422:", in: result.stdout)
        let malformed = count("status 400:", in: result.stdout), wrongType = count("status 415:", in: result.stdout)
        #expect(ok > 0 && invalid > 0 && ok + invalid + malformed + wrongType == 60, "\(result.stdout)")
        #expect(result.stdout.contains("latency ms: p50="), "\(result.stdout)")

        let metrics = try await server.get("/metrics").body
        #expect(count(#"api_requests_total{method="POST",endpoint="/predict",status="200"}"#, in: metrics) == ok, "\(metrics)")
        #expect(count(#"api_requests_total{method="POST",endpoint="/predict",status="422"}"#, in: metrics) == invalid)
        #expect(count(#"api_errors_total{endpoint="/predict",error_type="validation_error"}"#, in: metrics) == invalid)

        let unreachable = try await runVigil(["loadgen", "--url", "http://127.0.0.1:\(try freePort())", "--count", "3", "--rate", "0"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stdout.contains("unreachable: 3"), "\(unreachable.stdout)")
        #expect(unreachable.stderr.contains("could not reach"), "\(unreachable.stderr)")

        let remote = try await runVigil(["loadgen", "--url", "http://192.0.2.1:8002", "--count", "1"])
        #expect(remote.status != 0 && remote.stderr.contains("--allow-remote"), "\(remote.stderr)")
    }
}
