import API
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Model
import PromQL
import Remote
import Rules
import Config
import Scraper
import ServiceLifecycle
import TSDB
import UnixSignals
import Web
import WebSecurity

/// `vigil serve`: the prediction API and its monitoring in one process, until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the prediction API and monitor it: scrape, store, and expose metrics.",
        discussion: """
            Every flag can also be set by an environment variable: --model.path by VIGIL_MODEL_PATH, and so on.
            SIGHUP, or POST /-/reload on either listener with --web.enable-lifecycle, reloads the model, the \
            configuration and the web configuration files; a file that fails to load is reported and the running \
            one is kept.
            """
    )

    @Option(name: .customLong("config.file"), help: "Configuration file in Prometheus's format. Env VIGIL_CONFIG_FILE.")
    var configFile: String = Env.value("config.file", default: "config/vigil.yml")

    @Option(name: .customLong("api.listen-address"), help: "Address the prediction API listens on. Env VIGIL_API_LISTEN_ADDRESS.")
    var apiListenAddress: String = Env.value("api.listen-address", default: "127.0.0.1:8002")

    @Option(name: .customLong("web.listen-address"), help: "Address the monitoring listener (metrics, health, reload) listens on. Env VIGIL_WEB_LISTEN_ADDRESS.")
    var webListenAddress: String = Env.value("web.listen-address", default: "127.0.0.1:9090")

    @Option(name: .customLong("storage.path"), help: "SQLite database holding the samples. Env VIGIL_STORAGE_PATH.")
    var storagePath: String = Env.value("storage.path", default: "data/vigil.db")

    @Option(name: .customLong("query.timeout"), help: "Longest a query may run, as Prometheus's flag. Env VIGIL_QUERY_TIMEOUT.")
    var queryTimeout: String = Env.value("query.timeout", default: "2m")

    @Option(name: .customLong("query.max-samples"), help: "Most samples one query may hold in memory. Env VIGIL_QUERY_MAX_SAMPLES.")
    var queryMaxSamples: Int = Int(Env.value("query.max-samples", default: "50000000")) ?? 50_000_000

    @Option(name: .customLong("query.lookback-delta"), help: "How far back an instant selector looks for a sample. Env VIGIL_QUERY_LOOKBACK_DELTA.")
    var queryLookbackDelta: String = Env.value("query.lookback-delta", default: "5m")

    @Option(name: .customLong("storage.retention.time"), help: "How long to keep samples, e.g. 15d or 12h; 0 keeps them until the size limit. Env VIGIL_STORAGE_RETENTION_TIME.")
    var retentionTime: String = Env.value("storage.retention.time", default: "15d")

    @Option(name: .customLong("storage.maintenance-interval"), help: .hidden)
    var maintenanceInterval: String = "1m"

    @Option(name: .customLong("storage.retention.size"), help: "Largest size of the database, e.g. 512MB or 10GB; 0 for no limit. Env VIGIL_STORAGE_RETENTION_SIZE.")
    var retentionSize: String = Env.value("storage.retention.size", default: "0")

    @Option(name: .customLong("model.path"), help: "Model artifact written by `vigil train`. Env VIGIL_MODEL_PATH.")
    var modelPath: String = Env.value("model.path", default: "models/diabetes-logreg.json")

    @Option(name: .customLong("model.uri"), help: "Load the model from MLflow instead: models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN_ID/PATH (a plain path works like --model.path). Env VIGIL_MODEL_URI.")
    var modelURI: String = Env.value("model.uri", default: "")

    @Option(name: .customLong("mlflow.tracking-uri"), help: "MLflow tracking server for --model.uri. Env VIGIL_MLFLOW_TRACKING_URI, else MLFLOW_TRACKING_URI.")
    var mlflowTrackingURI: String = Env.value("mlflow.tracking-uri", default: ProcessInfo.processInfo.environment["MLFLOW_TRACKING_URI"] ?? "")

    @Option(name: .customLong("model.cache-dir"), help: "Where the last good registry download is kept, so Vigil starts while MLflow is down; default: model-cache beside --storage.path. Env VIGIL_MODEL_CACHE_DIR.")
    var modelCacheDir: String = Env.value("model.cache-dir", default: "")

    @Option(name: .customLong("model.poll-interval"), help: "Reload the model this often, e.g. 30s, so an alias move is followed; 0 only on reload. Env VIGIL_MODEL_POLL_INTERVAL.")
    var modelPollInterval: String = Env.value("model.poll-interval", default: "0")

    @Option(name: .customLong("model.drift-window"), help: "Requests the drift PSI covers; 0 turns drift tracking off. Env VIGIL_MODEL_DRIFT_WINDOW.")
    var driftWindow: Int = Int(Env.value("model.drift-window", default: "1000")) ?? 1000

    @Option(name: .customLong("api.body-size-limit"), help: "Largest request body in bytes; larger ones get 413. Env VIGIL_API_BODY_SIZE_LIMIT.")
    var bodySizeLimit: Int = Int(Env.value("api.body-size-limit", default: "1048576")) ?? 1_048_576

    @Option(name: .customLong("api.container-name"), help: "The name label of the container_* metrics. Env VIGIL_API_CONTAINER_NAME.")
    var containerName: String = Env.value("api.container-name", default: "ml-api")

    @Option(name: .customLong("rules.alert.for-outage-tolerance"), help: "Longest outage after which an alert's for state is still restored. Env VIGIL_RULES_ALERT_FOR_OUTAGE_TOLERANCE.")
    var forOutageTolerance: String = Env.value("rules.alert.for-outage-tolerance", default: "1h")

    @Option(name: .customLong("rules.alert.for-grace-period"), help: "Least time between a restart and an alert with a restored for state firing. Env VIGIL_RULES_ALERT_FOR_GRACE_PERIOD.")
    var forGracePeriod: String = Env.value("rules.alert.for-grace-period", default: "10m")

    @Option(name: .customLong("rules.alert.resend-delay"), help: "How long to wait before resending an alert to Alertmanager. Env VIGIL_RULES_ALERT_RESEND_DELAY.")
    var resendDelay: String = Env.value("rules.alert.resend-delay", default: "1m")

    @Option(name: .customLong("web.external-url"), help: "The URL under which Vigil is reached, for alerts' generator links. Env VIGIL_WEB_EXTERNAL_URL.")
    var externalURL: String = Env.value("web.external-url", default: "")

    @Option(name: .customLong("web.dashboards.path"), help: "Directory of Grafana dashboard JSON files; default: dashboards/ beside the configuration file's directory. Env VIGIL_WEB_DASHBOARDS_PATH.")
    var dashboardsPath: String = Env.value("web.dashboards.path", default: "")

    @Flag(name: .customLong("web.enable-remote-write-receiver"), help: "Accept remote-write requests at /api/v1/write, as Prometheus's flag of that name. Env VIGIL_WEB_ENABLE_REMOTE_WRITE_RECEIVER=true.")
    var enableRemoteWriteReceiver: Bool = Env.value("web.enable-remote-write-receiver", default: "false") == "true"

    @Option(name: .customLong("web.config.file"), help: "Web configuration (TLS, basic auth, headers) for the monitoring listener, in Prometheus's format. Env VIGIL_WEB_CONFIG_FILE.")
    var webConfigFile: String = Env.value("web.config.file", default: "")

    @Option(name: .customLong("api.web-config.file"), help: "Web configuration for the prediction API; default: --web.config.file. Env VIGIL_API_WEB_CONFIG_FILE.")
    var apiWebConfigFile: String = Env.value("api.web-config.file", default: "")

    @Flag(name: .customLong("web.enable-lifecycle"), help: "Serve POST /-/reload and /-/quit on both listeners (otherwise 403). Env VIGIL_WEB_ENABLE_LIFECYCLE=true.")
    var enableLifecycle: Bool = Env.value("web.enable-lifecycle", default: "false") == "true"

    @Flag(name: .customLong("web.enable-admin-api"), help: "Serve /api/v1/admin/* (snapshots, deleting series). Env VIGIL_WEB_ENABLE_ADMIN_API=true.")
    var enableAdminAPI: Bool = Env.value("web.enable-admin-api", default: "false") == "true"

    @Option(name: .customLong("query.max-concurrency"), help: "Most queries run at once; more wait. Env VIGIL_QUERY_MAX_CONCURRENCY.")
    var queryMaxConcurrency: Int = Int(Env.value("query.max-concurrency", default: "20")) ?? 20

    @Option(name: .customLong("demo.fault-injection"), help: ArgumentHelp(
        "For demos: start with these faults injected into /predict, e.g. error_share=0.5 or request_latency=1.5s,held_open_requests=12 (also inference_time). POST /-/demo?NAME=VALUE changes them at run time (needs --web.enable-lifecycle). Off by default; shown in /health while on. Env VIGIL_DEMO_FAULT_INJECTION.",
        valueName: "faults"))
    var demoFaultInjection: String = Env.value("demo.fault-injection", default: "")

    @OptionGroup var logging: LoggingOptions

    /// The faults `--demo.fault-injection` asks for (none when it is empty).
    func initialDemoFaults() throws -> DemoFaults {
        guard !demoFaultInjection.isEmpty else { return DemoFaults() }
        do {
            return try DemoFaults().applying(try DemoFaults.parameters(fromFlag: demoFaultInjection))
        } catch {
            throw ValidationError("--demo.fault-injection: \(error)")
        }
    }

    /// The prediction API's web configuration: its own flag, else the monitoring listener's.
    var resolvedAPIWebConfigFile: String? {
        if !apiWebConfigFile.isEmpty { return apiWebConfigFile }
        return webConfigFile.isEmpty ? nil : webConfigFile
    }

    /// The dashboards directory: the flag, or `dashboards/` next to the directory holding `--config.file`,
    /// so the default never depends on the working directory.
    var resolvedDashboardsPath: String {
        if !dashboardsPath.isEmpty { return URL(fileURLWithPath: dashboardsPath).path }
        return URL(fileURLWithPath: configFile).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("dashboards").path
    }

    func validate() throws {
        for (flag, value) in [("query.timeout", queryTimeout), ("query.lookback-delta", queryLookbackDelta)] {
            let millis: Int64
            do { millis = try PrometheusDuration(parsing: value).milliseconds } catch { throw ValidationError("--\(flag): \(error)") }
            guard millis > 0 else { throw ValidationError("--\(flag) must be positive, got \(value)") }
        }
        guard queryMaxSamples > 0 else { throw ValidationError("--query.max-samples must be positive, got \(queryMaxSamples)") }
        guard ListenAddress(apiListenAddress) != nil else {
            throw ValidationError("--api.listen-address must be HOST:PORT, got \(apiListenAddress)")
        }
        guard ListenAddress(webListenAddress) != nil else {
            throw ValidationError("--web.listen-address must be HOST:PORT, got \(webListenAddress)")
        }
        guard bodySizeLimit > 0 else { throw ValidationError("--api.body-size-limit must be positive") }
        _ = try modelSourceChoice()
        guard (0...1_000_000).contains(driftWindow) else { throw ValidationError("--model.drift-window must be between 0 and 1000000, got \(driftWindow)") }
        do { _ = try PrometheusDuration(parsing: modelPollInterval) } catch { throw ValidationError("--model.poll-interval: \(error)") }
        _ = try initialDemoFaults()
        guard queryMaxConcurrency > 0 else { throw ValidationError("--query.max-concurrency must be positive, got \(queryMaxConcurrency)") }
        do { _ = try PrometheusDuration(parsing: retentionTime) } catch {
            throw ValidationError("--storage.retention.time: \(error)")
        }
        do {
            guard try PrometheusDuration(parsing: maintenanceInterval).milliseconds > 0 else {
                throw ValidationError("--storage.maintenance-interval must be positive")
            }
        } catch let error as ValidationError { throw error } catch {
            throw ValidationError("--storage.maintenance-interval: \(error)")
        }
        do { _ = try ByteSize(parsing: retentionSize) } catch {
            throw ValidationError("--storage.retention.size: \(error)")
        }
        for (flag, value) in [("rules.alert.for-outage-tolerance", forOutageTolerance), ("rules.alert.for-grace-period", forGracePeriod),
                              ("rules.alert.resend-delay", resendDelay)] {
            do { _ = try PrometheusDuration(parsing: value) } catch { throw ValidationError("--\(flag): \(error)") }
        }
    }

    /// Rule evaluation settings from the configuration and the flags.
    func ruleOptions(_ configuration: PrometheusConfiguration) throws -> RuleManager.Options {
        var options = RuleManager.Options()
        options.defaultInterval = configuration.global.evaluationInterval.milliseconds
        options.externalLabels = configuration.global.externalLabels
        options.externalURL = externalURL
        options.resendDelay = try PrometheusDuration(parsing: resendDelay).milliseconds
        options.restoration = ForStateRestoration(outageTolerance: try PrometheusDuration(parsing: forOutageTolerance).milliseconds,
                                                  gracePeriod: try PrometheusDuration(parsing: forGracePeriod).milliseconds)
        return options
    }

    /// Rules see the engine only through this function: instant queries, vectors and scalars as samples.
    static func queryFunc(_ engine: PromQLEngine) -> QueryFunc {
        { expr, time in
            switch try await engine.instantQuery(expr, at: time) {
            case .vector(let samples): return samples.map { ($0.labels, $0.v) }
            case .scalar(_, let value): return [(Labels(), value)]
            default: return []
            }
        }
    }

    /// The flags as `/api/v1/status/flags` reports them.
    var flags: [String: String] {
        [
            "config.file": configFile, "api.listen-address": apiListenAddress, "web.listen-address": webListenAddress,
            "storage.path": storagePath, "storage.retention.time": retentionTime, "storage.retention.size": retentionSize,
            "model.path": modelPath, "api.body-size-limit": String(bodySizeLimit), "api.container-name": containerName,
            "log.level": logging.level, "log.format": logging.format, "web.dashboards.path": resolvedDashboardsPath,
            "web.enable-remote-write-receiver": String(enableRemoteWriteReceiver),
            "model.uri": modelURI, "mlflow.tracking-uri": mlflowTrackingURI, "model.cache-dir": modelCacheDir,
            "model.poll-interval": modelPollInterval, "model.drift-window": String(driftWindow),
            "web.config.file": webConfigFile, "api.web-config.file": resolvedAPIWebConfigFile ?? "",
            "web.enable-lifecycle": String(enableLifecycle), "web.enable-admin-api": String(enableAdminAPI),
            "query.max-concurrency": String(queryMaxConcurrency), "demo.fault-injection": demoFaultInjection,
        ]
    }

    func run() async throws {
        keepLargeAllocationsMapped()
        logging.bootstrap()
        let logger = Logger(label: "vigil")
        let apiAddress = ListenAddress(apiListenAddress)!
        let webAddress = ListenAddress(webListenAddress)!

        let configURL = URL(fileURLWithPath: configFile)
        let configuration: PrometheusConfiguration
        do {
            configuration = try loadConfiguration(file: configURL)
        } catch {
            logger.critical("cannot load configuration", metadata: ["file": .string(configFile), "error": .string(error.description)])
            throw ExitCode(1)
        }

        // One server per store, as Prometheus locks its data directory: a second one would interleave
        // its head log with ours.
        let lock: StorageLock
        do {
            lock = try StorageLock(storagePath: storagePath)
        } catch {
            logger.critical("cannot start: \(error)", metadata: ["storage.path": .string(storagePath)])
            throw ExitCode(1)
        }
        defer { lock.release() }

        // Both web configurations are read before anything listens: a broken one is a start-up error naming file:line.
        let webGuard: WebGuard
        let apiGuard: WebGuard
        do {
            webGuard = try WebGuard(path: webConfigFile.isEmpty ? nil : webConfigFile, enableLifecycle: enableLifecycle)
            // A guard of its own even for the same file: each listener keeps its own TLS and credential cache.
            apiGuard = try WebGuard(path: resolvedAPIWebConfigFile, enableLifecycle: enableLifecycle)
        } catch {
            logger.critical("cannot load web configuration: \(error.description)")
            throw ExitCode(1)
        }

        let (resolvedModelPath, registrySource) = try modelSourceChoice()
        var apiConfiguration = APIConfiguration(host: apiAddress.host, port: apiAddress.port, modelPath: URL(fileURLWithPath: resolvedModelPath),
                                                bodySizeLimit: bodySizeLimit, containerName: containerName,
                                                modelSource: registrySource, driftWindow: driftWindow)
        apiConfiguration.demoFaults = try initialDemoFaults()
        // The store starts opening now, on another thread, while the model loads and the API starts; the
        // supervisor takes this first attempt's result (and retries on its own if it failed).
        let firstOpen = Task { try await openStore() }
        let prediction = PredictionService(configuration: apiConfiguration, logger: Logger(label: "vigil.api"))
        await prediction.store.reload()
        let pollMillis = (try? PrometheusDuration(parsing: modelPollInterval).milliseconds) ?? 0

        logger.info("starting", metadata: [
            "version": .string(VigilVersion.current), "api.listen_address": .string(apiAddress.description),
            "web.listen_address": .string(webAddress.description), "config.file": .string(configFile),
            "tls": .string(webGuard.tls == nil ? "off" : "on"), "api.tls": .string(apiGuard.tls == nil ? "off" : "on"),
        ])
        let shutdown = ShutdownTrigger()
        let listeners = Listeners(web: webGuard, api: apiGuard, queryGate: QueryGate(limit: queryMaxConcurrency),
                                  quit: { shutdown.trigger() })
        // The prediction API never waits on storage: monitoring starts beside it, opening the store
        // (and retrying while it cannot be opened) on its own.
        let supervisor = MonitoringSupervisor(serve: self, configuration: configuration, configURL: configURL,
                                              prediction: prediction, webAddress: webAddress, listeners: listeners, logger: logger,
                                              firstOpen: firstOpen)
        let apiApplication: any Service
        do {
            apiApplication = try listeners.apiApplication(prediction, address: apiAddress)
        } catch {
            logger.critical("cannot set up TLS for the prediction API: \(error)")
            throw ExitCode(1)
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    // Named, because without a name ServiceLifecycle describes each service by reflection (5 % of start-up).
                    .init(service: apiApplication, serviceName: "api-listener"),
                    .init(service: supervisor, serviceName: "monitoring"),
                    .init(service: SignalReloadService(supervisor: supervisor, logger: logger), serviceName: "sighup-reload"),
                    .init(service: ModelPollService(store: prediction.store, intervalMillis: pollMillis), serviceName: "model-poll"),
                    // Last, so it stops first: held-open demo requests are released before the API drains its connections.
                    .init(service: DemoFaultShutdown(faults: prediction.faults), serviceName: "demo-faults"),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        shutdown.install(group)
        do {
            try await group.run()
        } catch let error as ListenerError {
            // A start-up mistake, not a crash: one line naming the address and the flag, exit 1.
            logger.critical("\(error.description)")
            throw ExitCode(1)
        }
        logger.info("stopped")
    }

    /// The model file, or a registry source when --model.uri names one.
    func modelSourceChoice() throws -> (path: String, registry: (any ModelSource)?) {
        if modelURI.isEmpty { return (modelPath, nil) }
        guard let reference = MLflowModelURI(modelURI) else {
            if modelURI.contains(":/") { throw ValidationError("--model.uri must be models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH or a file path, got \(modelURI)") }
            return (modelURI, nil)
        }
        guard let tracking = URL(string: mlflowTrackingURI), ["http", "https"].contains(tracking.scheme ?? ""), tracking.host != nil else {
            throw ValidationError("--model.uri \(modelURI) needs --mlflow.tracking-uri (an http:// URL of the MLflow server)")
        }
        let cache = modelCacheDir.isEmpty
            ? URL(fileURLWithPath: storagePath).deletingLastPathComponent().appendingPathComponent("model-cache")
            : URL(fileURLWithPath: modelCacheDir)
        return (modelPath, MLflowModelSource(uri: reference, client: MLflowClient(trackingURI: tracking), cacheDirectory: cache))
    }

    /// Opens the store with the retention flags.
    func openStore() async throws -> TimeSeriesStore {
        let retentionMillis = try PrometheusDuration(parsing: retentionTime).milliseconds
        let retentionBytes = try ByteSize(parsing: retentionSize).bytes
        return try await TimeSeriesStore(path: storagePath, options: .init(
            retentionMillis: retentionMillis > 0 ? retentionMillis : nil,
            retentionBytes: retentionBytes > 0 ? retentionBytes : nil
        ))
    }
}

