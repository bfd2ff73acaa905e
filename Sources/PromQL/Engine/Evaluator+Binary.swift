import Foundation
import TSDB

/// Binary operators: scalar/scalar, vector/scalar, vector/vector matching and the set operators.
extension Evaluator {
    func evalBinary(_ node: BinaryNode, at t: Timestamp) throws(QueryError) -> StepValue {
        let lhs = try eval(node.lhs, at: t)
        let rhs = try eval(node.rhs, at: t)
        switch (lhs, rhs) {
        case (.scalar(let left), .scalar(let right)):
            return .scalar(scalarBinop(node.op, left, right))
        case (.vector(let vector), .scalar(let scalar)):
            return .vector(try vectorScalarBinop(node.op, vector, scalar, swapped: false, returnBool: node.returnBool, memo: node.memo))
        case (.scalar(let scalar), .vector(let vector)):
            return .vector(try vectorScalarBinop(node.op, vector, scalar, swapped: true, returnBool: node.returnBool, memo: node.memo))
        case (.vector(let left), .vector(let right)):
            let matching = node.matching ?? VectorMatching(card: node.op.isSetOperator ? .manyToMany : .oneToOne)
            switch node.op {
            case .and: return .vector(vectorAnd(left, right, matching))
            case .or: return .vector(vectorOr(left, right, matching))
            case .unless: return .vector(vectorUnless(left, right, matching))
            default:
                return .vector(try vectorBinop(node.op, left, right, matching, returnBool: node.returnBool, memo: memo(node.memo)))
            }
        default:
            throw QueryError.execution("operator \(node.op.rawValue) not defined between \(lhs.typeName) and \(rhs.typeName)")
        }
    }

    /// scalarBinop applies an operator to two scalars; comparisons (always with `bool`) give 0 or 1.
    func scalarBinop(_ op: BinaryOperator, _ lhs: Double, _ rhs: Double) -> Double {
        let (value, keep) = elementBinop(op, lhs, rhs)
        return op.isComparison ? (keep ? 1 : 0) : value
    }

    /// vectorScalarBinop applies an operator between each element and a scalar.
    ///
    /// A comparison filters elements (keeping the element's value even when the vector is on
    /// the right) unless `bool` turns it into 0/1. Arithmetic and `bool` drop the metric name.
    func vectorScalarBinop(
        _ op: BinaryOperator, _ vector: [VectorSample], _ scalar: Double, swapped: Bool, returnBool: Bool, memo: Int
    ) throws(QueryError) -> [VectorSample] {
        var out: [VectorSample] = []
        out.reserveCapacity(vector.count)
        for var sample in vector {
            let (left, right) = swapped ? (scalar, sample.v) : (sample.v, scalar)
            var (value, keep) = elementBinop(op, left, right)
            if op.isComparison && swapped { value = right }
            if returnBool {
                value = keep ? 1 : 0
                keep = true
            }
            guard keep else { continue }
            sample.v = value
            out.append(sample)
        }
        if op.dropsMetricName || returnBool { try dropMetricNamesCheckingCollisions(&out, memo: memo) }
        return out
    }

