import Foundation
import Hummingbird
import Model
import NIOCore
import Remote
import TSDB

/// Remote write receiver, remote read and federation: how Vigil hands its data to bigger systems.
extension PrometheusAPI {
    /// Whether `--web.enable-remote-write-receiver` was given; off, `/api/v1/write` is 404 as in Prometheus.
    var remoteWriteReceiverEnabled: Bool { state.flags["web.enable-remote-write-receiver"] == "true" }

    func addRemoteRoutes<Methods: RouterMethods>(to router: Methods) where Methods.Context == BasicRequestContext {
        if remoteWriteReceiverEnabled {
            router.post("api/v1/write") { request, _ in await receiveWrite(request) }
        }
        router.post("api/v1/read") { request, _ in await answerRead(request) }
        router.get("federate") { request, _ in await federate(request) }
    }

    /// Stores a pushed WriteRequest like scraped samples: 204, or 400 with the reason (bad body, out of order).
    func receiveWrite(_ request: Request) async -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: RemoteProtocol.maxDecodedBytes)
        } catch {
            return plainText("request body too large or unreadable: \(error)\n", status: .badRequest)
        }
        let decoded: (samples: [RemoteProtocol.PushedSample], invalidSeries: Int)
        do {
            decoded = try RemoteProtocol.decodeWriteRequest(Array(buffer: body))
        } catch {
            return plainText("\(error)\n", status: .badRequest)
        }
        guard !decoded.samples.isEmpty else { return Response(status: .noContent) }
        do {
            switch try await store.commitAllOrNothing(decoded.samples) {
            case .success: return Response(status: .noContent)
            // Prometheus answers 400 so the sender does not retry what can never be stored.
            case .failure(.outOfOrder): return plainText("out of order sample\n", status: .badRequest)
            case .failure(.duplicateTimestamp): return plainText("duplicate sample for timestamp\n", status: .badRequest)
            }
        } catch {
            return plainText("\(error)\n", status: .internalServerError)
        }
    }

    /// Answers a remote-read request with raw samples.
    func answerRead(_ request: Request) async -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: RemoteProtocol.maxDecodedBytes)
        } catch {
            return plainText("request body too large or unreadable: \(error)\n", status: .badRequest)
        }
        do {
            let answer = try await RemoteProtocol.answerReadRequest(Array(buffer: body), querier: store, externalLabels: await state.externalLabels)
            var headers = HTTPFields()
            headers[.contentType] = "application/x-protobuf"
            headers[.contentEncoding] = "snappy"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        } catch {
            return plainText("\(error)\n", status: .badRequest)
        }
    }

    /// The newest sample of each series that a `match[]` selects, within the lookback window, as exposition text.
    ///
    /// External labels are added to series that lack them, so a federating server sees where data came from.
    func federate(_ request: Request) async -> Response {
        let sets: [[Matcher]]
        do {
            sets = try await APIParameters.from(request).matcherSets(required: false)
        } catch {
            return plainText("\((error as? APIError)?.message ?? "\(error)")\n", status: .badRequest)
        }
        let now = Timestamp(Date().timeIntervalSince1970 * 1000)
        let lookback = queryOptions.lookbackDelta
        let externalLabels = await state.externalLabels
        var newest: [Labels: Sample] = [:]
        for matchers in sets {
            let selected: [Series]
            do {
                selected = try await store.select(matchers, mint: now - lookback, maxt: now)
            } catch {
                return plainText("\(error)\n", status: .internalServerError)
            }
            for series in selected {
                guard let last = series.samples.last, !StaleNaN.isStale(last.v) else { continue }
                var labels = series.labels
                if !externalLabels.isEmpty {
                    var map = Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                    for label in externalLabels where map[label.name] == nil { map[label.name] = label.value }
                    labels = Labels(map)
                }
                newest[labels] = last
            }
        }
        var text = ""
        var currentName: String?
        let ordered = newest.sorted { lhs, rhs in
            let (a, b) = (lhs.key["__name__"] ?? "", rhs.key["__name__"] ?? "")
            return a == b ? lhs.key < rhs.key : a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        for (labels, sample) in ordered {
            let name = labels["__name__"] ?? ""
            if name != currentName {
                text += "# TYPE \(name) untyped\n"
                currentName = name
            }
            text += name
            let rest = labels.filter { $0.name != "__name__" }
            if !rest.isEmpty {
                text += "{" + rest.map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ",") + "}"
            }
            text += " \(Self.expositionValue(sample.v)) \(sample.t)\n"
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func expositionValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return GoFloatFormat.shortest(value, format: "g")
    }
}
