import Logging
import Model
import ServiceLifecycle
import TSDB

extension Serve {
    /// The hidden `--storage.maintenance-interval`, validated in `validate()`; fault tests shorten it.
    var maintenanceIntervalDuration: Duration {
        .milliseconds((try? PrometheusDuration(parsing: maintenanceInterval).milliseconds) ?? 60_000)
    }
}

/// Applies retention, compacts closed chunks and checkpoints the head, once a minute by default.
///
/// Each step is one or more SQLite transactions, so a kill at any moment leaves the store as it was
/// before or after a step; `MaintenanceKillTests` kills in the middle of each.
struct StorageMaintenance: Service {
    let store: TimeSeriesStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                await maintain()
            }
        }
    }

    private func maintain() async {
        let clock = ContinuousClock()
        let started = clock.now
        logger.debug("storage maintenance started")
        do {
            let retention = try await store.applyRetention()
            let compacted = try await store.compact()
            // Block rows of older builds become column blocks a batch per round.
            let reencoded = try await store.reencodeLegacyBlocks()
            try await store.checkpoint()
            let took = clock.now - started
            let metadata: Logger.Metadata = [
                "chunks_deleted": .stringConvertible(retention.chunksDeleted),
                "series_deleted": .stringConvertible(retention.seriesDeleted),
                "chunks_compacted": .stringConvertible(compacted),
                "blocks_reencoded": .stringConvertible(reencoded),
                "took_ms": .stringConvertible(took.components.seconds * 1000 + took.components.attoseconds / 1_000_000_000_000_000),
            ]
            if retention.chunksDeleted > 0 || compacted > 0 || reencoded > 0 {
                logger.info("storage maintenance done", metadata: metadata)
            } else {
                logger.debug("storage maintenance done", metadata: metadata)
            }
        } catch {
            logger.error("storage maintenance failed", metadata: ["error": .string("\(error)")])
        }
    }
}
