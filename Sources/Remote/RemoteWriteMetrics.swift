import Prometheus

/// One queue's metrics, with Prometheus's names and `remote_name`/`url` labels, so its dashboards and alerts work.
public struct RemoteWriteMetrics: Sendable {
    let samplesSent: Counter
    let samplesFailed: Counter
    let samplesRetried: Counter
    let samplesDropped: Counter
    let metadataSent: Counter
    let metadataFailed: Counter
    let highestSent: Gauge
    let shards: Gauge
    let shardsMin: Gauge
    let shardsMax: Gauge
    let shardsDesired: Gauge
    let samplesPending: Gauge
    let batchDuration: ValueHistogram
    let bytesSent: Counter
    /// The newest timestamp read from the head log by any queue (Prometheus reports the newest appended one).
    let highestTimestamp: Gauge

    public init(registry: PrometheusCollectorRegistry, remoteName: String, url: String) {
        let labels = [("remote_name", remoteName), ("url", url)]
        func counter(_ name: String, _ help: String) -> Counter { registry.makeCounter(name: name, labels: labels, help: help) }
        func gauge(_ name: String, _ help: String) -> Gauge { registry.makeGauge(name: name, labels: labels, help: help) }
        samplesSent = counter("prometheus_remote_storage_samples_total", "Total number of samples sent to remote storage.")
        samplesFailed = counter("prometheus_remote_storage_samples_failed_total", "Total number of samples which failed on send to remote storage, non-recoverable errors.")
        samplesRetried = counter("prometheus_remote_storage_samples_retried_total", "Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.")
        samplesDropped = counter("prometheus_remote_storage_samples_dropped_total", "Total number of samples which were dropped after being read from the head log before being sent via remote write, either via relabelling or because their series is gone.")
        metadataSent = counter("prometheus_remote_storage_metadata_total", "Total number of metadata entries sent to remote storage.")
        metadataFailed = counter("prometheus_remote_storage_metadata_failed_total", "Total number of metadata entries which failed on send to remote storage, non-recoverable errors.")
        highestSent = gauge("prometheus_remote_storage_queue_highest_sent_timestamp_seconds", "Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch.")
        shards = gauge("prometheus_remote_storage_shards", "The number of shards used for parallel sending to the remote storage.")
        shardsMin = gauge("prometheus_remote_storage_shards_min", "The minimum number of shards that the queue is allowed to run.")
        shardsMax = gauge("prometheus_remote_storage_shards_max", "The maximum number of shards that the queue is allowed to run.")
        shardsDesired = gauge("prometheus_remote_storage_shards_desired", "The number of shards that the queues shard calculation wants to run based on the rate of samples in vs. samples out.")
        samplesPending = gauge("prometheus_remote_storage_samples_pending", "The number of samples pending in the queues shards to be sent to the remote storage.")
        bytesSent = counter("prometheus_remote_storage_bytes_total", "The total number of bytes of data (not metadata) sent by the queue after compression.")
        batchDuration = registry.makeValueHistogram(
            name: "prometheus_remote_storage_sent_batch_duration_seconds", labels: labels,
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300],
            help: "Duration of send calls to the remote storage.")
        highestTimestamp = registry.makeGauge(
            name: "prometheus_remote_storage_highest_timestamp_in_seconds",
            help: "Highest timestamp that has come into the remote storage via the head log, in seconds since epoch.")
    }
}
