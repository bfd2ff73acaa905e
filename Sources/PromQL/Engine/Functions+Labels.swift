import Model
import TSDB

/// label_replace and label_join.
extension Evaluator {
    /// labelReplace sets `dst` to the expansion of `replacement` when `regex` matches the whole `src` value.
    ///
    /// An empty expansion removes `dst`. The regex and `dst` are validated at every evaluation,
    /// even of an empty vector, as Prometheus does.
    func labelReplace(_ call: CallNode, at t: Timestamp) throws(QueryError) -> [VectorSample] {
        let vector = try evalVector(call.args[0], at: t)
        let destination = try stringArgument(call.args[1], at: t)
        let replacement = try stringArgument(call.args[2], at: t)
        let source = try stringArgument(call.args[3], at: t)
        let regex: GoRegex
        switch call.regex {
        case .success(let compiled)?:
            regex = compiled
        case .failure(let error)?:
            throw error
        case nil:
            let pattern = try stringArgument(call.args[4], at: t)
            do { regex = try GoRegex.cached(anchored: pattern) } catch {
                throw QueryError.execution("invalid regular expression in label_replace(): \(pattern)")
            }
        }
        guard LabelName.isValid(destination) else {
            throw QueryError.execution("invalid destination label name in label_replace(): \(destination)")
        }
        var out = vector
        let memo = memo(call.memo)
        memo.renamed.map(&out) { labels in
            guard let captures = regex.captures(labels[source] ?? "") else { return labels }
            return labels.setting(destination, to: regex.expand(replacement, captures: captures))
        }
        try limits.tick(out.count)
        try checkDistinctLabels(out, memo: memo)
        return out
    }

    /// labelJoin sets `dst` to the values of the source labels joined by `separator`.
    func labelJoin(_ call: CallNode, at t: Timestamp) throws(QueryError) -> [VectorSample] {
        let vector = try evalVector(call.args[0], at: t)
        let destination = try stringArgument(call.args[1], at: t)
        let separator = try stringArgument(call.args[2], at: t)
        var sources: [String] = []
        for arg in call.args.dropFirst(3) {
            let source = try stringArgument(arg, at: t)
            guard LabelName.isValid(source) else {
                throw QueryError.execution("invalid source label name in label_join(): \(source)")
            }
            sources.append(source)
        }
        guard LabelName.isValid(destination) else {
            throw QueryError.execution("invalid destination label name in label_join(): \(destination)")
        }
        var out = vector
        let memo = memo(call.memo)
        memo.renamed.map(&out) { labels in
            labels.setting(destination, to: sources.map { labels[$0] ?? "" }.joined(separator: separator))
        }
        try limits.tick(out.count)
        try checkDistinctLabels(out, memo: memo)
        return out
    }

    private func stringArgument(_ node: Node, at t: Timestamp) throws(QueryError) -> String {
        switch try eval(node, at: t) {
        case .string(let value): return value
        case let other: throw QueryError.execution("expected string argument, got \(other.typeName)")
        }
    }
}
