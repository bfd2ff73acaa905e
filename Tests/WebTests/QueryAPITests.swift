import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import Web

@Suite struct QueryAPITests {
    /// Scalars and strings carry their time as Go's shortest float (`1.5`); vector points keep `.mmm` (`1.500`),
    /// byte for byte as Prometheus 2.42 writes each.
    @Test func scalarAndStringTimesAreShortestFloatsAndVectorTimesKeepMilliseconds() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        try await fixture.run { client, _ in
            func body(_ query: String, _ time: String) async throws -> String {
                let response = try await client.execute(uri: "/api/v1/query?query=\(query)&time=\(time)", method: .get)
                return String(buffer: response.body)
            }
            let expected = [
                ("time()", "1.5", #""result":[1.5,"1.5"]"#), ("1", "-0.25", #""result":[-0.25,"1"]"#),
                ("%22s%22", "1796478000.25", #""result":[1796478000.25,"s"]"#), ("2", "100", #""result":[100,"2"]"#),
                ("vector(1)", "1.5", #""value":[1.500,"1"]"#),
            ]
            for (query, time, fragment) in expected {
                let answer = try await body(query, time)
                #expect(answer.contains(fragment), "\(query) at \(time): \(answer)")
            }
        }
    }

    /// Parameters Prometheus reads with Go's parsers, recorded against Debian's Prometheus 2.42: the boundary
    /// times its own clients send, Go's float syntax, an escaped label name in the path, and unknown paths.
    @Test func parametersAreReadWithGosSyntax() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        try await fixture.run { client, _ in
            func answer(_ uri: String) async throws -> (HTTPResponse.Status, String) {
                let response = try await client.execute(uri: uri, method: .get)
                return (response.status, String(buffer: response.body))
            }
            let minimum = "-292273086-05-16T16:47:06Z", maximum = "292277025-08-18T07:12:54.999999999Z"
            let everything = try await answer("/api/v1/series?match[]=up&start=\(minimum)&end=\(maximum)")
            #expect(everything.0 == .ok && everything.1.contains(#""job":"api""#), "\(everything)")
            let nothing = try await answer("/api/v1/series?match[]=up&start=\(maximum)")
            #expect(nothing.1 == #"{"status":"success","data":[]}"#, "\(nothing)")
            #expect(try await answer("/api/v1/query?query=time()&time=1_0.5").1.contains(#"[10.5,"10.5"]"#))
            let hexWithoutExponent = try await answer("/api/v1/query?query=time()&time=0x10")
            #expect(hexWithoutExponent.0 == .badRequest && hexWithoutExponent.1.contains(#"cannot parse \"0x10\" to a valid timestamp"#))
            let impossibleDate = try await answer("/api/v1/query?query=time()&time=2026-02-30T10:00:00Z")
            #expect(impossibleDate.0 == .badRequest)
            let nanStep = try await answer("/api/v1/query_range?query=up&start=1&end=2&step=NaN")
            #expect(nanStep.1.contains("zero or negative query resolution step widths are not accepted"), "\(nanStep)")
            let hugeStep = try await answer("/api/v1/query_range?query=up&start=1&end=2&step=1e400")
            #expect(hugeStep.1.contains(#"cannot parse \"1e400\" to a valid duration""#), "\(hugeStep)")
            let escaped = try await answer("/api/v1/label/%6Aob/values")
            #expect(escaped.0 == .ok && escaped.1.contains(#""api""#), "\(escaped)")
            let invalid = try await answer("/api/v1/label/%C3%A9/values")
            #expect(invalid.1.contains(#"invalid label name: \"é\""#), "\(invalid)")
        }
    }

    @Test func instantAndRangeQueriesAnswerInPrometheusShapes() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        let at = Double(fixture.base) / 1000 + 135
        try await fixture.run { client, _ in
            let vector = try json(try await client.execute(uri: "/api/v1/query?query=up&time=\(at)", method: .get))
            let data = try #require(vector["data"] as? [String: Any])
            #expect(data["resultType"] as? String == "vector")
            let result = try #require(data["result"] as? [[String: Any]])
            #expect(result.map { ($0["metric"] as? [String: String])?["job"] } == ["api", "vigil"])
            let point = try #require(result[1]["value"] as? [Any])
            #expect(point[0] as? Double == at && point[1] as? String == "0")

            let rate = try json(try await client.execute(
                uri: "/api/v1/query?query=sum%20by%20(job)%20(rate(requests_total%5B1m%5D))&time=\(at)", method: .get))
            let rateResult = try #require((rate["data"] as? [String: Any])?["result"] as? [[String: Any]])
            #expect(rateResult.count == 1)
            #expect(Double((rateResult[0]["value"] as? [Any])?[1] as? String ?? "") == 10.0 / 15)

            let scalar = try json(try await client.execute(uri: "/api/v1/query?query=1%2B1&time=100.5", method: .get))
            #expect(((scalar["data"] as? [String: Any])?["result"] as? [Any])?.last as? String == "2")

            let start = Double(fixture.base) / 1000
            let range = try json(try await client.execute(
                uri: "/api/v1/query_range?query=up&start=\(start)&end=\(start + 60)&step=15s", method: .get))
            let matrix = try #require(range["data"] as? [String: Any])
            #expect(matrix["resultType"] as? String == "matrix")
            let series = try #require(matrix["result"] as? [[String: Any]])
            #expect((series[0]["values"] as? [[Any]])?.count == 5)

            let posted = try await client.execute(uri: "/api/v1/query", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "query=count(up)&time=\(at)"))
            #expect((((try json(posted)["data"] as? [String: Any])?["result"] as? [[String: Any]])?.first?["value"] as? [Any])?[1] as? String == "2")
        }
    }

    @Test func queryErrorsUsePrometheusTypesAndStatuses() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.run { client, _ in
            let syntax = try await client.execute(uri: "/api/v1/query?query=rate(up%5B5%5D)", method: .get)
            #expect(syntax.status == .badRequest)
            let body = try json(syntax)
            #expect(body["errorType"] as? String == "bad_data")
            #expect(body["error"] as? String == "invalid parameter \"query\": 1:9: parse error: missing unit character in duration")

            let tooMany = try json(try await client.execute(uri: "/api/v1/query_range?query=up&start=0&end=100000&step=1", method: .get))
            #expect((tooMany["error"] as? String)?.hasPrefix("exceeded maximum resolution of 11,000 points per timeseries") == true)

            let noStep = try await client.execute(uri: "/api/v1/query_range?query=up&start=0&end=10", method: .get)
            #expect(noStep.status == .badRequest)

            let execution = try await client.execute(uri: "/api/v1/query?query=label_replace(vector(1),%22x%22,%22y%22,%22z%22,%22(%22)", method: .get)
            #expect(execution.status == .badRequest || execution.status == .unprocessableContent)
        }
    }

    @Test func promtoolQueriesInstantAndRange() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        try await fixture.run { _, port in
            guard let instant = try await promtool(["query", "instant", "http://127.0.0.1:\(port)", "up"]) else { return }
            #expect(instant.status == 0, "\(instant.output)")
            #expect(instant.output.contains(#"up{instance="a:1", job="api"} => 1 @["#), "\(instant.output)")
            let start = String(fixture.base / 1000)
            let end = String(fixture.base / 1000 + 60)
            let range = try #require(try await promtool(["query", "range", "--start=\(start)", "--end=\(end)", "--step=15s",
                                                   "http://127.0.0.1:\(port)", "rate(requests_total[1m])"]))
            #expect(range.status == 0, "\(range.output)")
            #expect(range.output.contains(#"{code="200", instance="a:1", job="api"} =>"#), "\(range.output)")
            let bad = try #require(try await promtool(["query", "instant", "http://127.0.0.1:\(port)", "rate(up[5])"]))
            #expect(bad.status != 0)
            #expect(bad.output.contains("bad_data"), "\(bad.output)")
        }
    }
}

