/// One request's inputs in the model's feature order; NaN marks a value that was not supplied.
public struct FeatureRow: Sendable, Equatable {
    public var values: [Double]

    public init(values: [Double]) {
        self.values = values
    }

    /// Rows compare equal when every value is equal or both are missing.
    public static func == (lhs: FeatureRow, rhs: FeatureRow) -> Bool {
        lhs.values.count == rhs.values.count
            && zip(lhs.values, rhs.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }
}

/// The request-side view of a model's features: specs plus the lookups request readers need.
public struct FeatureSchema: Sendable {
    public let features: [FeatureSpec]
    /// Every name's bytes, one after another, compared against request keys without making strings.
    let nameBytes: [UInt8]
    /// Where each feature's name lies in `nameBytes`.
    let nameRanges: [Range<Int>]
    /// Per feature, the checks a typical value needs, in a type that copies without reference counting.
    let bounds: [FeatureBounds]
    let index: [String: Int]

    public init(_ features: [FeatureSpec]) {
        self.features = features
        var nameBytes: [UInt8] = []
        nameRanges = features.map { feature in
            let start = nameBytes.count
            nameBytes.append(contentsOf: feature.name.utf8)
            return start..<nameBytes.count
        }
        self.nameBytes = nameBytes
        bounds = features.map(FeatureBounds.init)
        index = Dictionary(features.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether a value is valid for the feature at `index`; the same answer as `FeatureSpec.accepts`.
    ///
    /// Values in range are decided by the bounds alone; only the rest need the spec's missing-value markers.
    @inline(__always)
    func accepts(_ value: Double, at index: Int) -> Bool {
        bounds[index].acceptsAsMeasurement(value) || features[index].accepts(value)
    }

    public var count: Int { features.count }
    public var names: [String] { features.map(\.name) }
}

/// A feature's type and range, the part of `FeatureSpec` the request readers check on every value.
struct FeatureBounds: Sendable {
    let isInteger: Bool
    let minimum: Double
    let maximum: Double

    init(_ spec: FeatureSpec) {
        isInteger = spec.type == .integer
        minimum = spec.minimum ?? -.infinity
        maximum = spec.maximum ?? .infinity
    }

    /// Whether a value is a valid measurement; a false answer may still be a missing-value marker.
    @inline(__always)
    func acceptsAsMeasurement(_ value: Double) -> Bool {
        value.isFinite && value >= minimum && value <= maximum && (!isInteger || value == value.rounded())
    }
}
