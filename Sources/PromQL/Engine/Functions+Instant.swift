import Model
import Foundation
import TSDB

/// FunctionID names every PromQL function of Prometheus 2.42 for fast dispatch.
enum FunctionID: String {
    case abs, ceil, floor, exp, ln, log2, log10, sqrt, sgn, timestamp, sort
    case sortDesc = "sort_desc"
    case absent, acos, acosh, asin, asinh, atan, atanh, cos, cosh, sin, sinh, tan, tanh, deg, rad
    case histogramCount = "histogram_count", histogramSum = "histogram_sum"
    case histogramFraction = "histogram_fraction", histogramQuantile = "histogram_quantile"
    case rate, irate, increase, delta, idelta, deriv, resets, changes
    case absentOverTime = "absent_over_time", avgOverTime = "avg_over_time", minOverTime = "min_over_time"
    case maxOverTime = "max_over_time", sumOverTime = "sum_over_time", countOverTime = "count_over_time"
    case stddevOverTime = "stddev_over_time", stdvarOverTime = "stdvar_over_time"
    case lastOverTime = "last_over_time", presentOverTime = "present_over_time"
    case quantileOverTime = "quantile_over_time"
    case dayOfMonth = "day_of_month", dayOfWeek = "day_of_week", dayOfYear = "day_of_year"
    case daysInMonth = "days_in_month", hour, minute, month, year
    case clamp
    case clampMax = "clamp_max", clampMin = "clamp_min"
    case round
    case predictLinear = "predict_linear", holtWinters = "holt_winters"
    case labelReplace = "label_replace", labelJoin = "label_join"
    case vector, scalar, time, pi
    case unsupported
}

/// Functions over instant vectors and scalars, and the dispatch of every call.
extension Evaluator {
    func evalCall(_ call: CallNode, at t: Timestamp) throws(QueryError) -> StepValue {
        if let matrixIndex = call.matrixArgument {
            return .vector(try evalRangeFunction(call, matrixIndex: matrixIndex, at: t))
        }
        let args = call.args
        switch call.function {
        case .time:
            return .scalar(Double(t) / 1000)
        case .pi:
            return .scalar(Double.pi)
        case .vector:
            return .vector([VectorSample(labels: Labels(), t: t, v: try evalScalar(args[0], at: t))])
        case .scalar:
            let vector = try evalVector(args[0], at: t)
            return .scalar(vector.count == 1 ? vector[0].v : .nan)
        case .timestamp:
            var vector: [VectorSample]
            if case .vectorSelector(let selector) = args[0] {
                // A plain selector reports its samples' own times; anything else reports the evaluation time.
                vector = try selectInstant(selector, at: t, keepTimestamps: true)
            } else {
                vector = try evalVector(args[0], at: t)
            }
            for index in vector.indices {
                vector[index].v = Double(vector[index].t) / 1000
                vector[index].t = t
            }
            try dropMetricNamesCheckingCollisions(&vector, memo: call.memo)
            return .vector(vector)
        case .absent:
            let vector = try evalVector(args[0], at: t)
            return .vector(vector.isEmpty ? [VectorSample(labels: absentLabels(args[0]), t: t, v: 1)] : [])
        case .sort:
            var vector = try evalVector(args[0], at: t)
            goSortReversed(&vector, reverseValueHeapLess)
            return .vector(vector)
        case .sortDesc:
            var vector = try evalVector(args[0], at: t)
            goSortReversed(&vector, valueHeapLess)
            return .vector(vector)
        case .round:
            let toNearest = try args.count > 1 ? evalScalar(args[1], at: t) : 1
            let inverse = 1 / toNearest
            return .vector(try mapValues(args[0], at: t, memo: call.memo) { ($0 * inverse + 0.5).rounded(.down) / inverse })
        case .clamp:
            let vector = try evalVector(args[0], at: t)
            let low = try evalScalar(args[1], at: t)
            let high = try evalScalar(args[2], at: t)
            if high < low { return .vector([]) }
            return .vector(try mapValues(vector, memo: call.memo) { GoFloat.max(low, GoFloat.min(high, $0)) })
        case .clampMax:
            let vector = try evalVector(args[0], at: t)
            let high = try evalScalar(args[1], at: t)
            return .vector(try mapValues(vector, memo: call.memo) { GoFloat.min(high, $0) })
        case .clampMin:
            let vector = try evalVector(args[0], at: t)
            let low = try evalScalar(args[1], at: t)
            return .vector(try mapValues(vector, memo: call.memo) { GoFloat.max(low, $0) })
        case .dayOfMonth, .dayOfWeek, .dayOfYear, .daysInMonth, .hour, .minute, .month, .year:
            return .vector(try dateFunction(call.function, args, at: t, memo: call.memo))
        case .labelReplace:
            return .vector(try labelReplace(call, at: t))
        case .labelJoin:
            return .vector(try labelJoin(call, at: t))
        case .histogramQuantile:
            let q = try evalScalar(args[0], at: t)
            return .vector(try histogramQuantile(q, try evalVector(args[1], at: t), at: t, memo: memo(call.memo)))
        case .histogramCount, .histogramSum, .histogramFraction:
            // These read native histograms, which Vigil does not store; float samples yield nothing.
            for arg in args { _ = try eval(arg, at: t) }
            return .vector([])
        case .unsupported:
            throw QueryError.execution("function is not supported by this engine")
        default:
            guard let transform = Self.mathFunctions[call.function] else {
                throw QueryError.execution("function \(call.function.rawValue) expects a range vector")
            }
            return .vector(try mapValues(args[0], at: t, memo: call.memo, transform))
        }
    }

