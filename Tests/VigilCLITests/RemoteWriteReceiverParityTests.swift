import Foundation
import Model
import Remote
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Vigil's `/api/v1/write` answers a sequence of pushes exactly as Debian's Prometheus 2.42 receiver does.
@Suite(.serialized) struct RemoteWriteReceiverParityTests {
    func post(_ url: String, _ body: [UInt8]) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("snappy", forHTTPHeaderField: "Content-Encoding")
        request.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        request.setValue("0.1.0", forHTTPHeaderField: "X-Prometheus-Remote-Write-Version")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func outOfOrderDuplicateAndBadPushesGetPrometheusAnswers() async throws {
        guard let prometheus = try PeerProcess(.prometheus) else { return }
        try await prometheus.waitUntilReady()
        let vigil = try ServerProcess(arguments: ["--model.path", "/nonexistent/model.json", "--web.enable-remote-write-receiver"])
        try await vigil.waitUntilListening()
        let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 10_000
        let a: Labels = ["__name__": "parity_metric", "series": "a"]
        let b: Labels = ["__name__": "parity_metric", "series": "b"]
        let pushes: [(String, [UInt8])] = [
            ("first sample", RemoteProtocol.encodeWriteRequest([(a, [(t0, 1)])])),
            ("identical sample again", RemoteProtocol.encodeWriteRequest([(a, [(t0, 1)])])),
            ("older sample", RemoteProtocol.encodeWriteRequest([(a, [(t0 - 5000, 1)])])),
            ("same time, other value", RemoteProtocol.encodeWriteRequest([(a, [(t0, 2)])])),
            ("new series beside an older sample", RemoteProtocol.encodeWriteRequest([(b, [(t0, 1)]), (a, [(t0 - 1000, 1)])])),
            ("newer samples", RemoteProtocol.encodeWriteRequest([(a, [(t0 + 1000, 3), (t0 + 2000, 4)])])),
            ("samples out of order within one series", RemoteProtocol.encodeWriteRequest([(a, [(t0 + 4000, 5), (t0 + 3000, 6)])])),
            ("empty request", RemoteProtocol.encodeWriteRequest([])),
        ]
        for (name, body) in pushes {
            let theirs = try await post(prometheus.baseURL + "/api/v1/write", body)
            let ours = try await post("http://127.0.0.1:\(vigil.webPort)/api/v1/write", body)
            #expect(ours.0 == theirs.0, "\(name): status")
            #expect(ours.1.trimmingCharacters(in: .whitespacesAndNewlines) == theirs.1.trimmingCharacters(in: .whitespacesAndNewlines), "\(name): body")
        }
        let garbage = [UInt8]("not a snappy block".utf8)
        #expect(try await post(prometheus.baseURL + "/api/v1/write", garbage).0 == 400)
        #expect(try await post("http://127.0.0.1:\(vigil.webPort)/api/v1/write", garbage).0 == 400)

        // What each stored: the same samples of series a, and no series b (its request was refused whole).
        let at = Double(t0 + 10_000) / 1000
        let selector = #"parity_metric"#
        let theirs = try await rawSamples(prometheus.baseURL, selector: selector, range: "1m", at: at, from: 0, to: .max)
        let ours = try await rawSamples("http://127.0.0.1:\(vigil.webPort)", selector: selector, range: "1m", at: at, from: 0, to: .max)
        #expect(ours == theirs)
        #expect(theirs.count == 1)
        vigil.signal(SIGTERM)
        #expect(try await vigil.waitForExit() == 0)
    }
}
