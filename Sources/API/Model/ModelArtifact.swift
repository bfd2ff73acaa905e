import Foundation

/// The kinds of model this build can serve; anything else in an artifact is refused at load.
public enum ModelKind: String, Sendable, Codable, CaseIterable {
    /// Binary classification: the logistic of a linear score is the probability of the second class label.
    case logisticRegression = "logistic_regression"
    /// Regression: the linear score itself is the prediction.
    case linearRegression = "linear_regression"
}

/// Whether a feature takes whole numbers only.
public enum FeatureValueType: String, Sendable, Codable {
    case integer
    case number
}

/// One input of a model as requests must supply it: its name, type, allowed range and missing-value markers.
public struct FeatureSpec: Sendable, Codable, Equatable {
    public var name: String
    public var type: FeatureValueType
    /// Smallest accepted value; nil accepts any finite number.
    public var minimum: Double?
    public var maximum: Double?
    /// Values that mean "not measured" (the diabetes data's 0 for glucose, say); they are imputed, not used.
    public var missingValues: [Double]
    /// Whether a request may send null or leave the field out, which also means "not measured".
    public var nullable: Bool
    public var description: String?
    public var example: Double?

    public init(name: String, type: FeatureValueType, minimum: Double? = nil, maximum: Double? = nil, missingValues: [Double] = [],
                nullable: Bool = false, description: String? = nil, example: Double? = nil) {
        self.name = name
        self.type = type
        self.minimum = minimum
        self.maximum = maximum
        self.missingValues = missingValues
        self.nullable = nullable
        self.description = description
        self.example = example
    }

    enum CodingKeys: String, CodingKey {
        case name, type, minimum, maximum, nullable, description, example
        case missingValues = "missing_values"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try c.decode(FeatureValueType.self, forKey: .type)
        minimum = try c.decodeIfPresent(Double.self, forKey: .minimum)
        maximum = try c.decodeIfPresent(Double.self, forKey: .maximum)
        missingValues = try c.decodeIfPresent([Double].self, forKey: .missingValues) ?? []
        nullable = try c.decodeIfPresent(Bool.self, forKey: .nullable) ?? false
        description = try c.decodeIfPresent(String.self, forKey: .description)
        example = try c.decodeIfPresent(Double.self, forKey: .example)
    }

    /// Whether a value is a missing-value marker rather than a measurement.
    func isMissingMarker(_ value: Double) -> Bool { missingValues.contains(value) }

    /// Whether a finite number is a valid value of this feature (markers included).
    func accepts(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        if isMissingMarker(value) { return true }
        if type == .integer && value != value.rounded() { return false }
        if let minimum, value < minimum { return false }
        if let maximum, value > maximum { return false }
        return true
    }
}

/// What is done to an input before the linear model sees it, one entry per feature.
public struct Preprocessing: Sendable, Codable, Equatable {
    /// The value that replaces a missing measurement (a training median or mean).
    public var imputation: [Double]
    /// Standardisation: (x - mean) / scale.
    public var means: [Double]
    public var scales: [Double]

    public init(imputation: [Double], means: [Double], scales: [Double]) {
        self.imputation = imputation
        self.means = means
        self.scales = scales
    }
}

/// The training data's distribution of one feature, which live inputs are compared with for drift.
///
/// `deciles` are the nine cut points; bucket 0 holds values ≤ deciles[0], bucket i values in
/// (deciles[i-1], deciles[i]], bucket 9 values above deciles[8]. `fractions` are the training rows'
/// shares of those ten buckets, exact even when ties make deciles repeat.
public struct FeatureDistribution: Sendable, Codable, Equatable {
    public var deciles: [Double]
    public var fractions: [Double]

    public init(deciles: [Double], fractions: [Double]) {
        self.deciles = deciles
        self.fractions = fractions
    }

    public static let bucketCount = 10

    /// The bucket a value falls in; missing values are given their imputed value first.
    func bucket(of value: Double) -> Int {
        deciles.withUnsafeBufferPointer { Self.bucket(of: value, edges: $0) }
    }

