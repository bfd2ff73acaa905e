/// One value of a series at one time.
public struct Sample: Hashable, Sendable {
    public var t: Timestamp
    public var v: Double

    public init(t: Timestamp, v: Double) {
        self.t = t
        self.v = v
    }

    /// Compares values bit for bit, so NaNs and staleness markers compare equal to themselves.
    public static func == (lhs: Sample, rhs: Sample) -> Bool {
        lhs.t == rhs.t && lhs.v.bitPattern == rhs.v.bitPattern
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(t)
        hasher.combine(v.bitPattern)
    }
}

/// Prometheus's staleness marker: a NaN with a payload no arithmetic produces.
///
/// Scrapes write it when a series disappears, and queries treat a series as ended at it.
public enum StaleNaN {
    public static let bitPattern: UInt64 = 0x7FF0_0000_0000_0002
    public static let value = Double(bitPattern: bitPattern)

    public static func isStale(_ value: Double) -> Bool { value.bitPattern == bitPattern }
}

/// A series' labels with its samples in time order.
public struct Series: Sendable, Equatable {
    public var labels: Labels
    public var samples: [Sample]

    public init(labels: Labels, samples: [Sample]) {
        self.labels = labels
        self.samples = samples
    }
}
