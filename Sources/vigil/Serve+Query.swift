import Config
import Model
import PromQL

extension Serve {
    /// The one set of query options of the process: the HTTP API, the dashboards and rule evaluation all use
    /// these, so `--query.lookback-delta` means the same to an alert as to the graph that explains it.
    ///
    /// The default subquery step is the global evaluation interval, as in Prometheus. Flags were checked in
    /// `validate()`.
    func queryOptions(_ configuration: PrometheusConfiguration) -> QueryOptions {
        QueryOptions(
            lookbackDelta: (try? PrometheusDuration(parsing: queryLookbackDelta).milliseconds) ?? 5 * 60_000,
            timeout: .milliseconds((try? PrometheusDuration(parsing: queryTimeout).milliseconds) ?? 120_000),
            maxSamples: queryMaxSamples,
            defaultSubqueryStep: configuration.global.evaluationInterval.milliseconds
        )
    }
}
