import TSDB

/// Evaluator computes a prepared query one evaluation time at a time.
///
/// A range query calls `eval` once per step and an instant query once; selectors cut their
/// windows out of data loaded once for the whole query. It is a class because subquery
/// caches and the sample budget are shared, mutable state of one query; it is never shared
/// between tasks.
final class Evaluator {
    /// data holds each selector's series, sorted by labels, with samples in time order.
    let data: [[Series]]
    let lookbackDelta: Int64
    var limits: QueryLimits
    private var subqueries: [SubqueryCache]
    /// cursors remember each series' last window as (first index, end index), so that steps
    /// moving forward in time scan a few samples instead of searching the whole series.
    var cursors: [[(low: Int, high: Int)]]
    private var nameless: [[Labels]?]
    private var namesDiffer: [Bool?]
    private var memos: [NodeMemo?]

    init(data: [[Series]], subqueryCount: Int, memoCount: Int, options: QueryOptions, limits: QueryLimits) {
        self.data = data
        self.lookbackDelta = options.lookbackDelta
        self.limits = limits
        self.subqueries = (0..<subqueryCount).map { _ in SubqueryCache() }
        self.cursors = data.map { Array(repeating: (0, 0), count: $0.count) }
        self.nameless = Array(repeating: nil, count: data.count)
        self.namesDiffer = Array(repeating: nil, count: data.count)
        self.memos = Array(repeating: nil, count: memoCount)
    }

    /// eval evaluates `node` at time `t` (milliseconds).
    func eval(_ node: Node, at t: Timestamp) throws(QueryError) -> StepValue {
        switch node {
        case .number(let value):
            return .scalar(value)
        case .string(let value):
            return .string(value)
        case .vectorSelector(let selector):
            return .vector(try selectInstant(selector, at: t, keepTimestamps: false))
        case .matrixSelector(let selector, let range):
            return .matrix(try selectRange(selector, range: range, at: t))
        case .subquery(let subquery):
            return .matrix(try evalSubquery(subquery, at: t))
        case .negate(let inner, let memo):
            switch try eval(inner, at: t) {
            case .scalar(let value):
                return .scalar(-value)
            case .vector(var vector):
                for index in vector.indices { vector[index].v = -vector[index].v }
                try dropMetricNamesCheckingCollisions(&vector, memo: memo, acrossSteps: true)
                return .vector(vector)
            case let other:
                throw QueryError.execution("unary minus is not defined on \(other.typeName)")
            }
        case .binary(let binary):
            return try evalBinary(binary, at: t)
        case .aggregation(let aggregation):
            return .vector(try evalAggregation(aggregation, at: t))
        case .call(let call):
            return try evalCall(call, at: t)
        }
    }

    /// evalVector evaluates a node that the parser guarantees to be an instant vector.
    func evalVector(_ node: Node, at t: Timestamp) throws(QueryError) -> [VectorSample] {
        switch try eval(node, at: t) {
        case .vector(let vector): return vector
        case let other: throw QueryError.execution("expected instant vector, got \(other.typeName)")
        }
    }

    /// evalScalar evaluates a node that the parser guarantees to be a scalar.
    func evalScalar(_ node: Node, at t: Timestamp) throws(QueryError) -> Double {
        switch try eval(node, at: t) {
        case .scalar(let value): return value
        case let other: throw QueryError.execution("expected scalar, got \(other.typeName)")
        }
    }

    // MARK: Selectors

    /// selectInstant returns each series' newest sample in [ref - lookback, ref], unless it is a staleness marker.
    ///
    /// Samples carry the evaluation time, as in Prometheus, unless `keepTimestamps` asks for
    /// the samples' own times (which only `timestamp()` of a plain selector sees).
    func selectInstant(_ selector: SelectorNode, at t: Timestamp, keepTimestamps: Bool) throws(QueryError) -> [VectorSample] {
        let reference = selector.referenceTime(t)
        let oldest = reference.subtractingSaturated(lookbackDelta)
        let seriesList = data[selector.id]
        var out: [VectorSample] = []
        out.reserveCapacity(seriesList.count)
        cursors[selector.id].withUnsafeMutableBufferPointer { cursor in
            for index in seriesList.indices {
                let samples = seriesList[index].samples
                let end = seek(samples, after: reference, from: cursor[index].high)
                cursor[index].high = end
                guard end > 0 else { continue }
                let sample = samples[end - 1]
                if sample.t < oldest || StaleNaN.isStale(sample.v) { continue }
                out.append(VectorSample(labels: seriesList[index].labels, t: keepTimestamps ? sample.t : t, v: sample.v))
            }
        }
        try limits.tick(seriesList.count)
        try limits.use(out.count)
        return out
    }

