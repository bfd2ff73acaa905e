import Foundation

/// A trained logistic-regression model with its preprocessing, as stored in the JSON artifact.
///
/// Inference imputes zero-as-missing columns with the training medians, standardises with the
/// training means and scales, and applies the logistic function. The standardisation is folded
/// into the weights once at load time, so a prediction is eight multiply-adds and one `exp`.
public struct DiabetesModel: Sendable, Codable, Equatable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var modelVersion: String
    public var modelType: String
    public var featureOrder: [String]
    public var zeroAsMissing: [String]
    public var medians: [Double]
    public var means: [Double]
    public var scales: [Double]
    public var coefficients: [Double]
    public var intercept: Double
    public var threshold: Double
    public var training: TrainingInfo
    public var metrics: Metrics

    public struct TrainingInfo: Sendable, Codable, Equatable {
        public var dataset: String
        public var rows: Int
        public var trainRows: Int
        public var testRows: Int
        public var seed: UInt64
        public var regularizationC: Double
        public var solver: String

        enum CodingKeys: String, CodingKey {
            case dataset, rows, seed, solver
            case trainRows = "train_rows"
            case testRows = "test_rows"
            case regularizationC = "regularization_c"
        }
    }

    public struct Metrics: Sendable, Codable, Equatable {
        public var holdoutAccuracy: Double
        public var holdoutROCAUC: Double
        public var cvFolds: Int
        public var cvRepeats: Int
        public var cvAccuracy: Double
        public var cvROCAUC: Double
        public var cvAccuracyStd: Double
        public var cvROCAUCStd: Double

        enum CodingKeys: String, CodingKey {
            case holdoutAccuracy = "holdout_accuracy"
            case holdoutROCAUC = "holdout_roc_auc"
            case cvFolds = "cv_folds"
            case cvRepeats = "cv_repeats"
            case cvAccuracy = "cv_accuracy"
            case cvROCAUC = "cv_roc_auc"
            case cvAccuracyStd = "cv_accuracy_std"
            case cvROCAUCStd = "cv_roc_auc_std"
        }
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case modelVersion = "model_version"
        case modelType = "model_type"
        case featureOrder = "feature_order"
        case zeroAsMissing = "zero_as_missing"
        case medians, means, scales, coefficients, intercept, threshold, training, metrics
    }
}

extension DiabetesModel {
    /// Reads and validates an artifact; every failure names the file and what is wrong.
    public static func load(from url: URL) throws(ModelError) -> DiabetesModel {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError(code: .unreadableFile, message: "cannot read model file \(url.path): \(error.localizedDescription)")
        }
        let model: DiabetesModel
        do {
            model = try JSONDecoder().decode(DiabetesModel.self, from: data)
        } catch {
            throw ModelError(code: .invalidArtifact, message: "model file \(url.path) is not a valid artifact: \(describe(error))")
        }
        try model.validate(source: url.path)
        return model
    }

    /// Checks the artifact is one this build can serve: known format, our feature order, finite numbers.
    public func validate(source: String) throws(ModelError) {
        func fail(_ reason: String) -> ModelError {
            ModelError(code: .invalidArtifact, message: "model file \(source): \(reason)")
        }
        guard formatVersion == Self.currentFormatVersion else {
            throw fail("format_version \(formatVersion) is not supported (this build reads \(Self.currentFormatVersion))")
        }
        guard featureOrder == PatientFeatures.names else {
            throw fail("feature_order must be \(PatientFeatures.names.joined(separator: ", "))")
        }
        let width = featureOrder.count
        for (name, array) in [("medians", medians), ("means", means), ("scales", scales), ("coefficients", coefficients)] {
            guard array.count == width else { throw fail("\(name) has \(array.count) values, expected \(width)") }
            guard array.allSatisfy(\.isFinite) else { throw fail("\(name) holds a value that is not finite") }
        }
        guard scales.allSatisfy({ $0 > 0 }) else { throw fail("scales must all be positive") }
        guard intercept.isFinite else { throw fail("intercept is not finite") }
        guard threshold > 0, threshold < 1 else { throw fail("threshold must lie strictly between 0 and 1") }
        guard Set(zeroAsMissing).isSubset(of: Set(featureOrder)) else { throw fail("zero_as_missing names an unknown feature") }
    }

    /// Serialises with sorted keys so the same model always produces the same bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context): return "malformed JSON: \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}

/// The hot-path form of a model: preprocessing folded into one weight vector and a bias.
public struct CompiledModel: Sendable {
    public let artifact: DiabetesModel
    @usableFromInline let weights: [Double]
    @usableFromInline let bias: Double
    @usableFromInline let imputeZero: [Bool]
    @usableFromInline let medians: [Double]
    public let threshold: Double

    public init(_ artifact: DiabetesModel) {
        self.artifact = artifact
        var weights = [Double](repeating: 0, count: artifact.featureOrder.count)
        var bias = artifact.intercept
        for i in weights.indices {
            weights[i] = artifact.coefficients[i] / artifact.scales[i]
            bias -= artifact.coefficients[i] * artifact.means[i] / artifact.scales[i]
        }
        self.weights = weights
        self.bias = bias
        self.imputeZero = artifact.featureOrder.map { artifact.zeroAsMissing.contains($0) }
        self.medians = artifact.medians
        self.threshold = artifact.threshold
    }

    /// Probability of the positive class (diabetic) for one patient.
    @inlinable
    public func probability(_ patient: PatientFeatures) -> Double {
        var z = bias
        patient.values.withUnsafeBufferPointer { x in
            for i in 0..<x.count {
                let value = (imputeZero[i] && x[i] == 0) ? medians[i] : x[i]
                z += weights[i] * value
            }
        }
        return 1 / (1 + exp(-z))
    }
}
