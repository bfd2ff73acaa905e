import TSDB

/// QueryPlan is an expression prepared for one query: the evaluation tree plus the storage
/// reads it needs, each with the widest time range any evaluation step will look at.
///
/// Preparing first means every selector is read from storage once per query, however many
/// steps a range query or subquery has, and evaluation itself never waits on storage.
struct QueryPlan {
    var root: Node
    var selectors: [SelectorRead]
    var subqueryCount: Int
    /// memoCount is the number of nodes that keep per-step memos (see `NodeMemo`).
    var memoCount: Int
}

/// SelectorRead is one storage read: the matchers and the closed time range [mint, maxt].
struct SelectorRead {
    var matchers: [Matcher]
    var mint: Timestamp
    var maxt: Timestamp
    /// dropsStaleMarkers is true for range selectors, whose windows never contain staleness markers.
    var dropsStaleMarkers: Bool
}

/// Node is the evaluation tree: an `Expr` with parentheses removed, `@ start()`/`@ end()`
/// resolved and every selector and subquery numbered.
indirect enum Node {
    case number(Double)
    case string(String)
    case vectorSelector(SelectorNode)
    case matrixSelector(SelectorNode, range: Int64)
    case subquery(SubqueryNode)
    case negate(Node, memo: Int)
    case binary(BinaryNode)
    case aggregation(AggregationNode)
    case call(CallNode)
}

struct SelectorNode {
    /// id indexes `QueryPlan.selectors` and the loaded data.
    var id: Int
    var matchers: [Matcher]
    var offset: Int64
    /// at is the `@` time in milliseconds, with `start()` and `end()` already resolved.
    var at: Timestamp?

    /// referenceTime is the time the selector looks back from when evaluated at `t`.
    @inline(__always)
    func referenceTime(_ t: Timestamp) -> Timestamp { (at ?? t).subtractingSaturated(offset) }
}

struct SubqueryNode {
    /// id indexes the evaluator's subquery caches.
    var id: Int
    var expr: Node
    var range: Int64
    var step: Int64
    var offset: Int64
    var at: Timestamp?
}

struct BinaryNode {
    var memo: Int
    var op: BinaryOperator
    var lhs: Node
    var rhs: Node
    var returnBool: Bool
    /// matching is set when both sides are instant vectors.
    var matching: VectorMatching?
}

struct AggregationNode {
    var memo: Int
    var op: AggregateOp
    var expr: Node
    var param: Node?
    /// grouping is sorted, as Prometheus sorts it before building group keys.
    var grouping: [String]
    var without: Bool
}

struct CallNode {
    var memo: Int
    var function: FunctionID
    var args: [Node]
    /// matrixArgument is the index of the range-vector argument, if the function takes one.
    var matrixArgument: Int?
    /// regex is the compiled `label_replace` pattern, or the error compiling it produced.
    var regex: Result<GoRegex, QueryError>?
}

