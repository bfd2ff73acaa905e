import Foundation

/// PredictionBodyReading runs a `/predict` or `/predict/batch` body through both readers the routes use,
/// without HTTP, so fuzz targets can check that they never trap and never disagree.
public enum PredictionBodyReading {
    /// Outcome is what the route would do with the body.
    public enum Outcome: Sendable, Equatable {
        /// The body is valid; these are the rows, read by the general decoder.
        case accepted([FeatureRow])
        /// The body is JSON but fails validation: the 422 response's error members.
        case invalid([String])
        /// The body is not JSON at all (a 400).
        case malformed
        /// The fast reader took the body but the general decoder read something else: a reader bug.
        case readersDisagree(fast: [FeatureRow], general: String)
    }

    /// A schema shaped like the diabetes model's (integers, ranges, a zero marker, a nullable field), for fuzzing without a model file.
    public static let exampleSchema = FeatureSchema([
        FeatureSpec(name: "Pregnancies", type: .integer, minimum: 0, maximum: 20),
        FeatureSpec(name: "Glucose", type: .number, minimum: 0, maximum: 300, missingValues: [0]),
        FeatureSpec(name: "BloodPressure", type: .number, minimum: 0, maximum: 200, missingValues: [0]),
        FeatureSpec(name: "SkinThickness", type: .number, minimum: 0, maximum: 100, missingValues: [0], nullable: true),
        FeatureSpec(name: "Insulin", type: .number, minimum: 0, maximum: 1000, missingValues: [0]),
        FeatureSpec(name: "BMI", type: .number, minimum: 0, maximum: 80, missingValues: [0]),
        FeatureSpec(name: "DiabetesPedigreeFunction", type: .number, minimum: 0, maximum: 3),
        FeatureSpec(name: "Age", type: .integer, minimum: 1, maximum: 120),
    ])

    /// single reads a `/predict` body.
    public static func single(_ body: [UInt8], schema: FeatureSchema = exampleSchema) -> Outcome {
        let fast = body.withUnsafeBytes { FastFeatureReader.row($0, schema: schema) }
        let general = generalOutcome(body, expectingArray: false) { value in
            PredictionRequest.row(from: value, at: [.key("body")], schema: schema).map { [$0] }
        }
        return reconcile(fast: fast.map { [$0] }, general: general)
    }

    /// batch reads a `/predict/batch` body holding at most `limit` rows.
    public static func batch(_ body: [UInt8], limit: Int, schema: FeatureSchema = exampleSchema) -> Outcome {
        let fast = body.withUnsafeBytes { FastFeatureReader.rows($0, limit: limit, schema: schema) }
        let general = generalOutcome(body, expectingArray: true) { value in
            PredictionRequest.batch(from: value, limit: limit, schema: schema)
        }
        return reconcile(fast: fast, general: general)
    }

    private static func generalOutcome(
        _ body: [UInt8], expectingArray: Bool,
        validate: (JSONValue) -> Result<[FeatureRow], ValidationFailure>
    ) -> Outcome {
        guard !body.isEmpty, let value = try? JSONValue.decodeBody(Data(body), expectingArray: expectingArray) else {
            return .malformed
        }
        switch validate(value) {
        case .success(let patients): return .accepted(patients)
        case .failure(let failure): return .invalid(failure.issues.map(\.jsonText))
        }
    }

    /// reconcile prefers the general reader's verdict and reports a fast-path result it does not share.
    private static func reconcile(fast: [FeatureRow]?, general: Outcome) -> Outcome {
        guard let fast, general != .accepted(fast) else { return general }
        return .readersDisagree(fast: fast, general: "\(general)")
    }
}