    /// The bucket of a value among sorted edges: how many edges lie below it.
    @inline(__always)
    static func bucket(of value: Double, edges: UnsafeBufferPointer<Double>) -> Int {
        var low = 0, high = edges.count
        while low < high {
            let mid = (low + high) >> 1
            if value <= edges[mid] { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// Deciles and bucket shares of a column; nil for an empty column.
    public static func of(_ column: [Double]) -> FeatureDistribution? {
        guard !column.isEmpty else { return nil }
        let sorted = column.sorted()
        // Linear interpolation between closest ranks, as numpy's default percentile.
        let deciles = (1...9).map { k -> Double in
            let position = Double(k) / 10 * Double(sorted.count - 1)
            let lower = Int(position.rounded(.down))
            let upper = min(lower + 1, sorted.count - 1)
            return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
        }
        var distribution = FeatureDistribution(deciles: deciles, fractions: [])
        var counts = [Int](repeating: 0, count: bucketCount)
        for value in column { counts[distribution.bucket(of: value)] += 1 }
        distribution.fractions = counts.map { Double($0) / Double(column.count) }
        return distribution
    }
}

/// Where a model came from and how it was trained; informational except `dataset_sha256`, which MLflow logs.
public struct TrainingInfo: Sendable, Codable, Equatable {
    public var dataset: String
    public var datasetSHA256: String?
    public var rows: Int
    public var trainRows: Int?
    public var testRows: Int?
    public var seed: UInt64?
    public var regularizationC: Double?
    public var solver: String?
    public var tool: String?

    public init(dataset: String, datasetSHA256: String? = nil, rows: Int, trainRows: Int? = nil, testRows: Int? = nil, seed: UInt64? = nil,
                regularizationC: Double? = nil, solver: String? = nil, tool: String? = nil) {
        self.dataset = dataset
        self.datasetSHA256 = datasetSHA256
        self.rows = rows
        self.trainRows = trainRows
        self.testRows = testRows
        self.seed = seed
        self.regularizationC = regularizationC
        self.solver = solver
        self.tool = tool
    }

    enum CodingKeys: String, CodingKey {
        case dataset, rows, seed, solver, tool
        case datasetSHA256 = "dataset_sha256"
        case trainRows = "train_rows"
        case testRows = "test_rows"
        case regularizationC = "regularization_c"
    }
}

/// A self-describing model: kind, feature schema, preprocessing, parameters, and what training measured.
///
/// Everything the service needs to validate requests, document itself, predict and watch for drift
/// comes from this file, so a model with other features is served without code changes.
public struct ModelArtifact: Sendable, Codable, Equatable {
    public static let currentFormatVersion = 2

    public var formatVersion: Int
    public var kind: ModelKind
    public var modelVersion: String
    /// A short name for the docs page title and MLflow; optional.
    public var name: String?
    public var description: String?
    /// The column the model predicts.
    public var target: String?
    /// For classifiers: the labels of outcome 0 and outcome 1, in that order.
    public var classLabels: [String]?
    /// For classifiers: the probability at which the prediction becomes class 1.
    public var threshold: Double?
    public var features: [FeatureSpec]
    public var preprocessing: Preprocessing
    public var coefficients: [Double]
    public var intercept: Double
    public var trainingDistribution: [FeatureDistribution]?
    public var training: TrainingInfo?
    public var metrics: [String: Double]

    public init(kind: ModelKind, modelVersion: String, name: String? = nil, description: String? = nil, target: String? = nil,
                classLabels: [String]? = nil, threshold: Double? = nil, features: [FeatureSpec], preprocessing: Preprocessing,
                coefficients: [Double], intercept: Double, trainingDistribution: [FeatureDistribution]? = nil,
                training: TrainingInfo? = nil, metrics: [String: Double] = [:]) {
        self.formatVersion = Self.currentFormatVersion
        self.kind = kind
        self.modelVersion = modelVersion
        self.name = name
        self.description = description
        self.target = target
        self.classLabels = classLabels
        self.threshold = threshold
        self.features = features
        self.preprocessing = preprocessing
        self.coefficients = coefficients
        self.intercept = intercept
        self.trainingDistribution = trainingDistribution
        self.training = training
        self.metrics = metrics
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case formatVersion = "format_version"
        case kind
        case modelVersion = "model_version"
        case name, description, target
        case classLabels = "class_labels"
        case threshold, features, preprocessing, coefficients, intercept
        case trainingDistribution = "training_distribution"
        case training, metrics
    }

    public var featureNames: [String] { features.map(\.name) }
}

extension ModelArtifact {
    /// Reads and validates an artifact file; every failure names the file and what is wrong.
    public static func load(from url: URL) throws(ModelError) -> ModelArtifact {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError(code: .unreadableFile, message: "cannot read model file \(url.path): \(error.localizedDescription)")
        }
        return try decode(data, source: url.path)
    }

    /// Decodes and validates artifact bytes from a file or a registry download; `source` names them in errors.
    public static func decode(_ data: Data, source: String) throws(ModelError) -> ModelArtifact {
        func fail(_ reason: String) -> ModelError {
            ModelError(code: .invalidArtifact, message: "model file \(source): \(reason)")
        }
        // Checked before decoding so an old or foreign file gets the reason, not a missing-field error.
        guard let top = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail("is not a JSON object")
        }
        guard let version = top["format_version"] as? Int else { throw fail("missing field format_version") }
        guard version == currentFormatVersion else {
            throw fail("format_version \(version) is not supported (this build reads \(currentFormatVersion); retrain with `vigil train` or re-export)")
        }
        guard let kind = top["kind"] as? String else { throw fail("missing field kind") }
        guard ModelKind(rawValue: kind) != nil else {
            throw fail("kind \"\(kind)\" is not supported (this build serves \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let unknown = top.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("unknown field \(unknown)")
        }
        let artifact: ModelArtifact
        do {
            artifact = try JSONDecoder().decode(ModelArtifact.self, from: data)
        } catch {
            throw fail(describe(error))
        }
        try artifact.validate(source: source)
        return artifact
    }

    /// Checks the artifact is self-consistent: one coefficient and one preprocessing entry per feature,
    /// finite numbers, positive scales, and a threshold and two labels for a classifier.
    public func validate(source: String) throws(ModelError) {
        func fail(_ reason: String) -> ModelError {
            ModelError(code: .invalidArtifact, message: "model file \(source): \(reason)")
        }
        guard !features.isEmpty else { throw fail("features is empty") }
        var seen = Set<String>()
        for (i, feature) in features.enumerated() {
            guard !feature.name.isEmpty else { throw fail("features[\(i)] has an empty name") }
            guard seen.insert(feature.name).inserted else { throw fail("feature \(feature.name) appears twice") }
            for (field, value) in [("minimum", feature.minimum), ("maximum", feature.maximum), ("example", feature.example)] {
                if let value, !value.isFinite { throw fail("feature \(feature.name): \(field) is not finite") }
            }
            if let low = feature.minimum, let high = feature.maximum, low > high {
                throw fail("feature \(feature.name): minimum \(low) is above maximum \(high)")
            }
            guard feature.missingValues.allSatisfy(\.isFinite) else { throw fail("feature \(feature.name): missing_values holds a value that is not finite") }
        }
        let width = features.count
        for (name, array) in [("coefficients", coefficients), ("preprocessing.imputation", preprocessing.imputation),
                              ("preprocessing.means", preprocessing.means), ("preprocessing.scales", preprocessing.scales)] {
            guard array.count == width else { throw fail("\(name) has \(array.count) values for \(width) features") }
            if let bad = array.firstIndex(where: { !$0.isFinite }) { throw fail("\(name)[\(bad)] (\(features[bad].name)) is not finite") }
        }
        if let bad = preprocessing.scales.firstIndex(where: { $0 <= 0 }) {
            throw fail("preprocessing.scales[\(bad)] (\(features[bad].name)) is \(preprocessing.scales[bad]); scales must be positive")
        }
        guard intercept.isFinite else { throw fail("intercept is not finite") }
        switch kind {
        case .logisticRegression:
            guard let threshold else { throw fail("a logistic_regression needs a threshold") }
            guard threshold > 0, threshold < 1 else { throw fail("threshold must lie strictly between 0 and 1") }
            guard let labels = classLabels, labels.count == 2, labels[0] != labels[1], !labels.contains("") else {
                throw fail("a logistic_regression needs class_labels: two different names, for outcome 0 and outcome 1")
            }
        case .linearRegression:
            if threshold != nil || classLabels != nil { throw fail("a linear_regression has no threshold or class_labels") }
        }
        if let distribution = trainingDistribution {
            guard distribution.count == width else { throw fail("training_distribution has \(distribution.count) entries for \(width) features") }
            for (i, entry) in distribution.enumerated() {
                let name = features[i].name
                guard entry.deciles.count == 9, entry.fractions.count == FeatureDistribution.bucketCount else {
                    throw fail("training_distribution of \(name) needs 9 deciles and 10 fractions")
                }
                guard entry.deciles.allSatisfy(\.isFinite), entry.fractions.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                    throw fail("training_distribution of \(name) holds a value that is not finite")
                }
                guard zip(entry.deciles, entry.deciles.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                    throw fail("training_distribution of \(name): deciles must not decrease")
                }
                guard abs(entry.fractions.reduce(0, +) - 1) < 1e-6 else {
                    throw fail("training_distribution of \(name): fractions must add up to 1")
                }
            }
        }
        guard metrics.values.allSatisfy(\.isFinite) else { throw fail("metrics holds a value that is not finite") }
    }

    /// Serialises with sorted keys so the same model always produces the same bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    private static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let at = path(context)
            return "missing field \(at.isEmpty ? "" : at + ".")\(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(path(context)): \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            let at = path(context)
            return at.isEmpty ? "malformed JSON: \(context.debugDescription)" : "bad value at \(at): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
