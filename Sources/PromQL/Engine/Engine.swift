import TSDB

/// PromQLEngine evaluates PromQL queries against a `Querier` with Prometheus 2.42's semantics.
///
/// It is a value: cheap to copy and safe to share. Each query reads every selector's data
/// once, for the widest time range any step needs, then evaluates without touching storage.
/// Rules hold a parsed `Expr` and call `instantQuery` with it on every evaluation.
public struct PromQLEngine: Sendable {
    public let querier: any Querier
    public var options: QueryOptions

    public init(querier: any Querier, options: QueryOptions = QueryOptions()) {
        self.querier = querier
        self.options = options
    }

    // MARK: Instant queries

    /// instantQuery parses and evaluates `query` at time `t` (milliseconds).
    public func instantQuery(_ query: String, at t: Timestamp) async throws(QueryError) -> QueryValue {
        try await instantQuery(try parse(query), at: t)
    }

    /// instantQuery evaluates an already parsed expression at time `t` (milliseconds).
    ///
    /// Vectors keep the order the expression produced them in; samples carry `t`.
    public func instantQuery(_ expr: Expr, at t: Timestamp) async throws(QueryError) -> QueryValue {
        var limits = QueryLimits(options: options)
        let plan = PlanBuilder.plan(expr, start: t, end: t, options: options)
        let data = try await load(plan, &limits)
        let prepared = PreparedQuery(plan: plan, data: data, limits: limits, options: options)
        return try await evaluate(prepared, steps: 1) { prepared throws(QueryError) in try Self.evaluateInstant(prepared, at: t) }
    }

    /// evaluateInstant runs a loaded instant query.
    private static func evaluateInstant(_ prepared: PreparedQuery, at t: Timestamp) throws(QueryError) -> QueryValue {
        let plan = prepared.plan
        let evaluator = Evaluator(data: prepared.data, subqueryCount: plan.subqueryCount, memoCount: plan.memoCount,
                                  options: prepared.options, limits: prepared.limits)
        switch try evaluator.eval(plan.root, at: t) {
        case .scalar(let value):
            return .scalar(t: t, v: value)
        case .string(let value):
            return .string(t: t, value)
        case .vector(var vector):
            for index in vector.indices { vector[index].t = t }
            return .vector(vector)
        case .matrix(let window):
            return .matrix(window.map { Series(labels: $0.labels, samples: Array($0.samples)) }.sorted { $0.labels < $1.labels })
        }
    }

    // MARK: Range queries

    /// rangeQuery parses and evaluates `query` at every `step` from `start` through `end` (all milliseconds).
    public func rangeQuery(_ query: String, start: Timestamp, end: Timestamp, step: Int64) async throws(QueryError) -> QueryValue {
        try await rangeQuery(try parse(query), start: start, end: end, step: step)
    }

