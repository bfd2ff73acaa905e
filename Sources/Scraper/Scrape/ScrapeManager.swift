import Config
import AsyncHTTPClient
import Foundation
import Logging
import OutboundHTTP
import ServiceLifecycle
import TSDB

/// Runs one scrape loop per target of the configuration and keeps their status for `/targets`.
///
/// Applying a configuration starts loops for new targets, stops loops of vanished ones (which
/// write staleness markers for their series) and leaves unchanged targets running undisturbed.
/// File-based discovery is re-read on each job's refresh interval and whenever a file changes; HTTP discovery
/// endpoints are polled on theirs, keeping their last good answer while a refresh fails.
public actor ScrapeManager: Service {
    private let store: any Appender
    /// Created by `run()` and shut down when it returns, so a manager that never runs owns no connections.
    private var clients: HTTPClientPool?
    private let logger: Logger
    private let onScrape: @Sendable (ScrapeReport) -> Void
    private var configuration: PrometheusConfiguration
    private var loops: [ScrapeTargetSpec: (task: Task<Void, Never>, loop: ScrapeLoop)] = [:]
    private var statuses: [ScrapeTargetSpec: TargetStatus] = [:]
    private var dropped: [DroppedTarget] = []
    /// Targets whose labels after relabeling are unusable; Prometheus leaves them out of `droppedTargets`.
    private var failed: [DroppedTarget] = []
    private var fileSnapshots: [String: FileDiscoverySnapshot] = [:]
    /// The last good answer of each HTTP SD endpoint, by `job/index`, kept while refreshes fail.
    private var httpGroups: [String: [TargetGroup]] = [:]
    private var httpRefreshers: [String: (config: HTTPSDConfig, task: Task<Void, Never>)] = [:]
    private var httpFailures = 0
    private var started = false

    public init(configuration: PrometheusConfiguration, store: any Appender, logger: Logger,
                onScrape: @escaping @Sendable (ScrapeReport) -> Void = { _ in }) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.onScrape = onScrape
    }

    private static func makeClients() -> HTTPClientPool {
        var configuration = HTTPClient.Configuration()
        configuration.decompression = .enabled(limit: .ratio(100))
        configuration.connectionPool = .init(idleTimeout: .seconds(120))
        configuration.timeout = .init(connect: .seconds(10))
        return HTTPClientPool(base: configuration)
    }

    /// Scrapes until graceful shutdown, then stops every loop (marking their series stale) and the HTTP client.
    public func run() async throws {
        let clients = Self.makeClients()
        self.clients = clients
        started = true
        syncHTTPDiscovery()
        sync()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(await self.discoveryPollSeconds))
                await self.refreshFileDiscovery()
            }
        }
        await stopAll()
        self.clients = nil
        await clients.shutdown()
    }

    /// How often file discovery checks its files: the shortest refresh interval, at least once a second.
    private var discoveryPollSeconds: Double {
        let intervals = configuration.scrapeConfigs.flatMap(\.fileSDConfigs).map { Double($0.refreshInterval.milliseconds) / 1000 }
        return max(1, min(intervals.min() ?? 5, 5))
    }

    /// Replaces the configuration; targets that stay the same keep their loops and state.
    public func apply(_ newConfiguration: PrometheusConfiguration) {
        configuration = newConfiguration
        fileSnapshots = [:]
        if started {
            syncHTTPDiscovery()
            sync()
        }
    }

    /// Status of every active target, ordered by job and URL.
    public func activeTargets() -> [TargetStatus] {
        statuses.values.sorted { ($0.job, $0.scrapeURL) < ($1.job, $1.scrapeURL) }
    }

    public func droppedTargets() -> [DroppedTarget] { dropped }

    /// Targets that relabeling kept but left unusable (no address, a bad interval), with the reason.
    public func failedTargets() -> [DroppedTarget] { failed }

    public func currentConfiguration() -> PrometheusConfiguration { configuration }

    /// How many HTTP SD refreshes failed since start, as Prometheus's `prometheus_sd_http_failures_total`.
    public func httpDiscoveryFailuresTotal() -> Int { httpFailures }

    // MARK: - HTTP service discovery

    /// Starts a refresher for each `http_sd_configs` entry and stops those no longer configured; an entry whose
    /// settings did not change keeps its refresher and its last good targets.
    private func syncHTTPDiscovery() {
        var wanted: [String: HTTPSDConfig] = [:]
        for config in configuration.scrapeConfigs {
            for (index, sd) in config.httpSDConfigs.enumerated() { wanted["\(config.jobName)/\(index)"] = sd }
        }
        for (key, running) in httpRefreshers where wanted[key] != running.config {
            running.task.cancel()
            httpRefreshers[key] = nil
            httpGroups[key] = nil
        }
        guard let clients else { return }
        for (key, sd) in wanted where httpRefreshers[key] == nil {
            let task = Task { [weak self] in
                while !Task.isCancelled {
                    do {
                        let groups = try await HTTPServiceDiscovery.fetch(sd, pool: clients)
                        await self?.received(groups, for: key, from: sd)
                    } catch {
                        await self?.refreshFailed(key, error)
                    }
                    try? await Task.sleep(for: .milliseconds(max(1, sd.refreshInterval.milliseconds)))
                }
            }
            httpRefreshers[key] = (sd, task)
        }
    }

    private func received(_ groups: [TargetGroup], for key: String, from config: HTTPSDConfig) {
        guard httpRefreshers[key]?.config == config, httpGroups[key] != groups else { return }
        httpGroups[key] = groups
        sync()
    }

    private func refreshFailed(_ key: String, _ error: any Error) {
        guard httpRefreshers[key] != nil else { return }
        httpFailures += 1
        logger.error("HTTP service discovery refresh failed", metadata: ["discovery": .string(key), "error": .string("\(error)")])
    }

    // MARK: - Target set

    private func refreshFileDiscovery() {
        var changed = false
        for config in configuration.scrapeConfigs {
            for (index, fileSD) in config.fileSDConfigs.enumerated() {
                let key = "\(config.jobName)/\(index)"
                let times = FileServiceDiscovery.modificationTimes(fileSD)
                if fileSnapshots[key]?.modificationTimes != times { changed = true }
            }
        }
        if changed { sync() }
    }

    /// Computes the wanted targets and starts and stops loops to match.
    private func sync() {
        var wanted: [ScrapeTargetSpec] = []
        var newDropped: [DroppedTarget] = []
        var newFailed: [DroppedTarget] = []
        for config in configuration.scrapeConfigs {
            var groups = config.staticConfigs
            for (index, fileSD) in config.fileSDConfigs.enumerated() {
                let key = "\(config.jobName)/\(index)"
                let snapshot = FileServiceDiscovery.discover(fileSD, previous: fileSnapshots[key])
                for error in snapshot.errors where fileSnapshots[key]?.errors.contains(error) != true {
                    logger.error("file discovery failed", metadata: ["job": .string(config.jobName), "error": .string(error.description)])
                }
                fileSnapshots[key] = snapshot
                groups += snapshot.groups
            }
            for index in config.httpSDConfigs.indices { groups += httpGroups["\(config.jobName)/\(index)"] ?? [] }
            let result = config.targets(from: groups)
            for failure in result.failures {
                logger.warning("target dropped", metadata: ["job": .string(config.jobName), "error": .string(failure.description)])
                newFailed.append(DroppedTarget(job: config.jobName, discoveredLabels: failure.discoveredLabels, reason: failure.message))
            }
            for target in result.targets {
                if target.isDropped {
                    let reason = Relabeling.dropReason(target.discoveredLabels, with: config.relabelConfigs) ?? "dropped by relabeling"
                    newDropped.append(DroppedTarget(job: config.jobName, discoveredLabels: target.discoveredLabels, reason: reason))
                } else {
                    wanted.append(ScrapeTargetSpec(config: config, target: target))
                }
            }
        }
        dropped = newDropped
        failed = newFailed
        let wantedSet = Set(wanted)
        for (spec, running) in loops where !wantedSet.contains(spec) {
            running.task.cancel()
            loops[spec] = nil
            statuses[spec] = nil
        }
        for spec in wanted where loops[spec] == nil {
            startLoop(spec)
        }
    }

    private func startLoop(_ spec: ScrapeTargetSpec) {
        guard let clients else { return }
        let loop = ScrapeLoop(
            target: spec, store: store, fetcher: TargetFetcher(pool: clients), logger: logger,
            report: { [weak self] status, report in await self?.record(spec, status, report) }
        )
        statuses[spec] = spec.initialStatus
        let offset = spec.offset(now: ScrapeLoop.now())
        loops[spec] = (Task { await loop.run(offsetMillis: offset) }, loop)
    }

    private func record(_ spec: ScrapeTargetSpec, _ status: TargetStatus, _ report: ScrapeReport) {
        guard loops[spec] != nil else { return }
        statuses[spec] = status
        onScrape(report)
    }

    /// Stops every loop at shutdown without staleness markers, as Prometheus does, so a restart continues the series.
    private func stopAll() async {
        for refresher in httpRefreshers.values { refresher.task.cancel() }
        httpRefreshers = [:]
        let running = Array(loops.values)
        loops = [:]
        for entry in running {
            entry.loop.skipEndOfRunStaleness()
            entry.task.cancel()
        }
        for entry in running { await entry.task.value }
    }
}