extension Int64 {
    /// subtractingSaturated keeps far-out offsets and `@` times from trapping on overflow.
    @inline(__always)
    func subtractingSaturated(_ other: Int64) -> Int64 {
        let (result, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : result
    }

    @inline(__always)
    func addingSaturated(_ other: Int64) -> Int64 {
        let (result, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : result
    }
}

/// PlanBuilder turns an `Expr` into a `QueryPlan`, tracking the times each node is evaluated at.
struct PlanBuilder {
    let start: Timestamp
    let end: Timestamp
    let options: QueryOptions
    private(set) var selectors: [SelectorRead] = []
    private(set) var subqueryCount = 0
    private(set) var memoCount = 0

    init(start: Timestamp, end: Timestamp, options: QueryOptions) {
        self.start = start
        self.end = end
        self.options = options
    }

    static func plan(_ expr: Expr, start: Timestamp, end: Timestamp, options: QueryOptions) -> QueryPlan {
        var builder = PlanBuilder(start: start, end: end, options: options)
        let root = builder.build(expr, from: start, to: end)
        return QueryPlan(root: root, selectors: builder.selectors, subqueryCount: builder.subqueryCount, memoCount: builder.memoCount)
    }

    private func resolve(_ at: AtModifier) -> Timestamp? {
        switch at {
        case .none: nil
        case .time(let t): t
        case .start: start
        case .end: end
        }
    }

    /// build converts `expr`, which will be evaluated at times within [from, to].
    mutating func build(_ expr: Expr, from: Timestamp, to: Timestamp) -> Node {
        switch expr {
        case .number(let node):
            return .number(node.value)
        case .string(let node):
            return .string(node.value)
        case .paren(let node):
            return build(node.expr, from: from, to: to)
        case .vectorSelector(let node):
            let selector = addSelector(node, from: from, to: to, lookback: options.lookbackDelta, isRange: false)
            return .vectorSelector(selector)
        case .matrixSelector(let node):
            let selector = addSelector(node.vectorSelector, from: from, to: to, lookback: node.range, isRange: true)
            return .matrixSelector(selector, range: node.range)
        case .subquery(let node):
            let at = resolve(node.at)
            let innerTo = (at ?? to).subtractingSaturated(node.offset)
            let innerFrom = (at ?? from).subtractingSaturated(node.offset).subtractingSaturated(node.range)
            let id = subqueryCount
            subqueryCount += 1
            let inner = build(node.expr, from: innerFrom, to: innerTo)
            let step = node.step ?? options.defaultSubqueryStep
            return .subquery(SubqueryNode(id: id, expr: inner, range: node.range, step: max(step, 1), offset: node.offset, at: at))
        case .unary(let node):
            let inner = build(node.expr, from: from, to: to)
            if node.op == .plus { return inner }
            if case .number(let value) = inner { return .number(-value) }
            return .negate(inner, memo: nextMemo())
        case .binary(let node):
            let lhs = build(node.lhs, from: from, to: to)
            let rhs = build(node.rhs, from: from, to: to)
            return .binary(BinaryNode(memo: nextMemo(), op: node.op, lhs: lhs, rhs: rhs, returnBool: node.returnBool, matching: node.matching))
        case .aggregation(let node):
            let param = node.param.map { build($0, from: from, to: to) }
            let inner = build(node.expr, from: from, to: to)
            return .aggregation(
                AggregationNode(memo: nextMemo(), op: node.op, expr: inner, param: param, grouping: node.grouping.sorted(), without: node.without))
        case .call(let node):
            let args = node.args.map { build($0, from: from, to: to) }
            let id = FunctionID(rawValue: node.function.name) ?? .unsupported
            let matrixArgument = args.firstIndex { arg in
                switch arg {
                case .matrixSelector, .subquery: true
                default: false
                }
            }
            var call = CallNode(memo: nextMemo(), function: id, args: args, matrixArgument: matrixArgument)
            if id == .labelReplace, args.count == 5, case .string(let pattern) = args[4] {
                call.regex = Result { () throws(QueryError) -> GoRegex in
                    do { return try GoRegex.cached(anchored: pattern) } catch {
                        throw QueryError.execution("invalid regular expression in label_replace(): \(pattern)")
                    }
                }
            }
            return .call(call)
        }
    }

    private mutating func nextMemo() -> Int {
        memoCount += 1
        return memoCount - 1
    }

    private mutating func addSelector(
        _ node: VectorSelector, from: Timestamp, to: Timestamp, lookback: Int64, isRange: Bool
    ) -> SelectorNode {
        let at = resolve(node.at)
        let maxt = (at ?? to).subtractingSaturated(node.offset)
        let mint = (at ?? from).subtractingSaturated(node.offset).subtractingSaturated(lookback)
        let id = selectors.count
        selectors.append(SelectorRead(matchers: node.matchers, mint: mint, maxt: maxt, dropsStaleMarkers: isRange))
        return SelectorNode(id: id, matchers: node.matchers, offset: node.offset, at: at)
    }
}