    /// A range query of a bare selector, one series at a time: at each step the sample `selectInstant` would
    /// pick, stamped with the step's time, without building and matching a vector per step.
    func selectInstantRange(_ selector: SelectorNode, start: Timestamp, steps: Int, step: Int64) throws(QueryError) -> [Series] {
        let seriesList = data[selector.id]
        var output: [Series] = []
        for index in seriesList.indices {
            let samples = seriesList[index].samples
            var points: [Sample] = []
            var cursor = 0
            var t = start
            for _ in 0..<steps {
                let reference = selector.referenceTime(t)
                let end = seek(samples, after: reference, from: cursor)
                cursor = end
                if end > 0 {
                    let sample = samples[end - 1]
                    if sample.t >= reference.subtractingSaturated(lookbackDelta), !StaleNaN.isStale(sample.v) {
                        if points.isEmpty { points.reserveCapacity(steps) }
                        points.append(Sample(t: t, v: sample.v))
                    }
                }
                t &+= step  // wraps only after the last step, as in the step-by-step evaluation
            }
            try limits.tick(steps)
            guard !points.isEmpty else { continue }
            try limits.hold(points.count)
            output.append(Series(labels: seriesList[index].labels, samples: points))
        }
        return output
    }

    /// selectRange returns each series' samples in [ref - range, ref]; staleness markers were removed at load.
    func selectRange(_ selector: SelectorNode, range: Int64, at t: Timestamp) throws(QueryError) -> [RangeSeries] {
        let maxt = selector.referenceTime(t)
        let mint = maxt.subtractingSaturated(range)
        let seriesList = data[selector.id]
        let nameless = namelessLabels(selector.id)
        var out: [RangeSeries] = []
        out.reserveCapacity(seriesList.count)
        var total = 0
        cursors[selector.id].withUnsafeMutableBufferPointer { cursor in
            for index in seriesList.indices {
                let samples = seriesList[index].samples
                let low = seek(samples, atOrAfter: mint, from: cursor[index].low)
                let high = seek(samples, after: maxt, from: Swift.max(cursor[index].high, low))
                cursor[index] = (low, high)
                guard low < high else { continue }
                out.append(RangeSeries(labels: seriesList[index].labels, nameless: nameless[index], samples: samples[low..<high]))
                total += high - low
            }
        }
        try limits.tick(seriesList.count)
        try limits.use(total)
        return out
    }

    /// selectorNamesDiffer tells whether a selector's series have more than one metric name.
    func selectorNamesDiffer(_ id: Int) -> Bool {
        if let cached = namesDiffer[id] { return cached }
        var names = NameTracker()
        for series in data[id] { names.observe(series.labels) }
        namesDiffer[id] = names.differ
        return names.differ
    }

    /// namelessLabels are a range selector's series labels without `__name__`, computed on first use.
    func namelessLabels(_ id: Int) -> [Labels] {
        if let cached = nameless[id] { return cached }
        let computed = data[id].map(\.labels.droppingMetricName)
        nameless[id] = computed
        return computed
    }

    // MARK: Subqueries

    /// evalSubquery returns the inner expression's values at the step-aligned times in
    /// [ref - range, ref], where ref is the `@` time or `t`, minus the offset.
    ///
    /// Steps are multiples of the subquery step since the epoch, so consecutive evaluation
    /// times share most of their points; the cache evaluates each point once while times
    /// move forward, which they do in range queries and in enclosing subqueries.
    func evalSubquery(_ subquery: SubqueryNode, at t: Timestamp) throws(QueryError) -> [RangeSeries] {
        let reference = (subquery.at ?? t).subtractingSaturated(subquery.offset)
        let step = subquery.step
        let first = alignUp(reference.subtractingSaturated(subquery.range), to: step)
        let last = alignDown(reference, to: step)
        guard first <= last else { return [] }
        let cache = subqueries[subquery.id]
        var from = first
        if let cachedFirst = cache.first, let cachedLast = cache.last, first >= cachedFirst, first <= cachedLast.addingSaturated(step) {
            from = cachedLast.addingSaturated(step)
        } else {
            limits.release(cache.pointCount)
            cache.reset(first: first)
        }
        if from <= last {
            var time = from
            while true {
                try limits.tick()
                let transient = limits.transient
                let vector = try evalVector(subquery.expr, at: time)
                limits.resetTransient(to: transient)
                cache.append(vector, at: time)
                try limits.hold(vector.count)
                if time > last.subtractingSaturated(step) { break }
                time += step
            }
        }
        limits.release(cache.trim(before: first))
        // The window's points are already counted as held by the cache.
        var out: [RangeSeries] = []
        for (index, series) in cache.series.enumerated() {
            let low = lowerBound(series.samples, first)
            let high = upperBound(series.samples, last)
            guard low < high else { continue }
            out.append(RangeSeries(labels: series.labels, nameless: cache.nameless[index], samples: series.samples[low..<high]))
        }
        try limits.tick(cache.series.count)
        return out
    }

