import Foundation
import TSDB

/// Functions over a range vector: rate and friends, regressions, and the `*_over_time` family.
extension Evaluator {
    /// evalRangeFunction evaluates a call whose argument `matrixIndex` is a range selector or subquery.
    ///
    /// The function runs once per series with samples in the window; series without samples
    /// produce nothing. Every function but `last_over_time` drops the metric name.
    func evalRangeFunction(_ call: CallNode, matrixIndex: Int, at t: Timestamp) throws(QueryError) -> [VectorSample] {
        var scalars = [Double](repeating: 0, count: call.args.count)
        for (index, arg) in call.args.enumerated() where index != matrixIndex {
            scalars[index] = try evalScalar(arg, at: t)
        }
        let function = call.function
        if case .matrixSelector(let selector, let range) = call.args[matrixIndex], function != .absentOverTime {
            return try evalRangeFunction(call, over: selector, range: range, scalars: scalars, at: t)
        }
        let window: [RangeSeries]
        let rangeEnd: Timestamp
        let range: Int64
        switch call.args[matrixIndex] {
        case .matrixSelector(let selector, let selectorRange):
            window = try selectRange(selector, range: selectorRange, at: t)
            rangeEnd = selector.referenceTime(t)
            range = selectorRange
        case .subquery(let subquery):
            window = try evalSubquery(subquery, at: t)
            rangeEnd = (subquery.at ?? t).subtractingSaturated(subquery.offset)
            range = subquery.range
        default:
            throw QueryError.execution("function \(call.function.rawValue) expects a range vector")
        }
        if function == .absentOverTime {
            guard window.isEmpty else { return [] }
            return [VectorSample(labels: absentLabels(call.args[matrixIndex]), t: t, v: 1)]
        }
        // Prometheus rejects bad factors only when a series has samples to smooth.
        if function == .holtWinters, !window.isEmpty { try checkHoltWintersFactors(smoothing: scalars[1], trend: scalars[2]) }
        let context = RangeContext(rangeStart: rangeEnd.subtractingSaturated(range), rangeEnd: rangeEnd, range: range, t: t)
        var out: [VectorSample] = []
        out.reserveCapacity(window.count)
        // A subquery's series appear over time, so names that differ later must still be
        // checked against earlier steps: always keep track.
        let checked = function != .lastOverTime
        var inputs: [Labels] = []
        for series in window {
            let value = series.samples.withUnsafeBufferPointer { samples in rangeFunction(function, samples, scalars, context) }
            guard let value else { continue }
            if function == .lastOverTime {
                out.append(VectorSample(labels: series.labels, t: t, v: value))
            } else {
                if checked { inputs.append(series.labels) }
                out.append(VectorSample(labels: series.nameless, t: t, v: value))
            }
        }
        try limits.tick(window.count)
        // Prometheus checks the function's whole result matrix, so collisions count across steps.
        if checked { try checkCollisionsAcrossSteps(inputs, out, memo: memo(call.memo)) }
        return out
    }

    /// evalRangeFunction over a range selector computes each series' value straight from the
    /// loaded samples, without building a range vector first.
    ///
    /// This is the path of nearly every rule and dashboard query (`rate(x[5m])`); building
    /// the intermediate window cost three reference-count pairs per series and step.
    private func evalRangeFunction(
        _ call: CallNode, over selector: SelectorNode, range: Int64, scalars: [Double], at t: Timestamp
    ) throws(QueryError) -> [VectorSample] {
        let function = call.function
        let rangeEnd = selector.referenceTime(t)
        let rangeStart = rangeEnd.subtractingSaturated(range)
        let context = RangeContext(rangeStart: rangeStart, rangeEnd: rangeEnd, range: range, t: t)
        let seriesList = data[selector.id]
        let nameless = function == .lastOverTime ? [] : namelessLabels(selector.id)
        // Dropping names can only make series collide when the source has several metric names,
        // which a selector's data tells up front.
        let checked = function != .lastOverTime && selectorNamesDiffer(selector.id)
        var inputs: [Labels] = []
        var out: [VectorSample] = []
        out.reserveCapacity(seriesList.count)
        var total = 0
        cursors[selector.id].withUnsafeMutableBufferPointer { cursor in
            for index in seriesList.indices {
                seriesList[index].samples.withUnsafeBufferPointer { all in
                    let low = seek(all, atOrAfter: rangeStart, from: cursor[index].low)
                    let high = seek(all, after: rangeEnd, from: Swift.max(cursor[index].high, low))
                    cursor[index] = (low, high)
                    guard low < high else { return }
                    total += high - low
                    let window = SampleWindow(rebasing: all[low..<high])
                    guard let value = rangeFunction(function, window, scalars, context) else { return }
                    if function == .lastOverTime {
                        out.append(VectorSample(labels: seriesList[index].labels, t: t, v: value))
                    } else {
                        if checked { inputs.append(seriesList[index].labels) }
                        out.append(VectorSample(labels: nameless[index], t: t, v: value))
                    }
                }
            }
        }
        if function == .holtWinters, total > 0 { try checkHoltWintersFactors(smoothing: scalars[1], trend: scalars[2]) }
        // The same accounting as `selectRange`: the window's samples, then the function's work.
        try limits.tick(seriesList.count)
        try limits.use(total)
        try limits.tick(out.count)
        if checked { try checkCollisionsAcrossSteps(inputs, out, memo: memo(call.memo)) }
        return out
    }

