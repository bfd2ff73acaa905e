/// Appending pushed samples (the remote-write receiver) all or nothing, as Prometheus's receiver does.
extension TimeSeriesStore {
    /// Why a pushed batch was refused: the first sample that is out of order or repeats a timestamp with another value.
    public enum PushRefusal: Error, Sendable, Equatable {
        case outOfOrder(Labels, Timestamp)
        case duplicateTimestamp(Labels, Timestamp)
    }

    /// Commits `samples` only if none is older than its series' newest stored sample or repeats that sample's
    /// timestamp with another value; otherwise stores nothing, counts the refused samples, and returns the first offender.
    ///
    /// A scraped batch keeps its good samples, but a pushed one is refused whole so the sender can tell. As in
    /// Prometheus 2.42, samples are checked against what is stored, not against each other: disorder inside one
    /// request is not refused, and the commit drops (and counts) the samples that arrive behind their series.
    public func commitAllOrNothing(_ samples: [(labels: Labels, t: Timestamp, v: Double)]) throws(StorageError) -> Result<CommitResult, PushRefusal> {
        var refusal: PushRefusal?
        var outOfOrder = 0
        var duplicates = 0
        for sample in samples {
            guard let ref = refsByLabels[sample.labels], let stored = series[ref] else { continue }
            if sample.t < stored.lastT {
                outOfOrder += 1
                refusal = refusal ?? .outOfOrder(sample.labels, sample.t)
            } else if sample.t == stored.lastT && sample.v.bitPattern != stored.lastValueBits {
                duplicates += 1
                refusal = refusal ?? .duplicateTimestamp(sample.labels, sample.t)
            }
        }
        if let refusal {
            totals.outOfOrder += outOfOrder
            totals.duplicateTimestamp += duplicates
            return .failure(refusal)
        }
        var batch = AppendBatch()
        for sample in samples {
            if let ref = refsByLabels[sample.labels] {
                batch.append(ref: ref, t: sample.t, v: sample.v)
            } else {
                batch.append(labels: sample.labels, t: sample.t, v: sample.v)
            }
        }
        return .success(try commit(batch))
    }
}
