/// A sample the primary store accepted, with its series' labels, as sinks receive it.
public struct CommittedSample: Sendable, Equatable {
    public var labels: Labels
    public var t: Timestamp
    public var v: Double

    public init(labels: Labels, t: Timestamp, v: Double) {
        self.labels = labels
        self.t = t
        self.v = v
    }
}

/// Receives every sample after the primary store committed it: a second store, a forwarder, a test probe.
///
/// A sink cannot fail a commit: what the primary stored is stored, as with Prometheus's secondary storages.
/// A sink that can fail keeps its own error counts.
public protocol CommittedSampleSink: Sendable {
    func receive(_ samples: [CommittedSample]) async
    func receiveMetadata(_ entries: [String: MetricMetadata]) async
}

extension CommittedSampleSink {
    public func receiveMetadata(_ entries: [String: MetricMetadata]) async {}
}

/// FanoutAppender commits to the primary store, then hands each sink exactly the samples the primary accepted.
///
/// Scrapes and rule evaluations write through it, so a sink sees every sample Vigil stores, in commit order.
public struct FanoutAppender: Appender {
    public let primary: TimeSeriesStore
    public let sinks: [any CommittedSampleSink]

    public init(primary: TimeSeriesStore, sinks: [any CommittedSampleSink]) {
        self.primary = primary
        self.sinks = sinks
    }

    public func commit(_ batch: AppendBatch) async throws(StorageError) -> CommitResult {
        guard !sinks.isEmpty else { return try await primary.commit(batch) }
        let (result, accepted) = try await primary.commitReportingAccepted(batch)
        if !accepted.isEmpty {
            for sink in sinks { await sink.receive(accepted) }
        }
        return result
    }

    public func setMetadata(_ entries: [String: MetricMetadata]) async throws(StorageError) {
        try await primary.setMetadata(entries)
        for sink in sinks { await sink.receiveMetadata(entries) }
    }
}

/// A second store as a sink: it keeps a copy of every accepted sample, by labels.
extension TimeSeriesStore: CommittedSampleSink {
    public func receive(_ samples: [CommittedSample]) async {
        var batch = AppendBatch()
        for sample in samples { batch.append(labels: sample.labels, t: sample.t, v: sample.v) }
        _ = try? commit(batch)
    }

    public func receiveMetadata(_ entries: [String: MetricMetadata]) async {
        try? setMetadata(entries)
    }
}
