import AsyncHTTPClient
import Config
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OutboundHTTP
import ServiceLifecycle
import TSDB

/// Notifier queues alerts and posts them in batches to every configured Alertmanager, like Prometheus's notifier.
///
/// The queue is bounded: when it is full the oldest alerts are dropped and counted, because newer notifications
/// supersede older ones for the same alert. Each batch goes to all Alertmanagers concurrently; a batch counts as
/// dropped only when none of them accepted it. The HTTP client exists only while `run()` does, so a notifier that is
/// never run owns no threads or connections.
public actor Notifier: Service {
    /// The most alerts posted in one request, as Prometheus's `maxBatchSize`.
    public static let maxBatchSize = 64

    /// Endpoint is one Alertmanager: the URL alerts are posted to, how long a post may take, and the TLS and
    /// credentials settings of the Alertmanager config it came from.
    public struct Endpoint: Sendable, Hashable {
        public var url: URL
        public var timeout: Duration
        public var httpClient: HTTPClientConfiguration

        public init(url: URL, timeout: Duration, httpClient: HTTPClientConfiguration = HTTPClientConfiguration()) {
            self.url = url
            self.timeout = timeout
            self.httpClient = httpClient
        }
    }

    /// AlertRelabeling rewrites an alert's labels before it is queued (`alert_relabel_configs`); nil drops the alert.
    public typealias AlertRelabeling = @Sendable (Labels) -> Labels?

    public private(set) var endpoints: [Endpoint]
    public let queueCapacity: Int
    public private(set) var externalLabels: Labels
    private var relabel: AlertRelabeling?
    private let logger: Logger

    private var queue: [OutgoingAlert] = []
    private var droppedTotal = 0
    private var perAlertmanager: [NotifierStats.AlertmanagerStats]
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// Creates a notifier posting to each endpoint's URL as given, relabeling alerts with `relabel` when set.
    public init(
        endpoints: [Endpoint], queueCapacity: Int = 10_000, externalLabels: Labels = Labels(),
        relabel: AlertRelabeling? = nil, logger: Logger
    ) {
        self.init(
            endpoints: endpoints, queueCapacity: queueCapacity, externalLabels: externalLabels, relabel: relabel,
            postsToBaseURLs: false, logger: logger)
    }

    private init(
        endpoints: [Endpoint], queueCapacity: Int, externalLabels: Labels, relabel: AlertRelabeling?,
        postsToBaseURLs: Bool, logger: Logger
    ) {
        self.postsToBaseURLs = postsToBaseURLs
        precondition(queueCapacity > 0, "the notification queue needs room for at least one alert")
        self.endpoints = endpoints
        self.queueCapacity = queueCapacity
        self.externalLabels = externalLabels
        self.relabel = relabel
        self.logger = logger
        self.perAlertmanager = endpoints.map { NotifierStats.AlertmanagerStats(url: $0.url) }
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Creates a notifier for Alertmanagers given by base URL, path prefix included; alerts go to `base/api/v2/alerts`.
    public init(
        alertmanagers: [URL], timeout: Duration = .seconds(10), queueCapacity: Int = 10_000,
        externalLabels: Labels = Labels(), logger: Logger
    ) {
        self.init(
            endpoints: alertmanagers.map { Endpoint(url: $0, timeout: timeout) }, queueCapacity: queueCapacity,
            externalLabels: externalLabels, relabel: nil, postsToBaseURLs: true, logger: logger)
    }

    /// Whether endpoint URLs are base URLs that get `/api/v2/alerts` appended (the `alertmanagers:` initializer).
    private let postsToBaseURLs: Bool

    /// The Alertmanager URLs as given to the initializer or to the last `apply`.
    public var alertmanagers: [URL] { endpoints.map(\.url) }

    /// Switches to a reloaded configuration's Alertmanagers, external labels and relabeling, for alerts queued from
    /// now on. Counters of Alertmanagers that stay are kept; the HTTP client's connect timeout stays as started.
    public func apply(endpoints: [Endpoint], externalLabels: Labels, relabel: AlertRelabeling?) {
        var previous: [URL: NotifierStats.AlertmanagerStats] = [:]
        for stats in perAlertmanager { previous[stats.url] = stats }
        self.endpoints = endpoints
        self.externalLabels = externalLabels
        self.relabel = relabel
        perAlertmanager = endpoints.map { previous[$0.url] ?? NotifierStats.AlertmanagerStats(url: $0.url) }
    }

    /// The URL alerts are posted to for an Alertmanager base URL.
    public static func postURL(for base: URL) -> String {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text + "/api/v2/alerts"
    }

    /// Queues alerts for sending, with the external labels added; when the queue overflows the oldest are dropped.
    public func enqueue(_ alerts: [OutgoingAlert]) {
        // External labels first, then alert_relabel_configs, as Prometheus orders them.
        var relabeled: [OutgoingAlert] = []
        relabeled.reserveCapacity(alerts.count)
        for alert in alerts {
            var alert = alert.addingExternalLabels(externalLabels)
            if let relabel {
                guard let labels = relabel(alert.labels) else { continue }
                alert.labels = labels
            }
            relabeled.append(alert)
        }
        if relabeled.isEmpty { return }
        var incoming = relabeled[...]
        var dropped = 0
        if incoming.count > queueCapacity {
            dropped = incoming.count - queueCapacity
            incoming = incoming.dropFirst(dropped)
        }
        let overflow = queue.count + incoming.count - queueCapacity
        if overflow > 0 {
            dropped += overflow
            queue.removeFirst(overflow)
        }
        if dropped > 0 {
            droppedTotal += dropped
            logger.info("alert notification queue full, dropping the oldest alerts", metadata: ["notifier.dropped": "\(dropped)"])
        }
        queue.append(contentsOf: incoming)
        wake.yield()
    }

    /// Queues the notifications for alert instances of the rule whose expression is `expr`.
    public func send(_ alerts: [AlertState], expr: String, externalURL: String) {
        enqueue(alerts.map { OutgoingAlert($0, expr: expr, externalURL: externalURL) })
    }

    /// The alerts waiting to be sent, as they will be sent: external labels added and relabeled.
    public func queuedAlerts() -> [OutgoingAlert] { queue }

    /// A snapshot of the queue and the counters.
    public func stats() -> NotifierStats {
        NotifierStats(
            queueLength: queue.count, queueCapacity: queueCapacity, droppedTotal: droppedTotal,
            alertmanagers: perAlertmanager)
    }

    /// Sends queued alerts as they arrive until cancelled or graceful shutdown; alerts still queued then are not sent.
    public func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: Self.timeAmount(endpoints.map(\.timeout).max() ?? .seconds(10)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        let client = HTTPClientPool(base: configuration)
        logger.debug("notifier started", metadata: ["notifier.alertmanagers": "\(endpoints.map(\.url.absoluteString))"])
        await cancelWhenGracefulShutdown {
            for await _ in self.wakeups {
                if Task.isCancelled { break }
                await self.drain(client: client)
            }
        }
        await client.shutdown()
        logger.debug("notifier stopped", metadata: ["notifier.queue_length": "\(queue.count)"])
    }

    /// Sends batches until the queue is empty or the task is cancelled.
    private func drain(client: HTTPClientPool) async {
        while !queue.isEmpty, !Task.isCancelled {
            let count = min(Self.maxBatchSize, queue.count)
            let batch = Array(queue.prefix(count))
            queue.removeFirst(count)
            await sendBatch(batch, client: client)
        }
    }

    private func sendBatch(_ batch: [OutgoingAlert], client: HTTPClientPool) async {
        if endpoints.isEmpty { return }
        let body = OutgoingAlert.jsonBody(batch)
        let results = await withTaskGroup(of: (Int, String?, Double).self) { group in
            for (index, endpoint) in endpoints.enumerated() {
                let url = postsToBaseURLs ? Self.postURL(for: endpoint.url) : endpoint.url.absoluteString
                let timeout = Self.timeAmount(endpoint.timeout)
                let settings = endpoint.httpClient
                group.addTask {
                    let start = ContinuousClock.now
                    let error = await Self.post(body, to: url, settings: settings, client: client, timeout: timeout)
                    let elapsed = ContinuousClock.now - start
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    return (index, error, seconds)
                }
            }
            var results: [(Int, String?, Double)] = []
            for await result in group { results.append(result) }
            return results
        }
        var delivered = false
        for (index, error, seconds) in results {
            perAlertmanager[index].sentTotal += batch.count
            perAlertmanager[index].lastLatencySeconds = seconds
            if let error {
                perAlertmanager[index].errorsTotal += batch.count
                logger.info(
                    "error sending alerts to Alertmanager",
                    metadata: [
                        "notifier.alertmanager": "\(endpoints[index].url.absoluteString)",
                        "notifier.alerts": "\(batch.count)", "error": "\(error)",
                    ])
            } else {
                delivered = true
            }
        }
        if !delivered {
            droppedTotal += batch.count
        }
    }

    /// Posts one body; returns nil on a 2xx answer and a description of what went wrong otherwise.
    ///
    /// Credentials and TLS files are read for each post, so rotating them needs no reload.
    private static func post(
        _ body: [UInt8], to url: String, settings: HTTPClientConfiguration, client pool: HTTPClientPool, timeout: TimeAmount
    ) async -> String? {
        let client: HTTPClient
        var request: HTTPClientRequest
        do {
            (client, request) = try pool.prepare(url: url, settings: settings)
        } catch {
            return error.message
        }
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Vigil")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: timeout)
            let answer = try await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(response.status.code) else {
                let text = String(buffer: answer).prefix(512)
                return "bad response status \(response.status): \(text)"
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
