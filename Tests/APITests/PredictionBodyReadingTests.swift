import API
import Testing

/// The two body readers behind `/predict` and `/predict/batch`: they agree, and refuse what is not JSON.
@Suite struct PredictionBodyReadingTests {
    static let patient = #"{"Pregnancies": 6, "Glucose": 148, "BloodPressure": 72, "SkinThickness": 35, "Insulin": 0, "BMI": 33.6, "DiabetesPedigreeFunction": 0.627, "Age": 50}"#

    @Test func validBodiesAreAcceptedByBothReaders() {
        guard case .accepted(let one) = PredictionBodyReading.single(Array(Self.patient.utf8)) else {
            Issue.record("a valid patient was not accepted")
            return
        }
        #expect(one.first?.values == [6, 148, 72, 35, 0, 33.6, 0.627, 50])
        guard case .accepted(let two) = PredictionBodyReading.batch(Array("[\(Self.patient),\(Self.patient)]".utf8), limit: 10) else {
            Issue.record("a valid batch was not accepted")
            return
        }
        #expect(two.count == 2)
    }

    @Test func byteOrderMarkIsMalformedJSON() {
        let body = [0xEF, 0xBB, 0xBF] + Array(Self.patient.utf8)
        #expect(PredictionBodyReading.single(body) == .malformed)
        #expect(PredictionBodyReading.batch([0xEF, 0xBB, 0xBF] + Array("[\(Self.patient)]".utf8), limit: 10) == .malformed)
    }

    @Test func emptyBodyIsMalformed() {
        #expect(PredictionBodyReading.single([]) == .malformed)
    }

    /// 500 nested brackets once cost seconds of CPU each; past 32 levels a body is refused before decoding.
    @Test(arguments: [500, 100_000])
    func deeplyNestedBodiesAreMalformed(_ depth: Int) {
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(PredictionBodyReading.batch(Array(nested.utf8), limit: 10) == .malformed)
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        #expect(PredictionBodyReading.single(Array(objects.utf8)) == .malformed)
    }

    @Test func nestingWithinTheLimitIsAValidationError() {
        let extra = String(repeating: "[", count: 30) + String(repeating: "]", count: 30)
        let body = Self.patient.dropLast() + #", "Extra": "# + extra + "}"
        guard case .invalid(let issues) = PredictionBodyReading.single(Array(body.utf8)) else {
            Issue.record("expected a validation error")
            return
        }
        #expect(issues.count == 1)
        #expect(issues.first?.contains("extra_forbidden") == true)
    }
}