/// Numbers in parameters that do not fit Vigil's millisecond timestamps are Prometheus's 400s, never a trap.
@Suite struct QueryParameterBoundsTests {
    @Test(arguments: [
        ("/api/v1/query?query=1&time=1e300", "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"1e300\" to a valid timestamp"),
        ("/api/v1/query?query=1&time=-1e300", "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"-1e300\" to a valid timestamp"),
        ("/api/v1/query?query=1&time=NaN", "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"NaN\" to a valid timestamp"),
        ("/api/v1/query?query=1&time=Inf", "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"Inf\" to a valid timestamp"),
        ("/api/v1/query?query=1&timeout=1e300", "invalid parameter \"timeout\": cannot parse \"1e300\" to a valid duration. It overflows int64"),
        ("/api/v1/query_range?query=1&start=0&end=100&step=1e300", "invalid parameter \"step\": cannot parse \"1e300\" to a valid duration. It overflows int64"),
        ("/api/v1/query_range?query=1&start=-9e15&end=9e15&step=1000", "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"),
        ("/api/v1/series?match[]=up&start=1e300", "invalid parameter \"start\": Invalid time value for 'start': cannot parse \"1e300\" to a valid timestamp"),
        ("/api/v1/labels?end=-1e300", "invalid parameter \"end\": Invalid time value for 'end': cannot parse \"-1e300\" to a valid timestamp"),
    ])
    func outOfRangeNumbersAreBadData(uri: String, message: String) async throws {
        let fixture = try MonitoringFixture()
        try await fixture.run { client, _ in
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .badRequest)
            let body = try json(response)
            #expect(body["errorType"] as? String == "bad_data")
            #expect(body["error"] as? String == message)
            let healthy = try await client.execute(uri: "/api/v1/query?query=1", method: .get)
            #expect(healthy.status == .ok)
        }
    }

    @Test func theLargestRepresentableTimesAreAccepted() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.run { client, _ in
            for time in ["9223309901257974", "-9223309901257974"] {
                let response = try await client.execute(uri: "/api/v1/query?query=1&time=\(time)", method: .get)
                #expect(response.status == .ok, "\(time)")
            }
        }
    }

    @Test func stepFractionsBelowAMillisecondAreTruncated() throws {
        #expect(try APIParameters(form: "step=15.0009").duration("step") == 15_000)
        #expect(try APIParameters(form: "step=0.0009").duration("step") == 0)
    }

    @Test func oversizedPostBodiesAre413() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.run { client, _ in
            let body = "query=" + String(repeating: "a", count: 2 << 20)
            let response = try await client.execute(uri: "/api/v1/query", method: .post,
                                                    headers: [.contentType: "application/x-www-form-urlencoded"],
                                                    body: ByteBuffer(string: body))
            #expect(response.status == .contentTooLarge)
            #expect(try json(response)["errorType"] as? String == "bad_data")
        }
    }
}

