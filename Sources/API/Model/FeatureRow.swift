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
    /// The names as bytes, compared against request keys without making strings.
    let utf8Names: [[UInt8]]
    let index: [String: Int]

    public init(_ features: [FeatureSpec]) {
        self.features = features
        utf8Names = features.map { Array($0.name.utf8) }
        index = Dictionary(features.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var count: Int { features.count }
    public var names: [String] { features.map(\.name) }
}
