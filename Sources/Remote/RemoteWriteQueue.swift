import Config
import AsyncHTTPClient
import Foundation
import Logging
import OutboundHTTP
import Model
import NIOCore
import NIOHTTP1
import Scraper
import TSDB

/// Forwards the store's committed samples to one remote-write receiver, resuming from a persistent position.
///
/// The queue tails the head log (every commit, in order) through its own `HeadLogReader`. Each round reads
/// up to shards × capacity samples, splits them across shards by series so each series stays in order,
/// and sends every shard's batches; only when the whole round is acknowledged (or refused for good) does
/// the position advance. A crash or outage therefore resends at most one round, and loses nothing the
/// log still holds.
public actor RemoteWriteQueue {
    public let config: RemoteWriteConfig
    public let name: String
    let externalLabels: Labels
    let reader: HeadLogReader
    let metrics: RemoteWriteMetrics
    let clients: HTTPClientPool
    let logger: Logger
    let metadata: @Sendable () async -> [String: MetricMetadata]
    /// Each series' slot in `encodedLabels`, or -1 when write relabeling drops it (or the store no longer has it).
    private var seriesSlots: [SeriesRef: Int32] = [:]
    /// The outgoing labels of each series seen, encoded once as protobuf `Label` entries (see `WriteRequestEncoding`).
    private var encodedLabels: [[UInt8]] = []
    /// Set by `requestStop()`: the queue finishes the round in flight, saves its position, and returns.
    private var stopping = false
    /// The round a crash interrupted, redone with the same records and shards so each batch is either one the
    /// receiver already stored whole or one it never saw (a batch mixing both could be refused as out of order).
    private var interruptedRound: HeadLogReader.Round?
    private var shardCount: Int
    /// Samples per record in the last round, to estimate the backlog from the number of records behind.
    private var samplesPerRecord = 1.0
    /// The head-log sequence number of the last record whose samples were all acknowledged (or refused for good).
    public private(set) var position: Int64 = 0
    /// Samples this queue has had acknowledged since it started, for tests and status.
    public private(set) var samplesSent = 0

    static let userAgent = "Vigil/remote-write"

    public init(config: RemoteWriteConfig, externalLabels: Labels, storePath: String, metrics: RemoteWriteMetrics,
                clients: HTTPClientPool, logger: Logger,
                metadata: @escaping @Sendable () async -> [String: MetricMetadata]) throws(StorageError) {
        self.config = config
        self.name = config.queueName
        self.externalLabels = externalLabels
        self.reader = try HeadLogReader(path: storePath)
        self.metrics = metrics
        self.clients = clients
        self.logger = logger
        self.metadata = metadata
        self.shardCount = config.queueConfig.minShards
    }

    /// Reads the recorded position, or records the log's end for a new remote (which sends only what comes next).
    ///
    /// Called before `run()` so that samples committed as soon as the queue is configured are sent.
    public func start() throws(StorageError) {
        metrics.shardsMin.set(to: Double(config.queueConfig.minShards))
        metrics.shardsMax.set(to: Double(config.queueConfig.maxShards))
        if let saved = try reader.position(of: name) {
            position = saved
            interruptedRound = try reader.round(of: name)
        } else {
            position = try reader.lastSequence()
            try reader.setPosition(position, of: name)
        }
    }

    /// Sends until cancelled: samples from the position `start()` read, and metadata.
    public func run() async {
        logger.info("remote write queue started", metadata: ["remote_name": .string(name), "url": .string(config.url), "position": .stringConvertible(position)])
        await withTaskGroup(of: Void.self) { group in
            if config.metadataConfig.send {
                group.addTask { await self.sendMetadataPeriodically() }
            }
            await sendSamples()
            group.cancelAll()
        }
    }

    /// Asks the queue to stop after the round in flight, so a restart does not resend a half-acknowledged round
    /// (whose batches, cut differently, a receiver could refuse as out of order).
    public func requestStop() { stopping = true }

    // MARK: - Samples

    private func sendSamples() async {
        let poll = Duration.milliseconds(min(config.queueConfig.batchSendDeadline.milliseconds, 200))
        var waitingSince: ContinuousClock.Instant?
        while !Task.isCancelled && !stopping {
            do {
                let behind = try reader.lastSequence() - position
                guard behind > 0 else {
                    waitingSince = nil
                    try await Task.sleep(for: poll)
                    continue
                }
                let backlog = Double(behind) * samplesPerRecord
                let queue = config.queueConfig
                let desired = min(queue.maxShards, max(queue.minShards, Int((backlog / Double(queue.maxSamplesPerSend)).rounded(.up))))
                metrics.shardsDesired.set(to: Double(desired))
                shardCount = desired
                // A partial batch waits up to batch_send_deadline for more samples.
                if backlog < Double(queue.maxSamplesPerSend) {
                    let start = waitingSince ?? ContinuousClock.now
                    waitingSince = start
                    if ContinuousClock.now - start < Duration.milliseconds(queue.batchSendDeadline.milliseconds) {
                        try await Task.sleep(for: poll)
                        continue
                    }
                }
                waitingSince = nil
                try await sendRound(limit: shardCount * queue.capacity)
            } catch is CancellationError {
                return
            } catch {
                logger.error("remote write failed to read the head log", metadata: ["remote_name": .string(name), "error": .string("\(error)")])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Reads up to `limit` samples (whole records) after the position, sends them, and advances the position.
    private func sendRound(limit: Int) async throws {
        var records: [HeadLogReader.Record] = []
        var count = 0
        var after = position
        let redo = interruptedRound
        interruptedRound = nil
        while redo != nil || count < limit {
            let batch = try reader.records(after: after, limit: 64)
            guard let last = batch.last else { break }
            let before = records.count
            for record in batch {
                if let redo, record.sequence > redo.end { break }
                records.append(record)
                count += record.samples.count
                if redo == nil && count >= limit { break }
            }
            after = records.last?.sequence ?? last.sequence
            if records.count == before || batch.count < 64 || (redo.map { after >= $0.end } ?? false) { break }
        }
        guard let lastSequence = records.last?.sequence else { return }
        samplesPerRecord = max(1, Double(count) / Double(records.count))

        let shards = max(1, redo?.shards ?? shardCount)
        try reader.setRound(HeadLogReader.Round(end: lastSequence, shards: shards), of: name)
        metrics.shards.set(to: Double(shards))
        // Series come and go; a cache past a million entries starts over (between rounds, as a round's samples
        // point into it) rather than grow without bound.
        if seriesSlots.count >= 1_000_000 {
            seriesSlots.removeAll(keepingCapacity: true)
            encodedLabels.removeAll(keepingCapacity: true)
        }
        var perShard = [[WriteRequestEncoding.QueuedSample]](repeating: [], count: shards)
        if shards == 1 { perShard[0].reserveCapacity(count) }
        var dropped = 0
        var highest: Timestamp = .min
        for record in records {
            for sample in record.samples {
                let slot = try seriesSlot(sample.ref)
                guard slot >= 0 else {
                    dropped += 1
                    continue
                }
                highest = max(highest, sample.t)
                perShard[Int(UInt64(bitPattern: sample.ref) % UInt64(shards))].append(.init(series: slot, t: sample.t, v: sample.v))
            }
        }
        let labels = encodedLabels
        if dropped > 0 { metrics.samplesDropped.increment(by: Int64(dropped)) }
        if highest != .min { metrics.highestTimestamp.set(to: Double(highest) / 1000) }
        let pending = count - dropped
        metrics.samplesPending.set(to: Double(pending))

        let results = try await withThrowingTaskGroup(of: ShardResult.self) { group in
            for samples in perShard where !samples.isEmpty {
                group.addTask { try await self.sendShard(samples, labels: labels) }
            }
            var total = ShardResult()
            for try await result in group { total.add(result) }
            return total
        }
        try Task.checkCancellation()
        position = lastSequence
        try reader.setPosition(lastSequence, of: name)
        samplesSent += results.sent
        metrics.samplesPending.set(to: 0)
        if results.highestSent != .min { metrics.highestSent.set(to: Double(results.highestSent) / 1000) }
    }

    /// The slot of a series' encoded outgoing labels in `encodedLabels`, or -1 when it is dropped or gone.
    private func seriesSlot(_ ref: SeriesRef) throws -> Int32 {
        if let slot = seriesSlots[ref] { return slot }
        var slot: Int32 = -1
        if let labels = try outgoingLabels(ref) {
            slot = Int32(encodedLabels.count)
            encodedLabels.append(WriteRequestEncoding.labelEntries(labels))
        }
        seriesSlots[ref] = slot
        return slot
    }

    /// The labels sent for a series: its own, external labels it lacks, then write relabeling; nil when dropped or gone.
    private func outgoingLabels(_ ref: SeriesRef) throws -> Labels? {
        var result: Labels?
        if let stored = try reader.labels(of: ref) {
            var labels = stored
            if !externalLabels.isEmpty {
                var map = Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                for label in externalLabels where map[label.name] == nil { map[label.name] = label.value }
                labels = Labels(map)
            }
            result = config.writeRelabelConfigs.isEmpty ? labels : Relabeling.process(labels, with: config.writeRelabelConfigs)
            if let relabeled = result, relabeled.isEmpty { result = nil }
        }
        return result
    }

    struct ShardResult: Sendable {
        var sent = 0
        var highestSent: Timestamp = .min

        mutating func add(_ other: ShardResult) {
            sent += other.sent
            highestSent = max(highestSent, other.highestSent)
        }
    }

    /// Sends one shard's samples in batches of max_samples_per_send, in order.
    private nonisolated func sendShard(_ samples: [WriteRequestEncoding.QueuedSample], labels: [[UInt8]]) async throws -> ShardResult {
        var result = ShardResult()
        var start = 0
        let size = config.queueConfig.maxSamplesPerSend
        while start < samples.count {
            let batch = samples[start..<min(samples.count, start + size)]
            start += size
            let request = WriteRequestEncoding.encode(batch, labels: labels)
            if try await send(request, samples: batch.count) {
                metrics.samplesSent.increment(by: Int64(batch.count))
                result.sent += batch.count
                for sample in batch where sample.t > result.highestSent { result.highestSent = sample.t }
            } else {
                metrics.samplesFailed.increment(by: Int64(batch.count))
            }
        }
        return result
    }

    // MARK: - Metadata

    private func sendMetadataPeriodically() async {
        let interval = Duration.milliseconds(config.metadataConfig.sendInterval.milliseconds)
        while !Task.isCancelled {
            // As Prometheus, the first send waits one interval, by when scrapes have reported metadata.
            do { try await Task.sleep(for: interval) } catch { return }
            let entries = await metadata().sorted { $0.key < $1.key }
            var start = 0
            while start < entries.count {
                let batch = Array(entries[start..<min(entries.count, start + config.metadataConfig.maxSamplesPerSend)])
                start += config.metadataConfig.maxSamplesPerSend
                do {
                    if try await send(WriteRequestEncoding.encodeMetadata(batch), samples: 0) {
                        metrics.metadataSent.increment(by: Int64(batch.count))
                    } else {
                        metrics.metadataFailed.increment(by: Int64(batch.count))
                    }
                } catch {
                    return
                }
            }
        }
    }

    // MARK: - HTTP

    /// Posts one compressed WriteRequest, retrying recoverable failures with exponential backoff.
    ///
    /// True when the receiver accepted it, false when it refused it for good (a 4xx other than a retried 429).
    private nonisolated func send(_ body: [UInt8], samples: Int) async throws -> Bool {
        let compressed = Snappy.compress(body)
        var backoff = Duration.milliseconds(max(1, config.queueConfig.minBackoff.milliseconds))
        let maxBackoff = Duration.milliseconds(max(1, config.queueConfig.maxBackoff.milliseconds))
        while true {
            try Task.checkCancellation()
            let started = ContinuousClock.now
            let outcome: SendOutcome
            do {
                outcome = try await post(compressed)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                outcome = .retry("\(error)")
            }
            let elapsed = ContinuousClock.now - started
            metrics.batchDuration.record(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            switch outcome {
            case .accepted:
                if samples > 0 { metrics.bytesSent.increment(by: Int64(compressed.count)) }
                return true
            case .refused(let reason):
                logger.error("remote write refused a batch; it is dropped", metadata: [
                    "remote_name": .string(name), "url": .string(config.url), "samples": .stringConvertible(samples), "error": .string(reason),
                ])
                return false
            case .retry(let reason):
                if samples > 0 { metrics.samplesRetried.increment(by: Int64(samples)) }
                logger.warning("remote write failed, retrying", metadata: [
                    "remote_name": .string(name), "url": .string(config.url), "error": .string(reason), "backoff": .string("\(backoff)"),
                ])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maxBackoff)
            }
        }
    }

    enum SendOutcome {
        case accepted
        case refused(String)
        case retry(String)
    }

    private nonisolated func post(_ body: [UInt8]) async throws -> SendOutcome {
        // TLS material, credentials and password files are read for each request, as for scrapes.
        let client: HTTPClient
        var request: HTTPClientRequest
        do {
            (client, request) = try clients.prepare(url: config.url, settings: config.httpClient)
        } catch {
            return .retry("\(error)")
        }
        request.method = .POST
        for (key, value) in config.headers { request.headers.replaceOrAdd(name: key, value: value) }
        request.headers.replaceOrAdd(name: "Content-Encoding", value: "snappy")
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/x-protobuf")
        request.headers.replaceOrAdd(name: "X-Prometheus-Remote-Write-Version", value: "0.1.0")
        request.headers.replaceOrAdd(name: "User-Agent", value: Self.userAgent)
        request.body = .bytes(ByteBuffer(bytes: body))
        let timeout = TimeAmount.milliseconds(config.remoteTimeout.milliseconds)
        let response = try await client.execute(request, timeout: timeout)
        let status = Int(response.status.code)
        let text = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
        switch status {
        case 200..<300: return .accepted
        case 429 where config.queueConfig.retryOnHTTP429: return .retry("server returned HTTP status 429: \(text)")
        case 500..<600: return .retry("server returned HTTP status \(response.status): \(text)")
        default: return .refused("server returned HTTP status \(response.status): \(text)")
        }
    }
}
