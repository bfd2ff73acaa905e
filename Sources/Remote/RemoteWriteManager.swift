import Config
import AsyncHTTPClient
import Logging
import OutboundHTTP
import Model
import Prometheus
import Scraper
import ServiceLifecycle
import TSDB

/// Runs one `RemoteWriteQueue` per `remote_write` entry and applies reloads: unchanged entries keep running,
/// changed ones restart from their recorded position, removed ones stop and release the head log they held.
public actor RemoteWriteManager: Service {
    let storePath: String?
    let registry: PrometheusCollectorRegistry
    /// Clients per HTTP setting combination; TLS material and credentials go on each request.
    let clients: HTTPClientPool
    let logger: Logger
    let metadata: @Sendable () async -> [String: MetricMetadata]
    private var running: [String: (config: RemoteWriteConfig, externalLabels: Labels, queue: RemoteWriteQueue, task: Task<Void, Never>)] = [:]

    public init(storePath: String?, registry: PrometheusCollectorRegistry, logger: Logger,
                metadata: @escaping @Sendable () async -> [String: MetricMetadata]) {
        self.storePath = storePath
        self.registry = registry
        self.clients = HTTPClientPool(base: Self.clientConfiguration())
        self.logger = logger
        self.metadata = metadata
    }

    /// Lets a queue finish its round in flight, cancelling it if that takes longer than `limit` (a receiver that is down).
    static func stop(_ queue: RemoteWriteQueue, _ task: Task<Void, Never>, within limit: PrometheusDuration) async {
        await queue.requestStop()
        let deadline = Task {
            try await Task.sleep(for: .milliseconds(max(1, limit.milliseconds)))
            task.cancel()
        }
        await task.value
        deadline.cancel()
    }

    /// A client that fails a request at once when it cannot connect: the queue's own backoff retries it, where the
    /// client's default would hold the request (and the shard) until its whole timeout passed.
    static func clientConfiguration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        configuration.timeout.connect = .seconds(10)
        return configuration
    }

    /// The running queues by name, for tests and status.
    public func queues() -> [String: RemoteWriteQueue] { running.mapValues(\.queue) }

    /// Starts, restarts and stops queues to match the configuration.
    public func apply(_ configuration: PrometheusConfiguration) async throws(RemoteError) {
        let wanted = Dictionary(configuration.remoteWriteConfigs.map { ($0.queueName, $0) }, uniquingKeysWith: { $1 })
        if !wanted.isEmpty && storePath == nil {
            throw RemoteError("remote_write needs a store on disk: the queue reads the store's head log")
        }
        let externalLabels = configuration.global.externalLabels
        for (name, entry) in running where wanted[name] != entry.config || entry.externalLabels != externalLabels {
            await Self.stop(entry.queue, entry.task, within: entry.config.remoteTimeout)
            running[name] = nil
            logger.info("remote write queue stopped", metadata: ["remote_name": .string(name)])
        }
        guard let storePath else { return }
        do {
            try HeadLogReader(path: storePath).removePositions(except: Set(wanted.keys))
        } catch {
            throw RemoteError("cannot update remote write positions: \(error)")
        }
        for (name, config) in wanted.sorted(by: { $0.key < $1.key }) where running[name] == nil {
            let queue: RemoteWriteQueue
            do {
                queue = try RemoteWriteQueue(
                    config: config, externalLabels: externalLabels, storePath: storePath,
                    metrics: RemoteWriteMetrics(registry: registry, remoteName: name, url: config.url), clients: clients,
                    logger: logger, metadata: metadata)
                try await queue.start()
            } catch {
                throw RemoteError("cannot open the head log for remote write \(name): \(error)")
            }
            running[name] = (config, externalLabels, queue, Task { await queue.run() })
        }
    }

    /// Waits for shutdown, then stops every queue; positions were saved after each acknowledged round.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops every queue and closes the HTTP client; the manager must not be used afterwards.
    public func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for entry in running.values {
                group.addTask { await Self.stop(entry.queue, entry.task, within: entry.config.remoteTimeout) }
            }
        }
        running = [:]
        await clients.shutdown()
    }
}
