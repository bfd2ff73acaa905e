/// Appending pushed samples (the remote-write receiver) all or nothing, as Prometheus's receiver does.
extension TimeSeriesStore {
    /// Why a pushed batch was refused: the first sample that is out of order or repeats a timestamp with another value.
    public enum PushRefusal: Error, Sendable, Equatable {
        case outOfOrder(Labels, Timestamp)
        case duplicateTimestamp(Labels, Timestamp)
    }

    /// Commits `samples` only if none is older than its series' newest sample or repeats its timestamp with
    /// another value; otherwise stores nothing, counts the refused samples, and returns the first offender.
    ///
    /// A scraped batch keeps its good samples, but a pushed one is refused whole so the sender can tell.
    public func commitAllOrNothing(_ samples: [(labels: Labels, t: Timestamp, v: Double)]) throws(StorageError) -> Result<CommitResult, PushRefusal> {
        // Newest (time, value bits) per series, as this batch would leave it.
        var newest: [Labels: (t: Timestamp, bits: UInt64)] = [:]
        var refusal: PushRefusal?
        var outOfOrder = 0
        var duplicates = 0
        for sample in samples {
            let current = newest[sample.labels] ?? refsByLabels[sample.labels].flatMap { ref in
                series[ref].map { ($0.lastT, $0.lastValueBits) }
            }
            if let current {
                if sample.t < current.t {
                    outOfOrder += 1
                    refusal = refusal ?? .outOfOrder(sample.labels, sample.t)
                    continue
                }
                if sample.t == current.t && sample.v.bitPattern != current.bits {
                    duplicates += 1
                    refusal = refusal ?? .duplicateTimestamp(sample.labels, sample.t)
                    continue
                }
            }
            newest[sample.labels] = (sample.t, sample.v.bitPattern)
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