    /// vectorBinop matches elements one-to-one, many-to-one or one-to-many and applies the operator.
    ///
    /// Matching depends only on labels, so when both sides have the same labels as at the
    /// previous step the remembered pairs are replayed and only the values are computed.
    func vectorBinop(
        _ op: BinaryOperator, _ lhs: [VectorSample], _ rhs: [VectorSample], _ matching: VectorMatching, returnBool: Bool,
        memo: NodeMemo
    ) throws(QueryError) -> [VectorSample] {
        if lhs.isEmpty || rhs.isEmpty { return [] }
        if let plan = memo.binop, plan.matches(lhs, rhs) {
            var out: [VectorSample] = []
            out.reserveCapacity(plan.pairs.count)
            for pair in plan.pairs {
                var (value, keep) = elementBinop(op, lhs[pair.lhs].v, rhs[pair.rhs].v)
                if returnBool {
                    value = keep ? 1 : 0
                } else if !keep {
                    continue
                }
                out.append(VectorSample(labels: pair.labels, t: lhs[pair.lhs].t, v: value))
            }
            try limits.tick(plan.pairs.count)
            return out
        }

        let signature = SignatureFunction(matching)
        // The "one" side goes on the right; group_right swaps and the values are swapped back below.
        let oneToMany = matching.card == .oneToMany
        let (many, one) = oneToMany ? (rhs, lhs) : (lhs, rhs)
        var oneBySignature: [Labels: Int] = [:]
        oneBySignature.reserveCapacity(one.count)
        for (index, sample) in one.enumerated() {
            let key = signature(sample.labels)
            if let duplicate = oneBySignature[key] {
                let side = oneToMany ? "left" : "right"
                throw QueryError.execution(
                    "found duplicate series for the match group \(goLabels(signature.matchLabels(sample.labels))) on the \(side) "
                        + "hand-side of the operation: [\(goLabels(sample.labels)), \(goLabels(one[duplicate].labels))]"
                        + ";many-to-many matching not allowed: matching labels must be unique on one side")
            }
            oneBySignature[key] = index
        }
        try limits.tick(one.count)

        // Pair every matching element first: the pairs do not depend on values and are remembered.
        var pairs: [(lhs: Int, rhs: Int, labels: Labels)] = []
        var keys: [Labels] = []
        pairs.reserveCapacity(many.count)
        for (manyIndex, sample) in many.enumerated() {
            let key = signature(sample.labels)
            guard let oneIndex = oneBySignature[key] else { continue }
            var metric = resultLabels(sample.labels, one[oneIndex].labels, op, matching)
            if returnBool { metric = metric.droppingMetricName }
            pairs.append(oneToMany ? (oneIndex, manyIndex, metric) : (manyIndex, oneIndex, metric))
            keys.append(key)
        }
        try limits.tick(many.count)

        var matchedOneToOne = Set<Labels>()
        var matchedManyToOne: [Labels: Set<Labels>] = [:]
        var out: [VectorSample] = []
        out.reserveCapacity(pairs.count)
        for (pair, key) in zip(pairs, keys) {
            var (value, keep) = elementBinop(op, lhs[pair.lhs].v, rhs[pair.rhs].v)
            if returnBool {
                value = keep ? 1 : 0
            } else if !keep {
                continue
            }
            if matching.card == .oneToOne {
                if !matchedOneToOne.insert(key).inserted {
                    throw QueryError.execution(
                        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
            } else if !matchedManyToOne[key, default: []].insert(pair.labels).inserted {
                throw QueryError.execution("multiple matches for labels: grouping labels must ensure unique matches")
            }
            out.append(VectorSample(labels: pair.labels, t: lhs[pair.lhs].t, v: value))
        }
        if matching.card != .oneToOne { try checkDistinctLabels(out) }

        // Replaying is safe when no subset of the pairs could trip a "multiple matches" error.
        let replayable = matching.card == .oneToOne ? Set(keys).count == keys.count : Set(pairs.map(\.labels)).count == pairs.count
        memo.binop = BinopPlan(lhs: lhs.map(\.labels), rhs: rhs.map(\.labels), pairs: pairs, replayable: replayable)
        return out
    }

    /// resultLabels builds an output element's labels from the "many" side as Prometheus does.
    private func resultLabels(_ many: Labels, _ one: Labels, _ op: BinaryOperator, _ matching: VectorMatching) -> Labels {
        var result = many
        if op.dropsMetricName { result = result.droppingMetricName }
        if matching.card == .oneToOne {
            let names = sortedUnique(matching.labels)
            result = matching.on ? result.keepingOnly(names) : result.removingAll(names)
        }
        for name in matching.include {
            result = result.setting(name, to: one[name] ?? "")
        }
        return result
    }

    func vectorAnd(_ lhs: [VectorSample], _ rhs: [VectorSample], _ matching: VectorMatching) -> [VectorSample] {
        if lhs.isEmpty || rhs.isEmpty { return [] }
        let signature = SignatureFunction(matching)
        let right = Set(rhs.map { signature($0.labels) })
        return lhs.filter { right.contains(signature($0.labels)) }
    }

    func vectorOr(_ lhs: [VectorSample], _ rhs: [VectorSample], _ matching: VectorMatching) -> [VectorSample] {
        if lhs.isEmpty { return rhs }
        if rhs.isEmpty { return lhs }
        let signature = SignatureFunction(matching)
        let left = Set(lhs.map { signature($0.labels) })
        return lhs + rhs.filter { !left.contains(signature($0.labels)) }
    }

    func vectorUnless(_ lhs: [VectorSample], _ rhs: [VectorSample], _ matching: VectorMatching) -> [VectorSample] {
        if lhs.isEmpty || rhs.isEmpty { return lhs }
        let signature = SignatureFunction(matching)
        let right = Set(rhs.map { signature($0.labels) })
        return lhs.filter { !right.contains(signature($0.labels)) }
    }
}

/// elementBinop is Prometheus's per-element operation: the value, and for comparisons whether
/// the comparison holds (the value is then the left operand).
@inline(__always)
func elementBinop(_ op: BinaryOperator, _ lhs: Double, _ rhs: Double) -> (Double, Bool) {
    switch op {
    case .add: (lhs + rhs, true)
    case .sub: (lhs - rhs, true)
    case .mul: (lhs * rhs, true)
    case .div: (lhs / rhs, true)
    case .pow: (Foundation.pow(lhs, rhs), true)
    case .mod: (fmod(lhs, rhs), true)
    case .atan2: (Foundation.atan2(lhs, rhs), true)
    case .eql: (lhs, lhs == rhs)
    case .neq: (lhs, lhs != rhs)
    case .gtr: (lhs, lhs > rhs)
    case .lss: (lhs, lhs < rhs)
    case .gte: (lhs, lhs >= rhs)
    case .lte: (lhs, lhs <= rhs)
    case .and, .or, .unless: (lhs, true)
    }
}

extension BinaryOperator {
    /// dropsMetricName is true for the arithmetic operators; `atan2` keeps the name in Prometheus 2.42.
    var dropsMetricName: Bool {
        switch self {
        case .add, .sub, .mul, .div, .pow, .mod: true
        default: false
        }
    }
}

/// SignatureFunction computes the key two elements must share to match.
///
/// With `on(…)` the key is the listed labels; otherwise it is every label except the
/// `ignoring(…)` ones and the metric name. Keys are exact label sets, not hashes, so two
/// different series can never be taken for a match.
struct SignatureFunction {
    let on: Bool
    /// names are sorted for `keepingOnly` and `removingAll`.
    let names: [String]

    init(_ matching: VectorMatching) {
        on = matching.on
        names = sortedUnique(matching.on ? matching.labels : matching.labels + [Labels.metricName])
    }

    @inline(__always)
    func callAsFunction(_ labels: Labels) -> Labels {
        on ? labels.keepingOnly(names) : labels.removingAll(names)
    }

    /// matchLabels is Prometheus's `MatchLabels`, used in error messages.
    func matchLabels(_ labels: Labels) -> Labels { callAsFunction(labels) }
}

/// goLabels prints labels as Go's `labels.Labels.String()`: `{__name__="up", job="api"}`.
func goLabels(_ labels: Labels) -> String {
    "{" + labels.map { "\($0.name)=\(GoSyntax.quote($0.value))" }.joined(separator: ", ") + "}"
}
