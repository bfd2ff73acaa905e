import Config
import Foundation
import Hummingbird
import HummingbirdTesting
import Model
import NIOCore
import Prometheus
@testable import Remote
import Scraper
import Synchronization
import Testing
import TSDB
import Web

@Suite struct RemoteWriteQueueTests {
    let now = Timestamp(Date().timeIntervalSince1970 * 1000)

    /// Commits `count` scrapes of three series at 1 s steps after `start`.
    func commitScrapes(_ store: TimeSeriesStore, from start: Int, count: Int) async throws {
        for step in start..<(start + count) {
            var batch = AppendBatch()
            let t = now - 100_000 + Timestamp(step) * 1000
            for series in 0..<3 {
                batch.append(labels: ["__name__": "m", "series": String(series), "drop": series == 2 ? "yes" : "no"], t: t, v: Double(step * 10 + series))
            }
            _ = try await store.commit(batch)
        }
    }

    func configuration(url: String, extra: String = "") throws -> PrometheusConfiguration {
        try PrometheusConfiguration(yaml: """
            global: {external_labels: {site: east}}
            remote_write:
              - url: \(url)
                name: peer
                write_relabel_configs: [{source_labels: [drop], regex: "yes", action: drop}]
                queue_config: {batch_send_deadline: 50ms, max_samples_per_send: 4, min_backoff: 10ms, max_backoff: 50ms}
            \(extra)
            """, file: "t.yml")
    }

