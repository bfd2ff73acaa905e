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
        let evaluator = Evaluator(data: data, subqueryCount: plan.subqueryCount, memoCount: plan.memoCount, options: options, limits: limits)
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
        let evaluator = Evaluator(data: data, subqueryCount: plan.subqueryCount, memoCount: plan.memoCount, options: options, limits: limits)

        var output: [Series] = []
        var index: [Labels: Int] = [:]
        // Elements usually come in the same order at every step; try last step's series first.
        var previous: [Int] = []
        var current: [Int] = []
        let steps = Int(span / step) + 1
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

    /// load reads every selector of the plan from storage, counting samples against the budget.
    private func load(_ plan: QueryPlan, _ limits: inout QueryLimits) async throws(QueryError) -> [[Series]] {
        var data: [[Series]] = []
        data.reserveCapacity(plan.selectors.count)
        for read in plan.selectors {
            try limits.check()
            var series: [Series]
            do {
                series = try await querier.select(read.matchers, mint: read.mint, maxt: read.maxt)
            } catch {
                throw QueryError.storage(error)
            }
            var count = 0
            if read.dropsStaleMarkers {
                series = series.compactMap { entry in
                    var entry = entry
                    if entry.samples.contains(where: { StaleNaN.isStale($0.v) }) {
                        entry.samples.removeAll { StaleNaN.isStale($0.v) }
                    }
                    return entry.samples.isEmpty ? nil : entry
                }
            }
            for entry in series { count += entry.samples.count }
            try limits.hold(count)
            data.append(series)
        }
        try limits.check()
        return data
    }
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
