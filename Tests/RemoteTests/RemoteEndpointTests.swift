import Foundation
import Hummingbird
import HummingbirdTesting
import Model
import NIOCore
@testable import Remote
import SwiftProtobuf
import Testing
import TSDB
@testable import Web

@Suite struct RemoteWriteReceiverTests {
    let now = Timestamp(Date().timeIntervalSince1970 * 1000)

    @Test func isNotFoundUnlessEnabledAsInPrometheus() async throws {
        let store = TimeSeriesStore()
        let app = Application(router: try monitoringServer(store: store, receiver: false).makeRouter())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: try writeRequest([])))
            #expect(response.status == .notFound)
        }
    }

    @Test func storesPushedSamplesLikeScrapedOnes() async throws {
        let store = TimeSeriesStore()
        let app = Application(router: try monitoringServer(store: store, receiver: true).makeRouter())
        let body = try writeRequest([
            (["__name__": "pushed", "job": "remote"], [(now - 2000, 1), (now - 1000, 2.5)]),
            (["__name__": "other", "job": "remote", "k": "v"], [(now - 1000, 7)]),
        ])
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: body))
            #expect(response.status == .noContent)
        }
        let stored = try await allSamples(store)
        #expect(stored.map(\.labels) == [["__name__": "other", "job": "remote", "k": "v"], ["__name__": "pushed", "job": "remote"]])
        #expect(stored[1].samples.map(\.t) == [now - 2000, now - 1000] && stored[1].samples.map(\.v) == [1, 2.5])
    }

    /// As Prometheus: a request with an out-of-order or conflicting sample is refused whole with 400 (so the sender
    /// does not retry it), nothing of it is stored, and the refused samples are counted.
    @Test func refusesOutOfOrderAndDuplicateSamplesWhole() async throws {
        let store = TimeSeriesStore()
        let app = Application(router: try monitoringServer(store: store, receiver: true).makeRouter())
        try await app.test(.router) { client in
            let first = try writeRequest([(["__name__": "m"], [(now - 1000, 1)])])
            #expect(try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: first)).status == .noContent)
            // The same sample again is accepted, as Prometheus accepts an identical duplicate.
            #expect(try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: first)).status == .noContent)

            let older = try writeRequest([(["__name__": "fresh"], [(now, 1)]), (["__name__": "m"], [(now - 5000, 1)])])
            let refused = try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: older))
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body) == "out of order sample\n")

            let conflicting = try writeRequest([(["__name__": "m"], [(now - 1000, 2)])])
            let duplicate = try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: conflicting))
            #expect(duplicate.status == .badRequest)
            #expect(String(buffer: duplicate.body) == "duplicate sample for timestamp\n")
        }
        let stored = try await allSamples(store)
        #expect(stored.map(\.labels) == [["__name__": "m"]], "the refused request's in-order series was not stored either")
        let totals = await store.totals
        #expect(totals.outOfOrder == 1 && totals.duplicateTimestamp == 1)
    }

    @Test(arguments: [
        ([UInt8]("not snappy at all".utf8), "snappy: corrupt input"),
        (Snappy.compress([0x0A, 0xFF, 0xFF]), "proto: cannot decode WriteRequest"),
    ])
    func badBodiesGet400WithTheReason(body: [UInt8], reason: String) async throws {
        let store = TimeSeriesStore()
        let app = Application(router: try monitoringServer(store: store, receiver: true).makeRouter())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: body))
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body).contains(reason))
        }
    }
}

@Suite struct RemoteReadAndFederationTests {
    let now = Timestamp(Date().timeIntervalSince1970 * 1000)

    func loadedStore() async throws -> TimeSeriesStore {
        let store = TimeSeriesStore()
        var batch = AppendBatch()
        for step in 0..<5 {
            let t = now - 50_000 + Timestamp(step) * 10_000
            batch.append(labels: ["__name__": "up", "job": "api", "instance": "a:1"], t: t, v: 1)
            batch.append(labels: ["__name__": "up", "job": "db", "instance": "b:2"], t: t, v: Double(step % 2))
            batch.append(labels: ["__name__": "errors_total", "job": "api", "instance": "a:1"], t: t, v: Double(step) * 1.5)
        }
        batch.append(labels: ["__name__": "gone", "job": "api"], t: now - 20_000, v: 3)
        batch.append(labels: ["__name__": "gone", "job": "api"], t: now - 10_000, v: StaleNaN.value)
        _ = try await store.commit(batch)
        return store
    }

    @Test func remoteReadReturnsRawSamplesWithExternalLabels() async throws {
        let store = try await loadedStore()
        let server = try monitoringServer(store: store, receiver: false, config: "global: {external_labels: {site: east}}")
        await server.api.state.setExternalLabels(["site": "east"])
        var query = Prometheus_Query()
        query.startTimestampMs = now - 35_000
        query.endTimestampMs = now
        var byName = Prometheus_LabelMatcher()
        byName.type = .eq
        byName.name = "__name__"
        byName.value = "up"
        var bySite = Prometheus_LabelMatcher()
        bySite.type = .eq
        bySite.name = "site"
        bySite.value = "east"
        query.matchers = [byName, bySite]
        var request = Prometheus_ReadRequest()
        request.queries = [query]
        let body = Snappy.compress(try request.serializedBytes())
        try await Application(router: server.makeRouter()).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/read", method: .post, body: ByteBuffer(bytes: body))
            #expect(response.status == .ok)
            #expect(response.headers[.contentEncoding] == "snappy")
            let decoded = try Prometheus_ReadResponse(serializedBytes: try Snappy.decompress(Array(buffer: response.body)))
            let expected = try await store.select([try Matcher(.equal, "__name__", "up")], mint: now - 35_000, maxt: now)
            let series = try #require(decoded.results.first).timeseries
            #expect(series.count == expected.count)
            for (wire, local) in zip(series, expected) {
                let labels = Labels(wire.labels.map { Label($0.name, $0.value) })
                var withSite = Dictionary(local.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                withSite["site"] = "east"
                #expect(labels == Labels(withSite))
                #expect(wire.samples.map(\.timestamp) == local.samples.map(\.t))
                #expect(wire.samples.map(\.value) == local.samples.map(\.v))
            }
        }
    }

    @Test func federationExposesTheNewestSampleOfEachMatchingSeries() async throws {
        let store = try await loadedStore()
        let server = try monitoringServer(store: store, receiver: false)
        await server.api.state.setExternalLabels(["site": "east"])
        try await Application(router: server.makeRouter()).test(.router) { client in
            let response = try await client.execute(uri: "/federate?match[]=up&match[]=%7Bjob%3D%22api%22%7D", method: .get)
            #expect(response.status == .ok)
            let last = now - 10_000
            #expect(String(buffer: response.body) == """
                # TYPE errors_total untyped
                errors_total{instance="a:1",job="api",site="east"} 6 \(last)
                # TYPE up untyped
                up{instance="a:1",job="api",site="east"} 1 \(last)
                up{instance="b:2",job="db",site="east"} 0 \(last)

                """, "the stale series `gone` is left out")
            let bad = try await client.execute(uri: "/federate?match[]=up%7B", method: .get)
            #expect(bad.status == .badRequest)
        }
    }
}