    /// A sender store on disk writes to a second Vigil's receiver: everything arrives once, relabeled and with
    /// external labels; a queue restarted on the same store resumes at its position and resends nothing.
    @Test func forwardsEveryCommittedSampleOnceAndResumesFromItsPosition() async throws {
        let directory = try TemporaryDirectory()
        let sender = try await TimeSeriesStore(path: directory.path("sender.db"))
        let receiver = TimeSeriesStore()
        let app = Application(router: try monitoringServer(store: receiver, receiver: true).makeRouter(),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port!)/api/v1/write"
            let registry = PrometheusCollectorRegistry()
            let manager = RemoteWriteManager(storePath: sender.path, registry: registry, logger: quietLogger) { [:] }
            try await manager.apply(try configuration(url: url))
            // Samples committed after the queue started are forwarded; a new queue starts at the log's end.
            try await commitScrapes(sender, from: 0, count: 10)
            let arrived = await eventually { (try? await allSamples(receiver).reduce(0) { $0 + $1.samples.count }) == 20 }
            #expect(arrived)
            let stored = try await allSamples(receiver)
            #expect(stored.map(\.labels) == [["__name__": "m", "drop": "no", "series": "0", "site": "east"],
                                             ["__name__": "m", "drop": "no", "series": "1", "site": "east"]])
            let expectedValues: [Double] = (0..<10).map { Double($0 * 10 + 1) }
            #expect(stored.last?.samples.map(\.v) == expectedValues)
            // Counters move when the sender reads the answer, just after the receiver stored the samples.
            #expect(await eventually {
                metricValue(registry.emitToString(), #"prometheus_remote_storage_samples_total{remote_name="peer",url="\#(url)"}"#) == 20
            })
            let text = registry.emitToString()
            #expect(metricValue(text, #"prometheus_remote_storage_samples_dropped_total{remote_name="peer",url="\#(url)"}"#) == 10)
            await manager.shutdown()

            // While no queue runs, the store checkpoints (which would drop the log) and commits more.
            try await sender.checkpoint()
            try await commitScrapes(sender, from: 10, count: 5)
            try await sender.checkpoint()
            let restarted = RemoteWriteManager(storePath: sender.path, registry: PrometheusCollectorRegistry(), logger: quietLogger) { [:] }
            try await restarted.apply(try configuration(url: url))
            #expect(await eventually { (try? await allSamples(receiver).reduce(0) { $0 + $1.samples.count }) == 30 })
            let queue = try #require(await restarted.queues()["peer"])
            // The count is updated once the round is acknowledged, just after the receiver stored it.
            #expect(await eventually { await queue.samplesSent >= 10 })
            #expect(await queue.samplesSent == 10, "only the samples after the saved position were sent again")
            let totals = await receiver.totals
            #expect(totals.outOfOrder == 0 && totals.duplicateTimestamp == 0)
            await restarted.shutdown()
        }
    }

    /// 5xx and 429 are retried with backoff until accepted; another 4xx drops the batch and counts it failed.
    @Test func retriesServerErrorsAndDropsRefusedBatches() async throws {
        let directory = try TemporaryDirectory()
        let sender = try await TimeSeriesStore(path: directory.path("sender.db"))
        let answers = Mutex<[HTTPResponse.Status]>([.internalServerError, .tooManyRequests, .badRequest])
        let received = Mutex<[[UInt8]]>([])
        let router = Router()
        router.post("write") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let status = answers.withLock { $0.isEmpty ? .noContent : $0.removeFirst() }
            if status == .noContent { received.withLock { $0.append(Array(buffer: body)) } }
            return Response(status: status)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port!)/write"
            let registry = PrometheusCollectorRegistry()
            let manager = RemoteWriteManager(storePath: sender.path, registry: registry, logger: quietLogger) { [:] }
            try await manager.apply(try configuration(url: url))
            // Two series survive relabeling: 2 × 4 = 8 samples, two batches of max_samples_per_send 4.
            try await commitScrapes(sender, from: 0, count: 4)
            #expect(await eventually { received.withLock { $0.count } == 1 })
            let labels = #"{remote_name="peer",url="\#(url)"}"#
            #expect(await eventually {
                let text = registry.emitToString()
                return metricValue(text, "prometheus_remote_storage_samples_total" + labels) == 4
                    && metricValue(text, "prometheus_remote_storage_samples_failed_total" + labels) == 4
            })
            let text = registry.emitToString()
            #expect(metricValue(text, "prometheus_remote_storage_samples_retried_total" + labels) == 8)
            #expect(metricValue(text, "prometheus_remote_storage_samples_failed_total" + labels) == 4)
            #expect(metricValue(text, "prometheus_remote_storage_samples_total" + labels) == 4)
            let request = try RemoteProtocol.decodeWriteRequest(try #require(received.withLock { $0.first }))
            #expect(request.samples.count == 4)
            await manager.shutdown()
        }
    }

    /// A reload restarts a changed queue at its saved position, and forgets a removed one so the log is released.
    @Test func reloadRestartsChangedQueuesAndReleasesRemovedOnes() async throws {
        let directory = try TemporaryDirectory()
        let sender = try await TimeSeriesStore(path: directory.path("sender.db"))
        let first = TimeSeriesStore(), second = TimeSeriesStore()
        let firstApp = Application(router: try monitoringServer(store: first, receiver: true).makeRouter(),
                                   configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        let secondApp = Application(router: try monitoringServer(store: second, receiver: true).makeRouter(),
                                    configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await firstApp.test(.live) { firstClient in
            try await secondApp.test(.live) { secondClient in
                let manager = RemoteWriteManager(storePath: sender.path, registry: PrometheusCollectorRegistry(), logger: quietLogger) { [:] }
                try await manager.apply(try configuration(url: "http://127.0.0.1:\(firstClient.port!)/api/v1/write"))
                try await commitScrapes(sender, from: 0, count: 3)
                #expect(await eventually { (try? await allSamples(first).reduce(0) { $0 + $1.samples.count }) == 6 })
                let before = try #require(await manager.queues()["peer"])

                try await manager.apply(try configuration(url: "http://127.0.0.1:\(secondClient.port!)/api/v1/write"))
                let after = try #require(await manager.queues()["peer"])
                #expect(before !== after, "a changed URL restarts the queue")
                try await commitScrapes(sender, from: 3, count: 2)
                #expect(await eventually { (try? await allSamples(second).reduce(0) { $0 + $1.samples.count }) == 4 })
                #expect(try await allSamples(first).reduce(0) { $0 + $1.samples.count } == 6, "the old receiver got nothing more")

                let reader = try HeadLogReader(path: try #require(sender.path))
                #expect(try reader.position(of: "peer") != nil)
                try await manager.apply(try PrometheusConfiguration(yaml: "", file: "t.yml"))
                #expect(await manager.queues().isEmpty)
                #expect(try reader.position(of: "peer") == nil, "a removed remote no longer holds the head log")
                await manager.shutdown()
            }
        }
    }

    /// metadata_config.send posts HELP/TYPE/UNIT every send_interval, in WriteRequests of their own.
    @Test func sendsMetadataEveryInterval() async throws {
        let directory = try TemporaryDirectory()
        let sender = try await TimeSeriesStore(path: directory.path("sender.db"))
        try await sender.setMetadata(["m": MetricMetadata(type: "counter", help: "Things.", unit: "")])
        let received = Mutex<[Prometheus_WriteRequest]>([])
        let router = Router()
        router.post("write") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let decoded = try Prometheus_WriteRequest(serializedBytes: try Snappy.decompress(Array(buffer: body)))
            received.withLock { $0.append(decoded) }
            return Response(status: .noContent)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await app.test(.live) { client in
            let registry = PrometheusCollectorRegistry()
            let manager = RemoteWriteManager(storePath: sender.path, registry: registry, logger: quietLogger) { await sender.metadata() }
            try await manager.apply(try PrometheusConfiguration(yaml: """
                remote_write:
                  - url: http://127.0.0.1:\(client.port!)/write
                    name: meta
                    metadata_config: {send_interval: 100ms}
                """, file: "t.yml"))
            #expect(await eventually { received.withLock { $0.count } >= 2 })
            let first = try #require(received.withLock { $0.first })
            #expect(first.timeseries.isEmpty)
            #expect(first.metadata.map(\.metricFamilyName) == ["m"] && first.metadata.first?.type == .counter && first.metadata.first?.help == "Things.")
            let name = #"prometheus_remote_storage_metadata_total{remote_name="meta",url="http://127.0.0.1:\#(client.port!)/write"}"#
            #expect(await eventually { (metricValue(registry.emitToString(), name) ?? 0) >= 2 })
            await manager.shutdown()
        }
    }
}
