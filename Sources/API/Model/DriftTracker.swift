import Foundation
import Synchronization

/// Population stability index of each feature over the last `window` requests, against the training distribution.
///
/// Requests are not stored: each row leaves one bucket index per feature in a ring, and per-bucket
/// counts are kept up to date as the ring overwrites its oldest row. Recording is a few comparisons
/// per feature under a mutex; the PSI itself is computed when metrics are rendered.
public final class DriftTracker: Sendable {
    public let window: Int
    let distributions: [FeatureDistribution]
    /// The training deciles of every feature, `decilesPerFeature` each, read per request without copying arrays.
    private let deciles: [Double]
    private let decilesPerFeature: Int
    private let state: Mutex<State>

    struct State {
        /// Bucket indices, `featureCount` per row, for the last `window` rows.
        var ring: [UInt8]
        /// `featureCount * bucketCount` counts of the rows in the ring.
        var counts: [Int]
        var filled = 0
        var next = 0
    }

    /// A tracker for a model whose artifact carries a training distribution; nil otherwise.
    public init?(model: CompiledModel, window: Int) {
        guard window > 0, let distributions = model.artifact.trainingDistribution else { return nil }
        self.window = window
        self.distributions = distributions
        let decilesPerFeature = FeatureDistribution.bucketCount - 1
        guard distributions.allSatisfy({ $0.deciles.count == decilesPerFeature }) else { return nil }
        self.decilesPerFeature = decilesPerFeature
        deciles = distributions.flatMap(\.deciles)
        let features = distributions.count
        state = Mutex(State(ring: [UInt8](repeating: 0, count: window * features),
                            counts: [Int](repeating: 0, count: features * FeatureDistribution.bucketCount)))
    }

    /// Counts one row, imputing missing values as the model does, and forgets the oldest when the window is full.
    public func record(_ row: FeatureRow, model: CompiledModel) {
        let features = distributions.count
        guard row.values.count == features else { return }
        // Buckets are found before taking the lock, which then covers only the ring and count updates.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: features) { buckets in
            deciles.withUnsafeBufferPointer { deciles in
                for i in 0..<features {
                    let edges = UnsafeBufferPointer(rebasing: deciles[i * decilesPerFeature..<(i + 1) * decilesPerFeature])
                    buckets[i] = UInt8(truncatingIfNeeded: FeatureDistribution.bucket(of: model.effectiveValue(row.values[i], at: i), edges: edges))
                }
            }
            state.withLock { state in
                let base = state.next * features
                let full = state.filled == window
                for i in 0..<features {
                    let bucket = Int(buckets[i])
                    if full { state.counts[i * FeatureDistribution.bucketCount + Int(state.ring[base + i])] -= 1 }
                    state.ring[base + i] = buckets[i]
                    state.counts[i * FeatureDistribution.bucketCount + bucket] += 1
                }
                if !full { state.filled += 1 }
                state.next = state.next + 1 == window ? 0 : state.next + 1
            }
        }
    }

    /// How many rows the window holds now.
    public var observed: Int { state.withLock { $0.filled } }

    /// The PSI of each feature in model order; 0 before any row was seen.
    public func psi() -> [Double] {
        let (counts, filled) = state.withLock { ($0.counts, $0.filled) }
        guard filled > 0 else { return [Double](repeating: 0, count: distributions.count) }
        return distributions.indices.map { i in
            let live = (0..<FeatureDistribution.bucketCount).map { Double(counts[i * FeatureDistribution.bucketCount + $0]) / Double(filled) }
            return Self.populationStabilityIndex(expected: distributions[i].fractions, actual: live)
        }
    }

    /// Σ (actual − expected) · ln(actual / expected), with empty buckets floored so a new bucket counts but stays finite.
    public static func populationStabilityIndex(expected: [Double], actual: [Double]) -> Double {
        let floor = 1e-4
        var total = 0.0
        for (e, a) in zip(expected, actual) where e > 0 || a > 0 {
            let ee = max(e, floor), aa = max(a, floor)
            total += (aa - ee) * log(aa / ee)
        }
        return total
    }
}
