import TSDB

/// VectorSample is one element of an instant vector: a series' labels with one value.
public struct VectorSample: Sendable, Equatable {
    public var labels: Labels
    /// t is the evaluation time in milliseconds, as in Prometheus's API output.
    public var t: Timestamp
    public var v: Double

    public init(labels: Labels, t: Timestamp, v: Double) {
        self.labels = labels
        self.t = t
        self.v = v
    }

    /// == compares values bit for bit so that NaN results compare equal in tests.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.labels == rhs.labels && lhs.t == rhs.t
            && (lhs.v.bitPattern == rhs.v.bitPattern || (lhs.v.isNaN && rhs.v.isNaN))
    }
}

/// QueryValue is the result of a query, shaped like Prometheus's `resultType`s.
public enum QueryValue: Sendable, Equatable {
    case scalar(t: Timestamp, v: Double)
    case string(t: Timestamp, String)
    /// vector keeps the order the expression produced, which `sort` and `topk` rely on.
    case vector([VectorSample])
    /// matrix holds one series per label set, sorted by labels.
    case matrix([Series])

    /// resultType is Prometheus's name for the value's type in API responses.
    public var resultType: String {
        switch self {
        case .scalar: "scalar"
        case .string: "string"
        case .vector: "vector"
        case .matrix: "matrix"
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let t1, let v1), .scalar(let t2, let v2)):
            t1 == t2 && (v1.bitPattern == v2.bitPattern || (v1.isNaN && v2.isNaN))
        case (.string(let t1, let s1), .string(let t2, let s2)): t1 == t2 && s1 == s2
        case (.vector(let a), .vector(let b)): a == b
        case (.matrix(let a), .matrix(let b)): a == b
        default: false
        }
    }
}

/// RangeSeries is one series of a range vector at one evaluation step: a window of samples.
///
/// The window is a slice of the data loaded for the whole query, so building it copies nothing.
struct RangeSeries {
    var labels: Labels
    /// nameless is `labels` without `__name__`, computed once per series rather than per step.
    var nameless: Labels
    var samples: ArraySlice<Sample>
}

/// StepValue is what an expression evaluates to at a single evaluation time.
enum StepValue {
    case scalar(Double)
    case string(String)
    case vector([VectorSample])
    case matrix([RangeSeries])

    var typeName: String {
        switch self {
        case .scalar: "scalar"
        case .string: "string"
        case .vector: "vector"
        case .matrix: "matrix"
        }
    }
}
