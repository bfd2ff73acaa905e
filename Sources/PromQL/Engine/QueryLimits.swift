import TSDB

/// QueryOptions are the engine settings of Prometheus's `--query.*` flags.
public struct QueryOptions: Sendable {
    /// lookbackDelta is how far back, in milliseconds, an instant selector looks for a sample.
    public var lookbackDelta: Int64
    /// timeout bounds one query's evaluation, as `--query.timeout` does.
    public var timeout: Duration
    /// maxSamples bounds the samples a query may hold in memory at once (`--query.max-samples`).
    ///
    /// Vigil counts the raw samples it reads from storage as well as the evaluation's own, because
    /// the store hands them over decompressed; Prometheus streams them from compressed chunks.
    public var maxSamples: Int
    /// maxPointsPerSeries bounds `(end - start) / step` of a range query, as Prometheus's API does.
    public var maxPointsPerSeries: Int
    /// defaultSubqueryStep is the step, in milliseconds, of a subquery written without one (`x[1h:]`).
    ///
    /// Prometheus uses the global evaluation interval; its default of 1m is the default here.
    public var defaultSubqueryStep: Int64

    public init(
        lookbackDelta: Int64 = 5 * 60_000, timeout: Duration = .seconds(120), maxSamples: Int = 50_000_000,
        maxPointsPerSeries: Int = 11_000, defaultSubqueryStep: Int64 = 60_000
    ) {
        self.lookbackDelta = lookbackDelta
        self.timeout = timeout
        self.maxSamples = maxSamples
        self.maxPointsPerSeries = maxPointsPerSeries
        self.defaultSubqueryStep = defaultSubqueryStep
    }
}

/// QueryLimits enforces the deadline, cancellation and the sample budget of one query.
///
/// Checking the clock on every sample would cost more than the work it guards, so `tick`
/// looks at the clock and the task only every `checkEvery` calls.
struct QueryLimits {
    let deadline: ContinuousClock.Instant
    let maxSamples: Int
    /// Set by the query's cancellation handler; work on `QueryThreadPool` threads has no task to ask.
    let cancellation = ReadCancellation()
    /// persistent counts samples held for the whole query: raw data, subquery caches, output.
    private(set) var persistent = 0
    /// transient counts samples held while evaluating the current step.
    private(set) var transient = 0
    /// peak is the largest `persistent + transient` seen, for statistics and tests.
    private(set) var peak = 0
    private var ticks = 0
    private static let checkEvery = 1024

    init(options: QueryOptions) {
        self.deadline = ContinuousClock.now.advanced(by: options.timeout)
        self.maxSamples = options.maxSamples
    }

    /// check tests the deadline and cancellation now.
    func check() throws(QueryError) {
        if Task.isCancelled || cancellation.isCancelled { throw .canceled(in: "expression evaluation") }
        if ContinuousClock.now >= deadline { throw .timeout(in: "expression evaluation") }
    }

    /// tick counts a unit of work and checks the deadline every so often.
    @inline(__always)
    mutating func tick(_ work: Int = 1) throws(QueryError) {
        ticks &+= work
        if ticks >= Self.checkEvery {
            ticks = 0
            try check()
        }
    }

    /// hold adds samples that stay in memory until the query ends.
    mutating func hold(_ count: Int) throws(QueryError) {
        persistent += count
        try account()
    }

    /// release returns samples taken with `hold`.
    mutating func release(_ count: Int) {
        persistent -= count
    }

    /// use adds samples held only while the current step is evaluated.
    mutating func use(_ count: Int) throws(QueryError) {
        transient += count
        try account()
    }

    /// resetTransient frees the step samples counted since `transient` was `count`.
    mutating func resetTransient(to count: Int) {
        transient = count
    }

    /// endStep frees the samples of the finished step.
    mutating func endStep() {
        transient = 0
    }

    /// The limits of a storage read made now: the samples still allowed, the deadline, the cancellation.
    func selectHints(dropsStaleMarkers: Bool) -> SelectHints {
        SelectHints(maxSamples: Swift.max(0, maxSamples - persistent - transient), deadline: deadline,
                    dropsStaleMarkers: dropsStaleMarkers, cancellation: cancellation)
    }

    private mutating func account() throws(QueryError) {
        let total = persistent + transient
        if total > peak { peak = total }
        if total > maxSamples { throw .tooManySamples(in: "query execution") }
    }
}