    // MARK: Labels

    /// memo returns the memo of node `id`, creating it on first use.
    func memo(_ id: Int) -> NodeMemo {
        if let memo = memos[id] { return memo }
        let memo = NodeMemo()
        memos[id] = memo
        return memo
    }

    /// dropMetricNamesCheckingCollisions removes `__name__` from every element and fails
    /// when that leaves two elements with the same labels.
    ///
    /// Elements of a vector have distinct labels, so only elements with different names can
    /// collide; when all names are equal the set check is skipped.
    ///
    /// With `acrossSteps`, elements from different steps collide too: Prometheus checks the
    /// whole result matrix of unary minus and of range-vector functions, so two series with
    /// equal labels but for the name fail even if they never exist at the same time.
    func dropMetricNamesCheckingCollisions(_ vector: inout [VectorSample], memo id: Int, acrossSteps: Bool = false) throws(QueryError) {
        let memo = memo(id)
        if acrossSteps {
            let inputs = vector.map(\.labels)
            memo.renamed.map(&vector) { $0.droppingMetricName }
            try checkCollisionsAcrossSteps(inputs, vector, memo: memo)
            return
        }
        var names = NameTracker()
        for sample in vector { names.observe(sample.labels) }
        memo.renamed.map(&vector) { $0.droppingMetricName }
        try limits.tick(vector.count)
        if names.differ { try checkDistinctLabels(vector, memo: memo) }
    }

    /// checkCollisionsAcrossSteps fails when an output label set has come from two different
    /// input series at any evaluation of the node so far.
    ///
    /// Steps whose inputs equal the previous step's are skipped in O(1) per element.
    func checkCollisionsAcrossSteps(_ inputs: [Labels], _ outputs: [VectorSample], memo: NodeMemo) throws(QueryError) {
        if inputs == memo.checkedInputs { return }
        for (input, output) in zip(inputs, outputs) {
            if let origin = memo.origins[output.labels] {
                if origin != input { throw QueryError.sameLabelset }
            } else {
                memo.origins[output.labels] = input
            }
        }
        try limits.tick(inputs.count)
        memo.checkedInputs = inputs
    }

    /// checkDistinctLabels is `checkDistinctLabels(_:)`, skipped when the labels equal the last ones that passed.
    func checkDistinctLabels(_ vector: [VectorSample], memo: NodeMemo) throws(QueryError) {
        if sameLabels(vector, memo.distinct) { return }
        try checkDistinctLabels(vector)
        memo.distinct = vector.map(\.labels)
    }

    /// checkDistinctLabels fails with Prometheus's error when two elements share a label set.
    func checkDistinctLabels(_ vector: [VectorSample]) throws(QueryError) {
        switch vector.count {
        case 0, 1:
            return
        case 2:
            if vector[0].labels == vector[1].labels { throw QueryError.sameLabelset }
        default:
            var seen = Set<Labels>(minimumCapacity: vector.count)
            for sample in vector where !seen.insert(sample.labels).inserted {
                throw QueryError.sameLabelset
            }
            try limits.tick(vector.count)
        }
    }
}

/// SubqueryCache holds the points a subquery has evaluated, per series, for reuse by later steps.
final class SubqueryCache {
    private(set) var first: Timestamp?
    private(set) var last: Timestamp?
    private(set) var series: [Series] = []
    /// nameless holds each series' labels without `__name__`.
    private(set) var nameless: [Labels] = []
    private var index: [Labels: Int] = [:]
    private(set) var pointCount = 0
    /// previous holds the series position of each element of the last appended vector.
    private var previous: [Int] = []
    private var current: [Int] = []

    func reset(first: Timestamp) {
        self.first = first
        last = nil
        series = []
        nameless = []
        index = [:]
        pointCount = 0
        previous = []
    }

    func append(_ vector: [VectorSample], at time: Timestamp) {
        current.removeAll(keepingCapacity: true)
        for (offset, sample) in vector.enumerated() {
            let point = Sample(t: time, v: sample.v)
            // Elements usually come in the same order at every step; try that series first.
            if offset < previous.count, previous[offset] < series.count, series[previous[offset]].labels == sample.labels {
                series[previous[offset]].samples.append(point)
                current.append(previous[offset])
            } else if let position = index[sample.labels] {
                series[position].samples.append(point)
                current.append(position)
            } else {
                index[sample.labels] = series.count
                current.append(series.count)
                series.append(Series(labels: sample.labels, samples: [point]))
                nameless.append(sample.labels.droppingMetricName)
            }
        }
        swap(&previous, &current)
        pointCount += vector.count
        last = time
    }

