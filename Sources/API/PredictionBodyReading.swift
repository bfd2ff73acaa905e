import Foundation

/// PredictionBodyReading runs a `/predict` or `/predict/batch` body through both readers the routes use,
/// without HTTP, so fuzz targets can check that they never trap and never disagree.
public enum PredictionBodyReading {
    /// Outcome is what the route would do with the body.
    public enum Outcome: Sendable, Equatable {
        /// The body is valid; these are the patients, read by the general decoder.
        case accepted([PatientFeatures])
        /// The body is JSON but fails validation: the 422 response's error members.
        case invalid([String])
        /// The body is not JSON at all (a 400).
        case malformed
        /// The fast reader took the body but the general decoder read something else: a reader bug.
        case readersDisagree(fast: [PatientFeatures], general: String)
    }

    /// single reads a `/predict` body.
    public static func single(_ body: [UInt8]) -> Outcome {
        let fast = body.withUnsafeBytes(FastPatientReader.patient)
        let general = generalOutcome(body, expectingArray: false) { value in
            PredictionRequest.patient(from: value, at: [.key("body")]).map { [$0] }
        }
        return reconcile(fast: fast.map { [$0] }, general: general)
    }

    /// batch reads a `/predict/batch` body holding at most `limit` rows.
    public static func batch(_ body: [UInt8], limit: Int) -> Outcome {
        let fast = body.withUnsafeBytes { FastPatientReader.patients($0, limit: limit) }
        let general = generalOutcome(body, expectingArray: true) { value in
            PredictionRequest.batch(from: value, limit: limit)
        }
        return reconcile(fast: fast, general: general)
    }

    private static func generalOutcome(
        _ body: [UInt8], expectingArray: Bool,
        validate: (JSONValue) -> Result<[PatientFeatures], ValidationFailure>
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
    private static func reconcile(fast: [PatientFeatures]?, general: Outcome) -> Outcome {
        guard let fast, general != .accepted(fast) else { return general }
        return .readersDisagree(fast: fast, general: "\(general)")
    }
}