    /// mathFunctions are the per-element functions that only transform the value.
    static let mathFunctions: [FunctionID: @Sendable (Double) -> Double] = [
        .abs: { Swift.abs($0) },
        .ceil: { Foundation.ceil($0) },
        .floor: { Foundation.floor($0) },
        .exp: { Foundation.exp($0) },
        .sqrt: { $0.squareRoot() },
        .ln: { goLn($0) },
        // Go derives log2 and log10 from the natural logarithm; doing the same keeps more last digits equal.
        .log2: { goLog2($0) },
        .log10: { goLog2($0) * log10Of2 },
        .sgn: { $0 < 0 ? -1 : ($0 > 0 ? 1 : $0) },
        .acos: { Foundation.acos($0) },
        .acosh: { Foundation.acosh($0) },
        .asin: { Foundation.asin($0) },
        .asinh: { Foundation.asinh($0) },
        .atan: { Foundation.atan($0) },
        .atanh: { Foundation.atanh($0) },
        .cos: { Foundation.cos($0) },
        .cosh: { Foundation.cosh($0) },
        .sin: { Foundation.sin($0) },
        .sinh: { Foundation.sinh($0) },
        .tan: { Foundation.tan($0) },
        .tanh: { Foundation.tanh($0) },
        .deg: { $0 * 180 / Double.pi },
        .rad: { $0 * Double.pi / 180 },
    ]

    /// mapValues evaluates an instant vector and transforms each value, dropping the metric name.
    func mapValues(
        _ node: Node, at t: Timestamp, memo: Int, _ transform: (Double) -> Double
    ) throws(QueryError) -> [VectorSample] {
        try mapValues(try evalVector(node, at: t), memo: memo, transform)
    }

    func mapValues(_ vector: [VectorSample], memo: Int, _ transform: (Double) -> Double) throws(QueryError) -> [VectorSample] {
        var out = vector
        for index in out.indices { out[index].v = transform(out[index].v) }
        try dropMetricNamesCheckingCollisions(&out, memo: memo)
        return out
    }

