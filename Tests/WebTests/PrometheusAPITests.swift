import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import Web
import TSDB

@Suite struct PrometheusAPITests {
    @Test func seriesLabelsAndValuesAnswerInPrometheusShapes() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        try await fixture.run { client, _ in
            let series = try json(try await client.execute(uri: "/api/v1/series?match[]=up", method: .get))
            #expect(series["status"] as? String == "success")
            let data = try #require(series["data"] as? [[String: String]])
            #expect(data == [["__name__": "up", "instance": "a:1", "job": "api"], ["__name__": "up", "instance": "b:2", "job": "vigil"]])

            let posted = try await client.execute(uri: "/api/v1/series", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "match%5B%5D=%7Bjob%3D%22api%22%7D"))
            #expect((try json(posted)["data"] as? [[String: String]])?.count == 2)

            let labels = try json(try await client.execute(uri: "/api/v1/labels", method: .get))
            #expect(labels["data"] as? [String] == ["__name__", "code", "instance", "job"])
            let values = try json(try await client.execute(uri: "/api/v1/label/job/values", method: .get))
            #expect(values["data"] as? [String] == ["api", "vigil"])
            let filtered = try json(try await client.execute(uri: "/api/v1/label/__name__/values?match[]=%7Bjob%3D%22vigil%22%7D", method: .get))
            #expect(filtered["data"] as? [String] == ["up"])
        }
    }

    /// Label values that differ only in Unicode normalisation are two values, as Prometheus compares bytes.
    @Test func labelValuesKeepBothNormalisationForms() async throws {
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let fixture = try MonitoringFixture()
        var batch = AppendBatch()
        batch.append(labels: ["__name__": "m", "path": nfc], t: fixture.base, v: 1)
        batch.append(labels: ["__name__": "m", "path": nfd], t: fixture.base, v: 2)
        _ = try await fixture.store.commit(batch)
        try await fixture.run { client, _ in
            let values = try json(try await client.execute(uri: "/api/v1/label/path/values", method: .get))
            let data = try #require(values["data"] as? [String])
            #expect(data.map { Array($0.utf8) } == [Array(nfd.utf8), Array(nfc.utf8)])
            let series = try json(try await client.execute(uri: "/api/v1/series?match[]=m", method: .get))
            #expect((series["data"] as? [[String: String]])?.count == 2)
        }
    }

    /// A selector regex Go rejects is a bad_data error in Go's words, with the anchored pattern Prometheus compiles.
    @Test func invalidSelectorRegexGetsGoMessage() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.run { client, _ in
            let response = try await client.execute(uri: "/api/v1/query?query=up%7Ba%3D~%22(a%22%7D", method: .get)
            #expect(response.status == .badRequest)
            let body = try json(response)
            #expect(body["errorType"] as? String == "bad_data")
            let message = try #require(body["error"] as? String)
            #expect(message.hasSuffix("parse error: error parsing regexp: missing closing ): `^(?:(a)$`"), "\(message)")
            let lookahead = try json(try await client.execute(uri: "/api/v1/query?query=up%7Ba%3D~%22(%3F%3Da)%22%7D", method: .get))
            #expect((lookahead["error"] as? String)?.hasSuffix("invalid or unsupported Perl syntax: `(?=`") == true)
        }
    }

    @Test func badParametersGetBadDataErrors() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.run { client, _ in
            let missing = try await client.execute(uri: "/api/v1/series", method: .get)
            #expect(missing.status == .badRequest)
            let body = try json(missing)
            #expect(body["status"] as? String == "error" && body["errorType"] as? String == "bad_data")
            #expect(body["error"] as? String == "no match[] parameter provided")
            let broken = try json(try await client.execute(uri: "/api/v1/series?match[]=up%7B", method: .get))
            #expect((broken["error"] as? String)?.hasPrefix("invalid parameter \"match[]\": 1:") == true)
            let badTime = try await client.execute(uri: "/api/v1/series?match[]=up&start=yesterday", method: .get)
            #expect(badTime.status == .badRequest)
        }
    }

    @Test func metadataTargetsAndStatus() async throws {
        let fixture = try MonitoringFixture(config: "scrape_configs:\n  - job_name: ml-api\n    static_configs: [{targets: ['127.0.0.1:1']}]\n")
        try await fixture.load()
        try await fixture.run { client, _ in
            let metadata = try json(try await client.execute(uri: "/api/v1/metadata", method: .get))
            let data = try #require(metadata["data"] as? [String: [[String: String]]])
            #expect(data["up"] == [["type": "gauge", "help": "Target is up.", "unit": ""]])
            let limited = try json(try await client.execute(uri: "/api/v1/metadata?metric=requests_total", method: .get))
            #expect((limited["data"] as? [String: Any])?.keys.sorted() == ["requests_total"])

            let build = try json(try await client.execute(uri: "/api/v1/status/buildinfo", method: .get))
            #expect((build["data"] as? [String: String])?["version"] == "0.1.0-test")
            let runtime = try json(try await client.execute(uri: "/api/v1/status/runtimeinfo", method: .get))
            let info = try #require(runtime["data"] as? [String: Any])
            #expect(info["storageRetention"] as? String == "15d" && info["reloadConfigSuccess"] as? Bool == true)
            let config = try json(try await client.execute(uri: "/api/v1/status/config", method: .get))
            #expect(((config["data"] as? [String: String])?["yaml"])?.contains("ml-api") == true)
            let tsdb = try json(try await client.execute(uri: "/api/v1/status/tsdb", method: .get))
            let head = try #require((tsdb["data"] as? [String: Any])?["headStats"] as? [String: Any])
            #expect(head["numSeries"] as? Int == 3)
            let flags = try json(try await client.execute(uri: "/api/v1/status/flags", method: .get))
            #expect((flags["data"] as? [String: String])?["storage.path"] == "test.db")
        }
    }

    @Test func promtoolReadsSeriesAndLabels() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        try await fixture.run { _, port in
            guard let series = try await promtool(["query", "series", "http://127.0.0.1:\(port)", "--match=up"]) else { return }
            #expect(series.status == 0, "\(series.output)")
            #expect(series.output.contains(#"{__name__="up", instance="a:1", job="api"}"#), "\(series.output)")
            let labels = try #require(try await promtool(["query", "labels", "http://127.0.0.1:\(port)", "job"]))
            #expect(labels.status == 0)
            #expect(labels.output.split(separator: "\n") == ["api", "vigil"])
        }
    }
}
