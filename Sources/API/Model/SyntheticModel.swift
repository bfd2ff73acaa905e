extension ModelArtifact {
    /// A generated logistic-regression artifact with `featureCount` features, the same for the same seed.
    ///
    /// Benchmarks use it to time inference at widths the diabetes model does not have, and the fuzz targets to
    /// read bodies against a schema other than the diabetes one: integer and number features, bounded on both
    /// sides, one side or neither, missing-value markers, nullable fields and names outside ASCII.
    public static func synthetic(featureCount: Int, seed: UInt64 = 1) -> ModelArtifact {
        var random = SeededGenerator(seed: seed)
        func uniform(_ low: Double, _ high: Double) -> Double { Double.random(in: low..<high, using: &random) }
        let count = max(1, featureCount)
        var features: [FeatureSpec] = []
        var distributions: [FeatureDistribution] = []
        var means: [Double] = [], scales: [Double] = [], imputation: [Double] = []
        for i in 0..<count {
            let name = ["reading_\(i)", "größe_\(i)", "count\(i)", "ratio-\(i)", "Δt_\(i)"][i % 5]
            let integer = i % 5 == 2
            let low: Double? = i % 4 == 3 ? nil : (integer ? 0 : -uniform(0, 500).rounded())
            let high: Double? = i % 7 == 6 ? nil : (integer ? 1_000 : uniform(1, 500).rounded())
            let missing: [Double] = i % 6 == 1 ? [low ?? -1] : []
            features.append(FeatureSpec(name: name, type: integer ? .integer : .number, minimum: low, maximum: high,
                                        missingValues: missing, nullable: i % 8 == 5))
            let center = ((low ?? -100) + (high ?? 100)) / 2
            let spread = max(1, ((high ?? 100) - (low ?? -100)) / 4)
            means.append(center)
            scales.append(spread)
            imputation.append(center)
            let deciles = (1...9).map { center + spread * Double($0 - 5) / 3 }
            distributions.append(FeatureDistribution(deciles: deciles, fractions: [Double](repeating: 0.1, count: FeatureDistribution.bucketCount)))
        }
        return ModelArtifact(
            kind: .logisticRegression, modelVersion: "synthetic-\(count)-\(seed)", name: "synthetic", target: "outcome",
            classLabels: ["negative", "positive"], threshold: 0.5, features: features,
            preprocessing: Preprocessing(imputation: imputation, means: means, scales: scales),
            coefficients: (0..<count).map { _ in uniform(-1, 1) }, intercept: uniform(-0.5, 0.5),
            trainingDistribution: distributions)
    }
}