    /// absentLabels are the labels `absent` reports: each label with exactly one equality matcher and no
    /// other matcher for it after that one.
    ///
    /// Order matters as in Prometheus 2.42: `{a!~"x", a="y"}` reports `a="y"`, `{a="y", a!~"x"}` does not.
    func absentLabels(_ node: Node) -> Labels {
        let matchers: [Matcher]
        switch node {
        case .vectorSelector(let selector): matchers = selector.matchers
        case .matrixSelector(let selector, _): matchers = selector.matchers
        default: return Labels()
        }
        var values: [String: String] = [:]
        var removed = Set<String>()
        for matcher in matchers where matcher.name != Labels.metricName && !removed.contains(matcher.name) {
            if values[matcher.name] != nil {
                values[matcher.name] = nil
                removed.insert(matcher.name)
            } else if matcher.type == .equal {
                values[matcher.name] = matcher.value
            }
        }
        return Labels(values)
    }

    // MARK: Dates

    /// dateFunction extracts a UTC calendar field from each value (seconds since the epoch),
    /// or from the evaluation time when called without an argument.
    private func dateFunction(_ function: FunctionID, _ args: [Node], at t: Timestamp, memo: Int) throws(QueryError) -> [VectorSample] {
        guard let arg = args.first else {
            // Go divides the milliseconds by 1000 with truncation.
            return [VectorSample(labels: Labels(), t: t, v: dateField(function, seconds: t / 1000))]
        }
        return try mapValues(arg, at: t, memo: memo) { dateField(function, seconds: GoFloat.int64($0)) }
    }
}

/// goLn is Go's `math.Log` as Prometheus's amd64 builds run it. Their assembly splits a number into fraction and
/// exponent by its bit fields, so a subnormal (below 2.2e-308) is read as if its exponent were the smallest normal
/// one: ln(5e-324) is -709.09 there, not -744.44. Every other value is the ordinary natural logarithm.
func goLn(_ x: Double) -> Double {
    guard x > 0, x < Double.leastNormalMagnitude else { return Foundation.log(x) }
    var fraction = Double(bitPattern: 0x3FE0_0000_0000_0000 | (x.bitPattern & 0x000F_FFFF_FFFF_FFFF))
    var exponent = -1022.0
    if fraction < 0.7071067811865476 {
        fraction *= 2
        exponent -= 1
    }
    return exponent * 0.6931471805599453 + Foundation.log(fraction)
}

/// goLog2 is Go's `math.Log2`: exact for powers of two, `log(frac)/ln 2 + exp` otherwise.
func goLog2(_ x: Double) -> Double {
    guard x.isFinite, x > 0 else { return Foundation.log2(x) }
    let exponent = x.exponent + 1
    let fraction = x.significand / 2
    if fraction == 0.5 { return Double(exponent - 1) }
    return Foundation.log(fraction) * log2OfE + Double(exponent)
}

/// log2OfE and log10Of2 are Go's constant expressions `1/Ln2` and `Ln2/Ln10`, correctly rounded.
private let log2OfE = 1.4426950408889634074
private let log10Of2 = 0.30102999566398119521

/// dateField computes a calendar field of a Unix time in UTC without Foundation's calendars,
/// which are slow and differ from Go for times far from the present.
func dateField(_ function: FunctionID, seconds: Int64) -> Double {
    let (days, secondOfDay) = seconds.floorDividedWithRemainder(by: 86_400)
    let (year, month, day) = civilFromDays(days)
    switch function {
    case .year: return Double(year)
    case .month: return Double(month)
    case .dayOfMonth: return Double(day)
    case .dayOfWeek:
        // 1970-01-01 was a Thursday (4).
        return Double((days % 7 + 11) % 7)
    case .dayOfYear:
        return Double(days - daysFromCivil(year: year, month: 1, day: 1) + 1)
    case .daysInMonth:
        let nextMonth = month == 12 ? daysFromCivil(year: year + 1, month: 1, day: 1) : daysFromCivil(year: year, month: month + 1, day: 1)
        return Double(nextMonth - daysFromCivil(year: year, month: month, day: 1))
    case .hour: return Double(secondOfDay / 3600)
    case .minute: return Double(secondOfDay % 3600 / 60)
    default: return .nan
    }
}

extension Int64 {
    /// floorDividedWithRemainder divides rounding towards negative infinity; the remainder is never negative.
    func floorDividedWithRemainder(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = self / divisor
        var remainder = self % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }
}