/// `start` and `end` restrict the label APIs to series with samples in the window, as in Prometheus.
@Suite struct LabelWindowTests {
    @Test func labelNamesAndValuesHonourTheWindow() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        try await fixture.run { client, _ in
            let before = Double(fixture.base) / 1000 - 3600
            let during = Double(fixture.base) / 1000 + 60
            var answers: [[String]] = []
            for uri in ["/api/v1/labels?start=\(before - 60)&end=\(before)", "/api/v1/labels?start=\(during)&end=\(during + 1)",
                        "/api/v1/label/job/values?start=\(before - 60)&end=\(before)", "/api/v1/label/job/values?match[]=up&start=\(during)",
                        "/api/v1/label/job/values?match[]=up&end=\(before)"] {
                let response = try await client.execute(uri: uri, method: .get)
                answers.append(try #require(try json(response)["data"] as? [String]))
            }
            #expect(answers[0] == [])
            #expect(answers[1].contains("code"))
            #expect(answers[2] == [])
            #expect(answers[3] == ["api", "vigil"])
            #expect(answers[4] == [])
        }
    }
}

/// Endpoints Grafana and client libraries call, in Prometheus 2.42's shapes (recorded from Debian's prometheus).
@Suite struct ClientEndpointTests {
    @Test func exemplarsFormatQueryWalReplayAndAlertmanagersAnswerInPrometheusShapes() async throws {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        try await fixture.run { client, _ in
            let expectations: [(uri: String, status: Int, body: String)] = [
                ("/api/v1/query_exemplars?query=up", 200, #"{"status":"success","data":[]}"#),
                ("/api/v1/query_exemplars", 400, #"{"status":"error","errorType":"bad_data","error":"1:1: parse error: no expression found in input"}"#),
                ("/api/v1/format_query?query=sum(rate(x%5B5m%5D))by(job)", 200, #"{"status":"success","data":"sum by (job) (rate(x[5m]))"}"#),
                ("/api/v1/format_query?query=sum(", 400,
                 #"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}"#),
                ("/api/v1/status/walreplay", 200, #"{"status":"success","data":{"min":0,"max":0,"current":0}}"#),
                ("/api/v1/alertmanagers", 200, #"{"status":"success","data":{"activeAlertmanagers":[],"droppedAlertmanagers":[]}}"#),
                ("/api/v1/targets/metadata?metric=up", 200, #"{"status":"success","data":[]}"#),
            ]
            for expected in expectations {
                let response = try await client.execute(uri: expected.uri, method: .get)
                #expect(Int(response.status.code) == expected.status, "\(expected.uri)")
                #expect(String(buffer: response.body) == expected.body, "\(expected.uri)")
            }
        }
    }
}