    /// rangeQuery evaluates an expression at every `step` from `start` through `end`, returning a matrix sorted by labels.
    ///
    /// The request is checked as Prometheus's API checks it: a positive step, `end` not
    /// before `start`, at most `maxPointsPerSeries` steps, and a scalar or instant-vector expression.
    public func rangeQuery(_ expr: Expr, start: Timestamp, end: Timestamp, step: Int64) async throws(QueryError) -> QueryValue {
        guard step > 0 else {
            throw QueryError.badData("zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        guard end >= start else { throw QueryError.badData("end timestamp must not be before start time") }
        let (span, overflow) = end.subtractingReportingOverflow(start)
        if overflow || span / step > Int64(options.maxPointsPerSeries) {
            throw QueryError.badData(
                "exceeded maximum resolution of \(groupedThousands(options.maxPointsPerSeries)) points per timeseries. "
                    + "Try decreasing the query resolution (?step=XX)")
        }
        guard expr.type == .scalar || expr.type == .instantVector else {
            throw QueryError.badData(
                "invalid expression type \(GoSyntax.quote(expr.type.rawValue)) for range query, must be Scalar or instant Vector")
        }
        var limits = QueryLimits(options: options)
        let plan = PlanBuilder.plan(expr, start: start, end: end, options: options)
        let data = try await load(plan, &limits)
        let prepared = PreparedQuery(plan: plan, data: data, limits: limits, options: options)
        let steps = Int(span / step) + 1
        return try await evaluate(prepared, steps: steps) { prepared throws(QueryError) in
            try Self.evaluateRange(prepared, start: start, steps: steps, step: step)
        }
    }

    /// evaluateRange runs a loaded range query at each of `steps` times from `start`.
    private static func evaluateRange(_ prepared: PreparedQuery, start: Timestamp, steps: Int, step: Int64) throws(QueryError) -> QueryValue {
        let plan = prepared.plan
        let evaluator = Evaluator(data: prepared.data, subqueryCount: plan.subqueryCount, memoCount: plan.memoCount,
                                  options: prepared.options, limits: prepared.limits)
        // A bare selector, the most common panel query, is read series by series.
        if case .vectorSelector(let selector) = plan.root {
            var output = try evaluator.selectInstantRange(selector, start: start, steps: steps, step: step)
            output.sort { $0.labels < $1.labels }
            return .matrix(output)
        }
        var output: [Series] = []
        var index: [Labels: Int] = [:]
        // Elements usually come in the same order at every step; try last step's series first.
        var previous: [Int] = []
        var current: [Int] = []
        var t = start
        for _ in 0..<steps {
            try evaluator.limits.tick()
            switch try evaluator.eval(plan.root, at: t) {
            case .scalar(let value):
                if output.isEmpty {
                    output.append(Series(labels: Labels(), samples: []))
                    output[0].samples.reserveCapacity(steps)
                }
                output[0].samples.append(Sample(t: t, v: value))
                try evaluator.limits.hold(1)
            case .vector(let vector):
                current.removeAll(keepingCapacity: true)
                for (position, sample) in vector.enumerated() {
                    let target: Int
                    if position < previous.count, output[previous[position]].labels == sample.labels {
                        target = previous[position]
                    } else if let known = index[sample.labels] {
                        target = known
                    } else {
                        target = output.count
                        index[sample.labels] = target
                        output.append(Series(labels: sample.labels, samples: []))
                    }
                    output[target].samples.append(Sample(t: t, v: sample.v))
                    current.append(target)
                }
                swap(&previous, &current)
                try evaluator.limits.hold(vector.count)
            case let other:
                throw QueryError.execution("range query evaluated to \(other.typeName)")
            }
            evaluator.limits.endStep()
            t &+= step  // wraps only after the last step, when end is near the end of time
        }
        output.sort { $0.labels < $1.labels }
        return .matrix(output)
    }

    // MARK: Loading

    private func parse(_ query: String) throws(QueryError) -> Expr {
        do {
            return try parseExpr(query)
        } catch {
            throw QueryError(.badData, error.description, cause: error)
        }
    }

    /// evaluateInline bounds the work (loaded samples plus series × steps) evaluated on the calling task;
    /// larger evaluations run on `QueryThreadPool.shared`, off Swift's cooperative pool.
    static let evaluateInlineWork = 50_000

    /// evaluate runs `body` on the loaded query, on the calling task when it is small and on the query threads otherwise.
    ///
    /// On the query threads the task's cancellation reaches the evaluation through `QueryLimits.cancellation`.
    private func evaluate(
        _ prepared: PreparedQuery, steps: Int, _ body: @escaping @Sendable (PreparedQuery) throws(QueryError) -> QueryValue
    ) async throws(QueryError) -> QueryValue {
        var seriesCount = 0
        for series in prepared.data { seriesCount += series.count }
        let (spread, overflow) = seriesCount.multipliedReportingOverflow(by: steps)
        if !overflow && prepared.limits.persistent + spread <= Self.evaluateInlineWork {
            return try body(prepared)
        }
        let cancellation = prepared.limits.cancellation
        let outcome = await withTaskCancellationHandler {
            await QueryThreadPool.shared.run { () -> Result<QueryValue, QueryError> in
                Result { () throws(QueryError) -> QueryValue in try body(prepared) }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try outcome.get()
    }

    /// load reads every selector of the plan from storage, counting samples against the budget.
    ///
    /// Each read gets what is left of the budget and the deadline, so the store stops reading once
    /// the query is over either limit instead of loading everything first.
    private func load(_ plan: QueryPlan, _ limits: inout QueryLimits) async throws(QueryError) -> [[Series]] {
        var data: [[Series]] = []
        data.reserveCapacity(plan.selectors.count)
        for read in plan.selectors {
            try limits.check()
            let series: [Series]
            do {
                series = try await querier.select(read.matchers, mint: read.mint, maxt: read.maxt,
                                                  hints: limits.selectHints(dropsStaleMarkers: read.dropsStaleMarkers))
            } catch {
                switch error.interruption {
                case .tooManySamples: throw QueryError.tooManySamples(in: "query execution")
                case .timeout: throw QueryError.timeout(in: "expression evaluation")
                case .canceled: throw QueryError.canceled(in: "expression evaluation")
                case nil: throw QueryError.storage(error)
                }
            }
            var count = 0
            try limits.hold(count)
            data.append(series)
        }
        try limits.check()
        return data
    }
}

/// PreparedQuery is a query with its data loaded, handed to the thread that evaluates it.
///
/// Unchecked: the plan and data are not touched by the task that hands them over once it has, and the
/// evaluation's mutable state (`Evaluator`) is created on the evaluating thread.
struct PreparedQuery: @unchecked Sendable {
    let plan: QueryPlan
    let data: [[Series]]
    let limits: QueryLimits
    let options: QueryOptions
}

/// groupedThousands prints an integer with commas, as Prometheus's message spells "11,000".
func groupedThousands(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
        out.append(digit)
    }
    return value < 0 ? "-" + out : out
}
