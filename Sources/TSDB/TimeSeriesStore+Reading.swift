/// Query reads, outside the store's actor.
///
/// The actor only copies the matching series' in-memory state (labels, head chunk, bounds: a few
/// reference counts each); decoding and SQLite reads run on `readThreads` over a connection of
/// their own, so a heavy query never delays a scrape commit, a checkpoint or a rule's write.
///
/// Consistency: samples up to a series' `persistedMaxT` at the moment of the copy come from the
/// file, later ones from the copied head. A chunk cut after the copy is on disk *and* in the
/// copied head, so file reads stop at the copied `persistedMaxT`; every sample committed before
/// the copy is read exactly once, and none committed after it.
extension TimeSeriesStore {
    /// The in-memory part of one read, taken inside the actor.
    struct ReadSnapshot: Sendable {
        var series: [MemSeries]
        /// Connections to the file, nil for a store kept in memory (or closed).
        var readers: ReadConnectionPool?
    }

    /// Reads at most this many series that are entirely in memory on the calling task; more go to `readThreads`.
    static let inlineReadSeries = 256

    public nonisolated func select(_ matchers: [Matcher], mint: Timestamp, maxt: Timestamp) async throws(StorageError) -> [Series] {
        try await select(matchers, mint: mint, maxt: maxt, hints: SelectHints())
    }

    public nonisolated func select(_ matchers: [Matcher], mint: Timestamp, maxt: Timestamp, hints: SelectHints) async throws(StorageError) -> [Series] {
        let snapshot = await readSnapshot(matchers, mint: mint, maxt: maxt)
        let touchesFile = snapshot.readers != nil && snapshot.series.contains { Self.needsFile($0, mint: mint) }
        if snapshot.readers == nil || (!touchesFile && snapshot.series.count <= Self.inlineReadSeries) {
            return try Self.read(snapshot.series, from: nil, mint: mint, maxt: maxt, hints: hints)
        }
        var hints = hints
        let cancellation = hints.cancellation ?? ReadCancellation()
        hints.cancellation = cancellation
        let readHints = hints
        let outcome = await withTaskCancellationHandler {
            await readThreads.run { () -> Result<[Series], StorageError> in
                Result { () throws(StorageError) -> [Series] in
                    guard let readers = snapshot.readers, touchesFile else {
                        return try Self.read(snapshot.series, from: nil, mint: mint, maxt: maxt, hints: readHints)
                    }
                    return try readers.read { (connection: PersistentState) throws(StorageError) -> [Series] in
                        try Self.read(snapshot.series, from: connection, mint: mint, maxt: maxt, hints: readHints)
                    }
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try outcome.get()
    }

    /// Copies the state of the series the matchers select that may have samples in [mint, maxt].
    func readSnapshot(_ matchers: [Matcher], mint: Timestamp, maxt: Timestamp) -> ReadSnapshot {
        var selected: [MemSeries] = []
        for ref in matchingRefs(matchers) {
            guard let memSeries = series[ref], memSeries.lastT >= mint, memSeries.firstT <= maxt else { continue }
            selected.append(memSeries)
        }
        return ReadSnapshot(series: selected, readers: database == nil ? nil : readers)
    }

    /// Whether some of the series' samples at or after `mint` are only in the file.
    static func needsFile(_ memSeries: MemSeries, mint: Timestamp) -> Bool {
        // Everything at or after the head's first sample is in the head: recent ranges never touch SQLite.
        let headCovers = memSeries.head.minTime.map { $0 <= mint } ?? false
        return memSeries.persistedMaxT >= mint && !headCovers
    }

    /// Decodes the series' samples in [mint, maxt], from the file up to each copy's `persistedMaxT` and from memory after.
    static func read(_ snapshot: [MemSeries], from file: PersistentState?, mint: Timestamp, maxt: Timestamp,
                     hints: SelectHints) throws(StorageError) -> [Series] {
        var result: [Series] = []
        var total = 0
        // Series of one selection usually hold about as many samples each; size each array like the last.
        var expectedCount = 0
        for (position, memSeries) in snapshot.enumerated() {
            if position % 16 == 0 { try hints.checkInterruption() }
            var samples: [Sample] = []
            samples.reserveCapacity(expectedCount)
            if let file, needsFile(memSeries, mint: mint) {
                let fileMaxT = Swift.min(maxt, memSeries.persistedMaxT)
                try file.readBlocks(ref: memSeries.ref, mint: mint, maxt: fileMaxT, firstT: memSeries.firstT, lastT: memSeries.persistedMaxT, into: &samples)
                if total + samples.count > hints.maxSamples { throw StorageError(interruption: .tooManySamples) }
                try file.readChunks(ref: memSeries.ref, mint: mint, maxt: fileMaxT, into: &samples)
            }
            memSeries.memorySamples(mint: mint, maxt: maxt, into: &samples)
            if hints.dropsStaleMarkers, samples.contains(where: { StaleNaN.isStale($0.v) }) {
                samples.removeAll { StaleNaN.isStale($0.v) }
            }
            expectedCount = samples.count
            total += samples.count
            if total > hints.maxSamples { throw StorageError(interruption: .tooManySamples) }
            if !samples.isEmpty { result.append(Series(labels: memSeries.labels, samples: samples)) }
        }
        try hints.checkInterruption()
        result.sort { $0.labels < $1.labels }
        return result
    }
}