    /// RangeContext is what the extrapolating functions need to know about the window.
    struct RangeContext {
        var rangeStart: Timestamp
        var rangeEnd: Timestamp
        var range: Int64
        /// t is the evaluation time, which `predict_linear` predicts from.
        var t: Timestamp
    }

    /// rangeFunction is one range function's value over one series' window; nil when it has none.
    ///
    /// It cannot fail: the callers check the arguments that make a function fail (holt_winters' factors).
    private func rangeFunction(
        _ function: FunctionID, _ samples: SampleWindow, _ scalars: [Double], _ context: RangeContext
    ) -> Double? {
        switch function {
        case .rate: return extrapolatedRate(samples, context, isCounter: true, isRate: true)
        case .increase: return extrapolatedRate(samples, context, isCounter: true, isRate: false)
        case .delta: return extrapolatedRate(samples, context, isCounter: false, isRate: false)
        case .irate: return instantValue(samples, isRate: true)
        case .idelta: return instantValue(samples, isRate: false)
        case .deriv:
            guard samples.count >= 2 else { return nil }
            return linearRegression(samples, interceptTime: samples.first!.t).slope
        case .predictLinear:
            guard samples.count >= 2 else { return nil }
            let (slope, intercept) = linearRegression(samples, interceptTime: context.t)
            return slope * scalars[1] + intercept
        case .holtWinters:
            return holtWinters(samples, smoothing: scalars[1], trend: scalars[2])
        case .resets:
            var resets = 0
            var previous = samples.first!.v
            for sample in samples.dropFirst() {
                if sample.v < previous { resets += 1 }
                previous = sample.v
            }
            return Double(resets)
        case .changes:
            var changes = 0
            var previous = samples.first!.v
            for sample in samples.dropFirst() {
                if sample.v != previous && !(sample.v.isNaN && previous.isNaN) { changes += 1 }
                previous = sample.v
            }
            return Double(changes)
        case .avgOverTime: return averageOverTime(samples)
        case .sumOverTime:
            var sum = KahanSum()
            for sample in samples { sum.add(sample.v) }
            return sum.value
        case .countOverTime: return Double(samples.count)
        case .minOverTime:
            var result = samples.first!.v
            for sample in samples where result > sample.v || result.isNaN { result = sample.v }
            return result
        case .maxOverTime:
            var result = samples.first!.v
            for sample in samples where result < sample.v || result.isNaN { result = sample.v }
            return result
        case .stddevOverTime: return varianceOverTime(samples).squareRoot()
        case .stdvarOverTime: return varianceOverTime(samples)
        case .quantileOverTime: return quantile(scalars[0], samples.map(\.v))
        case .lastOverTime: return samples.last!.v
        case .presentOverTime: return 1
        default:
            // The planner only routes range functions here.
            preconditionFailure("function \(function.rawValue) does not take a range vector")
        }
    }
}

/// SampleWindow is one series' samples inside a range, viewed in place in the loaded data.
typealias SampleWindow = UnsafeBufferPointer<Sample>

/// NameTracker notices whether the series passing by have different metric names, which is
/// the only way dropping the names can make two of them collide.
struct NameTracker {
    private var first: String??
    private(set) var differ = false

    mutating func observe(_ labels: Labels) {
        let name = labels.name
        if let first {
            if first != name { differ = true }
        } else {
            first = .some(name)
        }
    }
}

/// extrapolatedRate is `rate`, `increase` and `delta` as Prometheus 2.42 computes them.
///
/// The difference between the first and last sample (corrected for counter resets) is
/// extrapolated towards the window's edges: all the way when the first or last sample is
/// within 110 % of the average sample spacing from its edge, else by half a spacing, as
/// the series probably starts or ends inside the window. A counter is never extrapolated
/// below zero.
func extrapolatedRate(
    _ samples: SampleWindow, _ context: Evaluator.RangeContext, isCounter: Bool, isRate: Bool
) -> Double? {
    guard samples.count >= 2, let first = samples.first, let last = samples.last else { return nil }
    var result = last.v - first.v
    if isCounter {
        var previous = first.v
        for sample in samples.dropFirst() {
            if sample.v < previous { result += previous }
            previous = sample.v
        }
    }
    var durationToStart = Double(first.t - context.rangeStart) / 1000
    let durationToEnd = Double(context.rangeEnd - last.t) / 1000
    let sampledInterval = Double(last.t - first.t) / 1000
    let averageDurationBetweenSamples = sampledInterval / Double(samples.count - 1)

    if isCounter && result > 0 && first.v >= 0 {
        let durationToZero = sampledInterval * (first.v / result)
        if durationToZero < durationToStart { durationToStart = durationToZero }
    }
    let extrapolationThreshold = averageDurationBetweenSamples * 1.1
    var extrapolateToInterval = sampledInterval
    extrapolateToInterval +=
        durationToStart < extrapolationThreshold ? durationToStart : averageDurationBetweenSamples / 2
    extrapolateToInterval += durationToEnd < extrapolationThreshold ? durationToEnd : averageDurationBetweenSamples / 2
    var factor = extrapolateToInterval / sampledInterval
    if isRate { factor /= Double(context.range) / 1000 }
    return result * factor
}

