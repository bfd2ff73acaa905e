import Foundation
import Synchronization

/// The hot-path form of a model: preprocessing folded into one weight vector and a bias.
///
/// Imputation replaces NaN (a value not supplied) and missing-value markers; standardisation is
/// folded into the weights once at load, so a prediction is one multiply-add per feature and,
/// for a classifier, one `exp`. A class, so handing the serving model to a request retains one
/// object instead of every array and string it holds (measured: those retains, contended between
/// cores, were a visible part of a `/predict` request).
public final class CompiledModel: Sendable {
    public let artifact: ModelArtifact
    public let schema: FeatureSchema
    @usableFromInline let weights: [Double]
    @usableFromInline let bias: Double
    @usableFromInline let imputation: [Double]
    /// Per feature: its missing-value markers, empty for most.
    @usableFromInline let markers: [[Double]]
    @usableFromInline let logistic: Bool
    /// The classification threshold; +inf for a regression, so no score reaches it.
    public let threshold: Double
    /// The outcome labels for classes 0 and 1; for a regression both are "predicted".
    public let labels: (negative: String, positive: String)
    /// The OpenAPI document and docs page, built from this model's schema on first use: building them at load
    /// was a tenth of `serve`'s start-up, for pages most runs never open.
    public var openAPIJSON: String { documents().json }
    public var docsHTML: String { documents().html }
    private let builtDocuments = Mutex<(json: String, html: String)?>(nil)
    /// The answer's constant parts, escaped once at load (see `PredictionService.resultMembers`).
    let responseText: ResponseText

    public init(_ artifact: ModelArtifact) {
        self.artifact = artifact
        schema = FeatureSchema(artifact.features)
        let p = artifact.preprocessing
        var weights = [Double](repeating: 0, count: artifact.features.count)
        var bias = artifact.intercept
        for i in weights.indices {
            weights[i] = artifact.coefficients[i] / p.scales[i]
            bias -= artifact.coefficients[i] * p.means[i] / p.scales[i]
        }
        self.weights = weights
        self.bias = bias
        imputation = p.imputation
        markers = artifact.features.map(\.missingValues)
        logistic = artifact.kind == .logisticRegression
        threshold = artifact.threshold ?? .infinity
        let classLabels = artifact.classLabels ?? ["predicted", "predicted"]
        labels = (classLabels[0], classLabels[1])
        responseText = ResponseText(labels: classLabels, modelVersion: artifact.modelVersion)
    }

    private func documents() -> (json: String, html: String) {
        builtDocuments.withLock { built in
            if let built { return built }
            let document = OpenAPIDocument.build(for: artifact)
            let documents = (json: OpenAPIDocument.json(document), html: DocsPage.render(document))
            built = documents
            return documents
        }
    }

    /// JSON fragments of a prediction answer that depend only on the model.
    struct ResponseText: Sendable {
        /// `"prediction":0,"outcome":"…","probability":` and the same for class 1.
        let negativePrefix: String
        let positivePrefix: String
        /// `,"model_version":"…"}`, the end of a single prediction's answer.
        let versionSuffix: String
        /// `"model_version":"…"`, as `/health` answers it.
        let versionMember: String

        init(labels: [String], modelVersion: String) {
            versionMember = "\"model_version\":\(JSONText.quoted(modelVersion))"
            negativePrefix = "\"prediction\":0,\"outcome\":\(JSONText.quoted(labels[0])),\"probability\":"
            positivePrefix = "\"prediction\":1,\"outcome\":\(JSONText.quoted(labels[1])),\"probability\":"
            versionSuffix = ",\"model_version\":\(JSONText.quoted(modelVersion))}"
        }
    }

    public var isClassifier: Bool { logistic }

    /// The value the model sees for feature `i`: the input, or its imputation when missing.
    @inlinable
    func effectiveValue(_ x: Double, at i: Int) -> Double {
        if x.isNaN { return imputation[i] }
        let featureMarkers = markers[i]
        if !featureMarkers.isEmpty && featureMarkers.contains(x) { return imputation[i] }
        return x
    }

    /// The linear score before any link function.
    @inlinable
    public func linearScore(_ row: FeatureRow) -> Double {
        var z = bias
        row.values.withUnsafeBufferPointer { x in
            for i in 0..<x.count { z += weights[i] * effectiveValue(x[i], at: i) }
        }
        return z
    }

    /// For a classifier the probability of class 1; for a regression the predicted value.
    @inlinable
    public func score(_ row: FeatureRow) -> Double {
        let z = linearScore(row)
        return logistic ? 1 / (1 + exp(-z)) : z
    }
}
