import API
import Foundation

/// PatientGenerator draws plausible request rows for `vigil loadgen`.
///
/// Given a model artifact, each feature is drawn from the training distribution the artifact stores
/// (the same deciles drift is measured against), so unshifted load shows no drift whatever the model.
/// Without one, `pima` draws each field normal around the Pima data set's mean and deviation.
struct PatientGenerator: Sendable {
    /// How one feature's values are drawn.
    enum Draw: Sendable {
        /// Normal around `mean`, clamped to `lower…upper`; 0 ("not measured") with probability `missing`.
        case normal(mean: Double, deviation: Double, lower: Double, upper: Double, missing: Double)
        /// A bucket by the training shares, then a value inside it. In the bucket that holds the imputed
        /// value, `missingShare` of the draws send the missing-value marker instead, which the server imputes
        /// back into that bucket, so the buckets' shares are kept.
        case training(FeatureDistribution, imputed: Double?, marker: Double?, missingShare: Double)
    }

    struct Field: Sendable {
        var name: String
        var integer: Bool
        /// The API's accepted range, which neither a drawn nor a shifted value leaves.
        var minimum: Double?
        var maximum: Double?
        /// Values are sent with this many steps per unit (1 for whole numbers, 10 for one decimal).
        var resolution: Double
        var draw: Draw
    }

    var fields: [Field]
    /// Where the distributions came from, for the run's summary.
    var source: String

    /// The request's eight fields in the documented order, around the Pima data set's distributions.
    static let pima = PatientGenerator(fields: [
        .init(name: "Pregnancies", integer: true, minimum: 0, maximum: 20, resolution: 1, draw: .normal(mean: 3.8, deviation: 3.4, lower: 0, upper: 17, missing: 0)),
        .init(name: "Glucose", integer: false, minimum: 0, maximum: 300, resolution: 10, draw: .normal(mean: 121, deviation: 32, lower: 44, upper: 199, missing: 0.01)),
        .init(name: "BloodPressure", integer: false, minimum: 0, maximum: 200, resolution: 10, draw: .normal(mean: 69, deviation: 12, lower: 24, upper: 122, missing: 0.05)),
        .init(name: "SkinThickness", integer: false, minimum: 0, maximum: 100, resolution: 10, draw: .normal(mean: 29, deviation: 10.5, lower: 7, upper: 99, missing: 0.30)),
        .init(name: "Insulin", integer: false, minimum: 0, maximum: 1000, resolution: 10, draw: .normal(mean: 155, deviation: 118, lower: 14, upper: 846, missing: 0.49)),
        .init(name: "BMI", integer: false, minimum: 0, maximum: 80, resolution: 10, draw: .normal(mean: 32.5, deviation: 6.9, lower: 18.2, upper: 67.1, missing: 0.01)),
        .init(name: "DiabetesPedigreeFunction", integer: false, minimum: 0, maximum: 3, resolution: 1000, draw: .normal(mean: 0.47, deviation: 0.33, lower: 0.078, upper: 2.42, missing: 0)),
        .init(name: "Age", integer: true, minimum: 1, maximum: 120, resolution: 1, draw: .normal(mean: 33, deviation: 11.8, lower: 21, upper: 81, missing: 0)),
    ], source: "the Pima data set's means and deviations")

    /// The Pima data set's share of "not measured" zeros per column, which an artifact does not record.
    static let pimaMissingShares: [String: Double] = ["Glucose": 0.01, "BloodPressure": 0.05, "SkinThickness": 0.30, "Insulin": 0.49, "BMI": 0.01]

    /// A generator for `artifact`'s features; features without a stored distribution fall back to their range.
    init(artifact: ModelArtifact, source: String) {
        self.source = "the training distribution in \(source)"
        fields = artifact.features.enumerated().map { index, spec in
            let distribution = artifact.trainingDistribution.flatMap { index < $0.count ? $0[index] : nil }
                ?? FeatureDistribution(deciles: Self.evenCuts(spec), fractions: [Double](repeating: 0.1, count: FeatureDistribution.bucketCount))
            let imputed = index < artifact.preprocessing.imputation.count ? artifact.preprocessing.imputation[index] : nil
            let spread = (distribution.deciles.last ?? 0) - (distribution.deciles.first ?? 0)
            let resolution: Double = spec.type == .integer ? 1 : spread >= 10 ? 10 : 1000
            return Field(name: spec.name, integer: spec.type == .integer, minimum: spec.minimum, maximum: spec.maximum, resolution: resolution,
                         draw: .training(distribution, imputed: imputed, marker: spec.missingValues.first,
                                         missingShare: Self.pimaMissingShares[spec.name] ?? 0))
        }
    }

    init(fields: [Field], source: String) {
        self.fields = fields
        self.source = source
    }

