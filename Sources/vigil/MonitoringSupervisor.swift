import API
import Foundation
import Logging
import PromQL
import Remote
import Rules
import Config
import Scraper
import ServiceLifecycle
import TSDB
import Web
import WebSecurity

/// Runs the monitoring side — storage, scraping, rules, notifications and the monitoring listener — beside
/// the prediction API, which never waits for it.
///
/// When the store cannot be opened (a full disk, a read-only directory, a corrupt file) the error is
/// logged and opening is retried with backoff, while the API keeps serving. A reload before the store
/// is open re-reads the model alone.
actor MonitoringSupervisor: Service {
    let serve: Serve
    let configuration: PrometheusConfiguration
    let configURL: URL
    let prediction: PredictionService
    let webAddress: ListenAddress
    let listeners: Listeners
    let logger: Logger
    /// An attempt to open the store started before the supervisor ran, taken as its first attempt.
    let firstOpen: Task<TimeSeriesStore, any Error>?
    private var reloader: Reloader?
    /// Failed attempts to open the store since the last success, for the log.
    private(set) var failedOpens = 0

    init(serve: Serve, configuration: PrometheusConfiguration, configURL: URL, prediction: PredictionService,
         webAddress: ListenAddress, listeners: Listeners, logger: Logger, firstOpen: Task<TimeSeriesStore, any Error>? = nil) {
        self.firstOpen = firstOpen
        self.listeners = listeners
        self.serve = serve
        self.configuration = configuration
        self.configURL = configURL
        self.prediction = prediction
        self.webAddress = webAddress
        self.logger = logger
    }

    /// Nil when everything reloaded, otherwise what failed.
    func reload() async -> String? {
        // The web configurations first: a broken one keeps its running settings and is reported with the rest.
        var failures = listeners.reload()
        if let reloader {
            if let failure = await reloader.reload() { failures.append(failure) }
        } else if case .failure(let error) = await prediction.store.reload() {
            failures.append(error.message)
        }
        return failures.isEmpty ? nil : failures.joined(separator: "; ")
    }

    nonisolated func run() async throws {
        guard let store = await openStoreRetrying() else { return }
        do {
            try await runMonitoring(store)
        } catch {
            await close(store)
            throw error
        }
        await close(store)
    }

    /// Closes the store at shutdown; a failure (a full disk, say) is logged, as Prometheus logs "Error stopping
    /// storage", and does not fail the shutdown: every committed sample is already in the file's head log.
    private nonisolated func close(_ store: TimeSeriesStore) async {
        do {
            try await store.close()
        } catch {
            logger.error("error stopping storage; the head log keeps every committed sample and the next start replays it", metadata: [
                "storage.path": .string(serve.storagePath), "error": .string("\(error)"),
            ])
        }
    }

    /// Opens the store, retrying every 1 s to 30 s until it opens or shutdown begins (then nil).
    private nonisolated func openStoreRetrying() async -> TimeSeriesStore? {
        var delay = Duration.seconds(1)
        var started = firstOpen
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let attempt = started
                started = nil
                let store: TimeSeriesStore
                if let attempt { store = try await attempt.value } else { store = try await serve.openStore() }
                let stats = await store.stats()
                logger.info("storage opened", metadata: [
                    "storage.path": .string(serve.storagePath), "series": .stringConvertible(stats.series),
                    "samples": .stringConvertible(stats.samples),
                ])
                return store
            } catch {
                let attempts = await recordFailedOpen()
                logger.error("cannot open storage; the prediction API keeps serving and opening is retried", metadata: [
                    "storage.path": .string(serve.storagePath), "error": .string("\(error)"),
                    "attempt": .stringConvertible(attempts), "retry_in": .string("\(delay)"),
                ])
                let wait = delay
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) } } catch { return nil }
                delay = min(delay * 2, .seconds(30))
            }
        }
        // Shutdown came before the early attempt was taken: a store it opened is closed, not left open.
        if let started, let store = try? await started.value { try? await store.close() }
        return nil
    }

    private func recordFailedOpen() -> Int {
        failedOpens += 1
        return failedOpens
    }

    private func install(_ reloader: Reloader) { self.reloader = reloader }

    /// Builds every monitoring component over an open store and runs them until shutdown.
    private nonisolated func runMonitoring(_ store: TimeSeriesStore) async throws {
        // One engine and one set of query options for the API, the dashboards and the rules.
        let queryOptions = serve.queryOptions(configuration)
        let engine = PromQLEngine(querier: store, options: queryOptions)
        // Scrapes and rule results are written through one appender; sinks that must see every stored
        // sample (a forwarder, a second store) join it here.
        let appender = FanoutAppender(primary: store, sinks: [])
        let notifier = Notifier.configured(by: configuration, logger: Logger(label: "vigil.notifier"))
        let ruleManager = RuleManager(store: store, appender: appender, query: Serve.queryFunc(engine), options: try serve.ruleOptions(configuration),
                                      logger: Logger(label: "vigil.rules")) { alerts in await notifier.enqueue(alerts) }
        let vigilMetrics = VigilMetrics(store: store, ruleManager: ruleManager, notifier: notifier)
        let scrapeManager = ScrapeManager(configuration: configuration, store: appender, logger: Logger(label: "vigil.scrape")) { report in
            vigilMetrics.record(report)
        }
        vigilMetrics.countHTTPDiscoveryFailures { await scrapeManager.httpDiscoveryFailuresTotal() }
        try await ruleManager.load(try loadRuleFiles(configuration.ruleFiles))
        let serverState = ServerState(flags: serve.flags, storageRetention: serve.retentionTime,
                                      configYAML: SecretRedaction.redact(yaml: (try? String(contentsOf: configURL, encoding: .utf8)) ?? ""))
        await serverState.setAlertmanagerURLs(Notifier.alertsEndpoints(from: configuration.alerting))
        await serverState.setExternalLabels(configuration.global.externalLabels)
        let remoteWrite = RemoteWriteManager(storePath: store.path, registry: vigilMetrics.registry, logger: Logger(label: "vigil.remote")) {
            await store.metadata()
        }
        try await remoteWrite.apply(configuration)
        let serve = self.serve
        let reloader = Reloader(configURL: configURL, model: prediction.store, scrapeManager: scrapeManager, ruleManager: ruleManager,
                                notifier: notifier, remoteWrite: remoteWrite, state: serverState, logger: logger) { try serve.ruleOptions($0) }
        await install(reloader)
        let storageURL = URL(fileURLWithPath: serve.storagePath)
        let admin = AdminAPI(enabled: serve.enableAdminAPI,
                             snapshotDirectory: storageURL.deletingLastPathComponent().appendingPathComponent("snapshots").path,
                             databaseFileName: storageURL.lastPathComponent)
        let listeners = self.listeners
        let monitoring = MonitoringServer(store: store, scrapeManager: scrapeManager, metrics: vigilMetrics, state: serverState,
                                          version: VigilVersion.current, ruleManager: ruleManager,
                                          dashboardsDirectory: serve.resolvedDashboardsPath, admin: admin, queryOptions: queryOptions,
                                          logger: Logger(label: "vigil.web"), quit: { listeners.quit() }) { [weak self] in
            await self?.reload()
        }
        let monitoringApplication = try listeners.monitoringApplication(monitoring, address: webAddress)
        let group = ServiceGroup(configuration: .init(
            services: [
                // Named, because without a name ServiceLifecycle describes each service by reflection (5 % of start-up).
                .init(service: monitoringApplication, serviceName: "monitoring-listener"),
                .init(service: scrapeManager, serviceName: "scrape-manager"),
                .init(service: ruleManager, serviceName: "rule-manager"),
                .init(service: notifier, serviceName: "notifier"),
                .init(service: remoteWrite, serviceName: "remote-write"),
                .init(service: StorageMaintenance(store: store, interval: serve.maintenanceIntervalDuration, logger: logger), serviceName: "storage-maintenance"),
            ],
            logger: logger
        ))
        try await withGracefulShutdownHandler {
            try await group.run()
        } onGracefulShutdown: {
            Task { await group.triggerGracefulShutdown() }
        }
    }
}

/// Marks every open descriptor close-on-exec, so no child process — the crash backtracer, say — keeps
/// the listening sockets open and blocks a restart with "Address already in use".
func markDescriptorsCloseOnExec() {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for entry in entries {
        guard let descriptor = Int32(entry), descriptor > 2 else { continue }
        let flags = fcntl(descriptor, F_GETFD)
        if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
    }
}