    /// trim drops points before `time` once they make up most of the cache; returns how many it dropped.
    func trim(before time: Timestamp) -> Int {
        guard let first, first < time else { return 0 }
        var stale = 0
        for entry in series { stale += lowerBound(entry.samples, time) }
        guard stale > 1024 && stale * 2 > pointCount else { return 0 }
        var kept: [Series] = []
        var keptNameless: [Labels] = []
        kept.reserveCapacity(series.count)
        index.removeAll(keepingCapacity: true)
        for (position, var entry) in series.enumerated() {
            entry.samples.removeFirst(lowerBound(entry.samples, time))
            guard !entry.samples.isEmpty else { continue }
            index[entry.labels] = kept.count
            kept.append(entry)
            keptNameless.append(nameless[position])
        }
        series = kept
        nameless = keptNameless
        previous = []
        pointCount -= stale
        self.first = time
        return stale
    }
}

// MARK: - Time helpers

/// lowerBound is the index of the first sample at or after `t`.
@inline(__always)
func lowerBound<C: RandomAccessCollection>(_ samples: C, _ t: Timestamp) -> C.Index where C.Element == Sample {
    var low = samples.startIndex
    var count = samples.count
    while count > 0 {
        let half = count / 2
        let mid = samples.index(low, offsetBy: half)
        if samples[mid].t < t {
            low = samples.index(after: mid)
            count -= half + 1
        } else {
            count = half
        }
    }
    return low
}

/// upperBound is the index of the first sample after `t`.
@inline(__always)
func upperBound<C: RandomAccessCollection>(_ samples: C, _ t: Timestamp) -> C.Index where C.Element == Sample {
    var low = samples.startIndex
    var count = samples.count
    while count > 0 {
        let half = count / 2
        let mid = samples.index(low, offsetBy: half)
        if samples[mid].t <= t {
            low = samples.index(after: mid)
            count -= half + 1
        } else {
            count = half
        }
    }
    return low
}

/// seek returns the index of the first sample at or after `t`, starting the search at `start`.
///
/// Evaluation steps usually move a little forward in time, so a short linear scan from the
/// previous position beats a binary search; long jumps and moves backwards fall back to one.
@inline(__always)
func seek(_ samples: UnsafeBufferPointer<Sample>, atOrAfter t: Timestamp, from start: Int) -> Int {
    var index = Swift.min(start, samples.count)
    if index > 0 && samples[index - 1].t >= t { return lowerBound(samples, t) }
    var scanned = 0
    while index < samples.count && samples[index].t < t {
        index += 1
        scanned += 1
        if scanned == 16 { return lowerBound(samples[index...], t) }
    }
    return index
}

/// seek returns the index of the first sample after `t`, starting the search at `start`.
@inline(__always)
func seek(_ samples: UnsafeBufferPointer<Sample>, after t: Timestamp, from start: Int) -> Int {
    var index = Swift.min(start, samples.count)
    if index > 0 && samples[index - 1].t > t { return upperBound(samples, t) }
    var scanned = 0
    while index < samples.count && samples[index].t <= t {
        index += 1
        scanned += 1
        if scanned == 16 { return upperBound(samples[index...], t) }
    }
    return index
}

/// seek returns the index of the first sample at or after `t`, starting the search at `start`.
@inline(__always)
func seek(_ samples: [Sample], atOrAfter t: Timestamp, from start: Int) -> Int {
    samples.withUnsafeBufferPointer { seek($0, atOrAfter: t, from: start) }
}

/// seek returns the index of the first sample after `t`, starting the search at `start`.
@inline(__always)
func seek(_ samples: [Sample], after t: Timestamp, from start: Int) -> Int {
    samples.withUnsafeBufferPointer { seek($0, after: t, from: start) }
}

/// alignUp is the smallest multiple of `step` at or after `t` (saturating near the ends of time).
func alignUp(_ t: Timestamp, to step: Int64) -> Timestamp {
    let remainder = t % step
    if remainder == 0 { return t }
    return remainder > 0 ? (t - remainder).addingSaturated(step) : t - remainder
}

/// alignDown is the largest multiple of `step` at or before `t` (saturating near the ends of time).
func alignDown(_ t: Timestamp, to step: Int64) -> Timestamp {
    let remainder = t % step
    if remainder == 0 { return t }
    return remainder > 0 ? t - remainder : (t - remainder).subtractingSaturated(step)
}