    /// Nine cut points spread evenly over a feature's range (or 0…1), for a feature the artifact has no distribution for.
    static func evenCuts(_ spec: FeatureSpec) -> [Double] {
        let low = spec.minimum ?? 0, high = spec.maximum ?? low + 1
        return (1...9).map { low + (high - low) * Double($0) / 10 }
    }

    /// One row as field values in `fields` order; `shift` moves the named fields' measured values
    /// (not their missing markers) by a constant, kept inside the field's accepted range.
    func values(using rng: inout some RandomNumberGenerator, shift: [String: Double] = [:]) -> [Double] {
        fields.map { field in
            guard var drawn = Self.measured(field, using: &rng) else { return Self.missingMarker(field) }
            if let delta = shift[field.name] { drawn = field.clamp(drawn + delta) }
            return field.integer ? drawn.rounded() : (drawn * field.resolution).rounded() / field.resolution
        }
    }

    /// A measured value, or nil when this draw is a missing measurement.
    private static func measured(_ field: Field, using rng: inout some RandomNumberGenerator) -> Double? {
        switch field.draw {
        case let .normal(mean, deviation, lower, upper, missing):
            if missing > 0, Double.random(in: 0..<1, using: &rng) < missing { return nil }
            return min(max(mean + deviation * standardNormal(using: &rng), lower), upper)
        case let .training(distribution, imputed, marker, missingShare):
            let bucket = pickBucket(distribution.fractions, using: &rng)
            if let imputed, marker != nil, missingShare > 0, distribution.bucketOf(imputed) == bucket {
                let share = distribution.fractions[bucket]
                if share > 0, Double.random(in: 0..<1, using: &rng) < min(1, missingShare / share) { return nil }
            }
            return field.value(inBucket: bucket, of: distribution, using: &rng)
        }
    }

    private static func missingMarker(_ field: Field) -> Double {
        if case let .training(_, _, marker, _) = field.draw, let marker { return marker }
        return 0
    }

    private static func pickBucket(_ fractions: [Double], using rng: inout some RandomNumberGenerator) -> Int {
        let total = fractions.reduce(0) { $0 + max($1, 0) }
        guard total > 0 else { return Int.random(in: 0..<max(fractions.count, 1), using: &rng) }
        var target = Double.random(in: 0..<total, using: &rng)
        for (index, share) in fractions.enumerated() where share > 0 {
            if target < share { return index }
            target -= share
        }
        return fractions.lastIndex { $0 > 0 } ?? 0
    }

    /// One row as a JSON object.
    func json(using rng: inout some RandomNumberGenerator, shift: [String: Double] = [:]) -> String {
        Self.object(zip(fields.map(\.name), values(using: &rng, shift: shift).map(Self.number)))
    }

    static func object(_ members: some Sequence<(String, String)>) -> String {
        "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Box–Muller; one draw per call keeps the generator's use per row simple.
    static func standardNormal(using rng: inout some RandomNumberGenerator) -> Double {
        let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &rng)
        let v = Double.random(in: 0..<1, using: &rng)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

extension PatientGenerator.Field {
    func clamp(_ value: Double) -> Double {
        min(max(value, minimum ?? -.greatestFiniteMagnitude), maximum ?? .greatestFiniteMagnitude)
    }

    /// A value at this field's resolution inside bucket `bucket`: (cut[b-1], cut[b]], the first bucket
    /// reaching down and the last up by an eighth of the deciles' spread, never past the accepted range.
    func value(inBucket bucket: Int, of distribution: FeatureDistribution, using rng: inout some RandomNumberGenerator) -> Double {
        let cuts = distribution.deciles
        guard let first = cuts.first, let last = cuts.last else { return clamp(0) }
        let reach = max((last - first) / 8, 1 / resolution)
        let upper = bucket < cuts.count ? cuts[bucket] : clamp(last + reach)
        // Steps on the resolution grid strictly above the lower cut (at or above it for the first bucket).
        var low: Double, high = (upper * resolution + 1e-9).rounded(.down)
        if bucket == 0 {
            low = (clamp(first - reach) * resolution - 1e-9).rounded(.up)
        } else {
            low = (cuts[bucket - 1] * resolution + 1e-9).rounded(.down) + 1
        }
        if let minimum { low = max(low, (minimum * resolution - 1e-9).rounded(.up)) }
        if let maximum { high = min(high, (maximum * resolution + 1e-9).rounded(.down)) }
        guard low <= high, low.magnitude < 1e15, high.magnitude < 1e15 else { return clamp(upper) }
        return Double(Int64.random(in: Int64(low)...Int64(high), using: &rng)) / resolution
    }
}

extension FeatureDistribution {
    /// The bucket a value falls in, as drift counts it: ≤ cut goes to the lower bucket.
    func bucketOf(_ value: Double) -> Int {
        deciles.firstIndex { value <= $0 } ?? deciles.count
    }
}
