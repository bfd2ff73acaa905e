import TSDB

/// histogram_quantile over classic histograms: bucket series told apart by their `le` label.
extension Evaluator {
    /// histogramQuantile groups bucket series by their labels without `le` and estimates the
    /// φ-quantile of each group.
    ///
    /// Series whose `le` is missing or not a number are skipped. The result drops the metric
    /// name; histograms of different metrics with otherwise equal labels therefore collide,
    /// which is the "same labelset" error, as in Prometheus.
    func histogramQuantile(
        _ q: Double, _ vector: [VectorSample], at t: Timestamp, memo: NodeMemo
    ) throws(QueryError) -> [VectorSample] {
        let plan: BucketPlan
        if let remembered = memo.buckets, sameLabels(vector, remembered.inputs) {
            plan = remembered
        } else {
            plan = bucketPlan(vector)
            memo.buckets = plan
        }
        var buckets = [[Bucket]](repeating: [], count: plan.groupLabels.count)
        for (index, sample) in vector.enumerated() {
            let group = plan.groupOf[index]
            guard group >= 0 else { continue }
            buckets[group].append(Bucket(upperBound: plan.bounds[index], count: sample.v))
        }
        try limits.tick(vector.count)
        var out: [VectorSample] = []
        out.reserveCapacity(buckets.count)
        for (group, list) in buckets.enumerated() {
            out.append(VectorSample(labels: plan.groupLabels[group], t: t, v: bucketQuantile(q, list)))
        }
        try checkDistinctLabels(out, memo: memo)
        return out
    }

    /// bucketPlan parses each element's `le` and groups the elements by their other labels.
    private func bucketPlan(_ vector: [VectorSample]) -> BucketPlan {
        var groupOf: [Int] = []
        var bounds: [Double] = []
        var groupLabels: [Labels] = []
        var index: [Labels: Int] = [:]
        groupOf.reserveCapacity(vector.count)
        bounds.reserveCapacity(vector.count)
        for sample in vector {
            guard let bound = sample.labels["le"].flatMap(GoFloat.parseFloat) else {
                groupOf.append(-1)
                bounds.append(.nan)
                continue
            }
            // The metric name is part of the key, so different histograms stay apart until the name is dropped.
            let key = sample.labels.removingAll(["le"])
            if let group = index[key] {
                groupOf.append(group)
            } else {
                index[key] = groupLabels.count
                groupOf.append(groupLabels.count)
                groupLabels.append(key.droppingMetricName)
            }
            bounds.append(bound)
        }
        return BucketPlan(inputs: vector.map(\.labels), groupOf: groupOf, bounds: bounds, groupLabels: groupLabels)
    }
}

/// Bucket is one cumulative bucket of a classic histogram.
struct Bucket {
    var upperBound: Double
    var count: Double
}

/// bucketQuantile estimates the q-quantile from cumulative buckets by linear interpolation.
///
/// The edge cases follow Prometheus: q < 0 is -Inf, q > 1 is +Inf, NaN q is NaN; without a
/// +Inf bucket, with fewer than two buckets or with no observations the result is NaN;
/// buckets with equal bounds are merged and decreasing counts are raised to keep the
/// histogram monotonic. A quantile in the +Inf bucket is the second highest bound, and one
/// in the lowest bucket interpolates from 0 unless that bucket's bound is not positive.
func bucketQuantile(_ q: Double, _ input: [Bucket]) -> Double {
    if q.isNaN { return .nan }
    if q < 0 { return -.infinity }
    if q > 1 { return .infinity }
    var buckets = input.sorted { $0.upperBound < $1.upperBound }
    guard let highest = buckets.last, highest.upperBound == .infinity else { return .nan }
    buckets = coalesceBuckets(buckets)
    ensureMonotonic(&buckets)
    if buckets.count < 2 { return .nan }
    let observations = buckets[buckets.count - 1].count
    if observations == 0 { return .nan }
    var rank = q * observations
    // The first bucket, among all but the last, whose count reaches the rank.
    var b = buckets.count - 1
    var low = 0, high = buckets.count - 1
    while low < high {
        let mid = (low + high) / 2
        if buckets[mid].count >= rank { high = mid } else { low = mid + 1 }
    }
    b = low
    if b == buckets.count - 1 { return buckets[buckets.count - 2].upperBound }
    if b == 0 && buckets[0].upperBound <= 0 { return buckets[0].upperBound }
    var bucketStart = 0.0
    let bucketEnd = buckets[b].upperBound
    var count = buckets[b].count
    if b > 0 {
        bucketStart = buckets[b - 1].upperBound
        count -= buckets[b - 1].count
        rank -= buckets[b - 1].count
    }
    return bucketStart + (bucketEnd - bucketStart) * (rank / count)
}

/// coalesceBuckets merges buckets with the same upper bound (e.g. `le="0.2"` and `le="2e-1"`), adding their counts.
func coalesceBuckets(_ buckets: [Bucket]) -> [Bucket] {
    var out: [Bucket] = []
    out.reserveCapacity(buckets.count)
    for bucket in buckets {
        if let last = out.last, last.upperBound == bucket.upperBound {
            out[out.count - 1].count += bucket.count
        } else {
            out.append(bucket)
        }
    }
    return out
}

/// ensureMonotonic raises any count below an earlier bucket's count to that count.
///
/// Non-monotonic buckets happen when buckets are scraped or recorded at slightly different
/// times; without the fix the interpolation could produce nonsense.
func ensureMonotonic(_ buckets: inout [Bucket]) {
    var maximum = -Double.infinity
    for index in buckets.indices {
        if buckets[index].count > maximum {
            maximum = buckets[index].count
        } else if buckets[index].count < maximum {
            buckets[index].count = maximum
        }
    }
}