/// Re-reads the configuration and the model; a file that fails keeps what is running.
actor Reloader {
    let configURL: URL
    let model: ModelStore
    let scrapeManager: ScrapeManager
    let ruleManager: RuleManager
    let notifier: Notifier
    let remoteWrite: RemoteWriteManager
    let state: ServerState
    let logger: Logger
    let ruleOptions: @Sendable (PrometheusConfiguration) throws -> RuleManager.Options

    init(configURL: URL, model: ModelStore, scrapeManager: ScrapeManager, ruleManager: RuleManager, notifier: Notifier,
         remoteWrite: RemoteWriteManager, state: ServerState, logger: Logger,
         ruleOptions: @escaping @Sendable (PrometheusConfiguration) throws -> RuleManager.Options) {
        self.remoteWrite = remoteWrite
        self.configURL = configURL
        self.model = model
        self.scrapeManager = scrapeManager
        self.ruleManager = ruleManager
        self.notifier = notifier
        self.state = state
        self.logger = logger
        self.ruleOptions = ruleOptions
    }

    /// Nil when everything reloaded, otherwise what failed.
    func reload() async -> String? {
        var failures: [String] = []
        if case .failure(let error) = await model.reload() { failures.append(error.message) }
        do {
            let configuration = try loadConfiguration(file: configURL)
            // Rules first: a broken rule file rejects the whole reload, and nothing changes.
            let ruleFiles = try loadRuleFiles(configuration.ruleFiles)
            try await ruleManager.load(ruleFiles, options: try ruleOptions(configuration))
            await scrapeManager.apply(configuration)
            await notifier.apply(configuration, logger: logger)
            try await remoteWrite.apply(configuration)
            await state.setExternalLabels(configuration.global.externalLabels)
            await state.recordReload(
                success: true, yaml: (try? String(contentsOf: configURL, encoding: .utf8)).map(SecretRedaction.redact(yaml:)))
            await state.setAlertmanagerURLs(Notifier.alertsEndpoints(from: configuration.alerting))
            logger.info("configuration reloaded", metadata: ["config.file": .string(configURL.path)])
        } catch {
            await state.recordReload(success: false, yaml: nil, error: "\(error)")
            logger.error("configuration reload failed, keeping the running one", metadata: ["error": .string("\(error)")])
            failures.append("\(error)")
        }
        return failures.isEmpty ? nil : failures.joined(separator: "; ")
    }
}

/// Reloads on SIGHUP, as Prometheus does.
struct SignalReloadService: Service {
    let supervisor: MonitoringSupervisor
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.info("SIGHUP received, reloading")
            _ = await supervisor.reload()
        }
    }
}

/// Reloads the model every interval, so a registry alias that moves is followed without a signal.
struct ModelPollService: Service {
    let store: ModelStore
    let intervalMillis: Int64

    func run() async throws {
        guard intervalMillis > 0 else {
            // Nothing to poll: wait for shutdown like the other services.
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: .milliseconds(intervalMillis))
                await store.reload()
            }
        }
    }
}

/// Turns demo faults off when shutdown begins, so requests held open on purpose do not keep the API from stopping.
struct DemoFaultShutdown: Service {
    let faults: DemoFaultInjector

    func run() async throws {
        try? await gracefulShutdown()
        if faults.current.isOn { faults.set(DemoFaults()) }
    }
}