/// instantValue is `irate` and `idelta`: the change between the last two samples.
func instantValue(_ samples: SampleWindow, isRate: Bool) -> Double? {
    guard samples.count >= 2 else { return nil }
    let last = samples[samples.endIndex - 1]
    let previous = samples[samples.endIndex - 2]
    var result = isRate && last.v < previous.v ? last.v : last.v - previous.v
    let interval = last.t - previous.t
    if interval == 0 { return nil }
    if isRate { result /= Double(interval) / 1000 }
    return result
}

/// linearRegression fits least squares through the samples, with x in seconds relative to `interceptTime`.
///
/// A constant series has slope 0 (NaN when the constant is infinite), which plain least
/// squares would get wrong through rounding.
func linearRegression(_ samples: SampleWindow, interceptTime: Timestamp) -> (slope: Double, intercept: Double) {
    var n = 0.0
    var sumX = KahanSum(), sumY = KahanSum(), sumXY = KahanSum(), sumX2 = KahanSum()
    let initialY = samples.first!.v
    var constantY = true
    for (index, sample) in samples.enumerated() {
        if constantY && index > 0 && sample.v != initialY { constantY = false }
        n += 1
        let x = Double(sample.t - interceptTime) / 1000
        sumX.add(x)
        sumY.add(sample.v)
        sumXY.add(x * sample.v)
        sumX2.add(x * x)
    }
    if constantY {
        if initialY.isInfinite { return (.nan, .nan) }
        return (0, initialY)
    }
    let x = sumX.total, y = sumY.total, xy = sumXY.total, x2 = sumX2.total
    let covXY = xy - x * y / n
    let varX = x2 - x * x / n
    let slope = covXY / varX
    let intercept = y / n - slope * x / n
    return (slope, intercept)
}

/// checkHoltWintersFactors fails unless both factors lie strictly between 0 and 1, as holt_winters requires.
func checkHoltWintersFactors(smoothing sf: Double, trend tf: Double) throws(QueryError) {
    if sf <= 0 || sf >= 1 {
        throw QueryError.execution("invalid smoothing factor. Expected: 0 < sf < 1, got: \(goFixed(sf))")
    }
    if tf <= 0 || tf >= 1 {
        throw QueryError.execution("invalid trend factor. Expected: 0 < tf < 1, got: \(goFixed(tf))")
    }
}

/// holtWinters is double exponential smoothing with factors that `checkHoltWintersFactors` accepted.
func holtWinters(_ samples: SampleWindow, smoothing sf: Double, trend tf: Double) -> Double? {
    guard samples.count >= 2 else { return nil }
    let values = Array(samples.lazy.map(\.v))
    var s0 = 0.0
    var s1 = values[0]
    var b = values[1] - values[0]
    for i in 1..<values.count {
        let x = sf * values[i]
        if i > 1 { b = tf * (s1 - s0) + (1 - tf) * b }
        let y = (1 - sf) * (s1 + b)
        s0 = s1
        s1 = x + y
    }
    return s1
}

/// goFixed is Go's `%f`: six decimals.
func goFixed(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
    return String(format: "%.6f", value)
}

/// averageOverTime is a running mean with compensated summation, robust to huge values and infinities.
func averageOverTime(_ samples: SampleWindow) -> Double {
    var mean = KahanSum()
    var count = 0.0
    for sample in samples {
        count += 1
        let v = sample.v
        if mean.sum.isInfinite {
            if v.isInfinite && (mean.sum > 0) == (v > 0) { continue }
            if !v.isInfinite && !v.isNaN { continue }
        }
        mean.add(v / count - mean.sum / count)
    }
    return mean.value
}

/// varianceOverTime is the population variance by Welford's method with compensated sums.
func varianceOverTime(_ samples: SampleWindow) -> Double {
    var count = 0.0
    var mean = KahanSum()
    var aux = KahanSum()
    for sample in samples {
        count += 1
        let delta = sample.v - mean.total
        mean.add(delta / count)
        aux.add(delta * (sample.v - mean.total))
    }
    return aux.total / count
}

/// KahanSum is Neumaier's compensated summation, as Prometheus uses for `*_over_time`.
struct KahanSum {
    var sum = 0.0
    var compensation = 0.0

    @inline(__always)
    mutating func add(_ increment: Double) {
        let t = sum + increment
        if abs(sum) >= abs(increment) {
            compensation += (sum - t) + increment
        } else {
            compensation += (increment - t) + sum
        }
        sum = t
    }

    /// total is the compensated sum.
    var total: Double { sum + compensation }

    /// value is the compensated sum, except that an infinite sum is returned as is (Inf + NaN compensation would be NaN).
    var value: Double { sum.isInfinite ? sum : sum + compensation }
}
