import Config
import Foundation
import Hummingbird
import HummingbirdTesting
import Scraper
import Testing
import TSDB
@testable import Web

/// Answers to bad and edge-case parameters, worded and coded as Prometheus 2.42 words them
/// (each found by the live comparison in VigilCLITests' PrometheusAPIComparisonTests).
@Suite struct PrometheusParityTests {
    static func answer(_ uri: String) async throws -> (status: Int, body: String) {
        let fixture = try MonitoringFixture()
        try await fixture.load()
        return try await fixture.run { client, _ in
            let response = try await client.execute(uri: uri, method: .get)
            return (Int(response.status.code), String(buffer: response.body))
        }
    }

    static func error(_ message: String) -> String {
        #"{"status":"error","errorType":"bad_data","error":""# + message.replacingOccurrences(of: "\"", with: "\\\"") + #""}"#
    }

    @Test(arguments: [
        // /series wraps selector errors in `invalid parameter "match[]"`; /labels and /label/…/values do not.
        ("/api/v1/series?match[]=sum(", #"invalid parameter "match[]": 1:4: parse error: unexpected "(""#),
        ("/api/v1/series?match[]=up%5B5m%5D", #"invalid parameter "match[]": 1:3: parse error: unexpected "[""#),
        ("/api/v1/series?match[]=%7B%7D", #"invalid parameter "match[]": match[] must contain at least one non-empty matcher"#),
        ("/api/v1/labels?match[]=%7Ba%3D~%22.*%22%7D", "match[] must contain at least one non-empty matcher"),
        ("/api/v1/label/job/values?match[]=sum(", #"1:4: parse error: unexpected "(""#),
        // Optional times say which parameter twice; /query_range's required ones do not.
        ("/api/v1/query?query=1&time=abc", #"invalid parameter "time": Invalid time value for 'time': cannot parse "abc" to a valid timestamp"#),
        ("/api/v1/series?match[]=up&end=abc", #"invalid parameter "end": Invalid time value for 'end': cannot parse "abc" to a valid timestamp"#),
        ("/api/v1/label/job/values?start=abc", #"invalid parameter "start": Invalid time value for 'start': cannot parse "abc" to a valid timestamp"#),
        ("/api/v1/query_range?query=1&start=abc&end=1&step=1", #"invalid parameter "start": cannot parse "abc" to a valid timestamp"#),
        ("/api/v1/query_exemplars?query=up&start=abc", #"invalid parameter "start": Invalid time value for 'start': cannot parse "abc" to a valid timestamp"#),
        ("/api/v1/query_exemplars?query=up&start=10&end=5", "end timestamp must not be before start timestamp"),
        ("/api/v1/metadata?limit=1.5", "limit must be a number"),
        ("/api/v1/rules?type=Bogus", #"invalid parameter "type": not supported value "bogus""#),
        ("/api/v1/targets/metadata?limit=x", "limit must be a number"),
        ("/api/v1/targets/metadata?match_target=sum(", #"invalid parameter "match_target": 1:4: parse error: unexpected "(""#),
        ("/api/v1/targets/metadata?match_target=1", #"invalid parameter "match_target": 1:1: parse error: unexpected number "1""#),
    ])
    func badParametersGetPrometheusErrors(uri: String, message: String) async throws {
        let answer = try await Self.answer(uri)
        #expect(answer.status == 400, "\(uri)")
        #expect(answer.body == Self.error(message), "\(uri)")
    }

    @Test(arguments: [
        ("/api/v1/metadata?limit=", 200),
        ("/api/v1/targets/metadata?limit=&match_target=%7B%7D", 200),
        ("/api/v1/query_exemplars?query=up%5B5m%5D", 200),
    ])
    func emptyLimitsAndSelectorsThatMatchEverythingAreAccepted(uri: String, status: Int) async throws {
        #expect(try await Self.answer(uri).status == status, "\(uri)")
    }

    /// Prometheus answers before looking for exemplars when the query reads no series.
    @Test(arguments: ["1", "time()", "vector(1)%20%2B%201"])
    func exemplarQueriesWithoutSelectorsGetNoContent(query: String) async throws {
        let answer = try await Self.answer("/api/v1/query_exemplars?query=\(query)")
        #expect(answer.status == 204)
        #expect(answer.body.isEmpty)
    }

    /// Metadata is listed per family (`x_bucket` belongs to `x`), and `limit` counts whole targets;
    /// `/targets?scrapePool=` picks one job and `/scrape_pools` names them.
    @Test func targetMetadataListsFamiliesAndLimitsByTarget() async throws {
        let fixture = try MonitoringFixture()
        let router = Router()
        router.get("/metrics") { _, _ in
            """
            # HELP shop_latency_seconds Checkout latency.
            # TYPE shop_latency_seconds histogram
            shop_latency_seconds_bucket{le="+Inf"} 5
            shop_latency_seconds_sum 2.5
            shop_latency_seconds_count 5
            # HELP shop_orders_total Orders.
            # TYPE shop_orders_total counter
            shop_orders_total 3

            """
        }
        let target = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        let scraping = Task { try await fixture.manager.run() }
        defer { scraping.cancel() }
        try await target.test(.live) { targetClient in
            let port = try #require(targetClient.port)
            await fixture.manager.apply(try PrometheusConfiguration(yaml: """
                scrape_configs:
                  - job_name: a
                    scrape_interval: 1s
                    static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                  - job_name: b
                    scrape_interval: 1s
                    static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                """, file: "test.yml"))
            let deadline = ContinuousClock.now + .seconds(90)
            // Both targets discovered and scraped (an empty list at first must not end the wait).
            func allScraped() async -> Bool {
                let targets = await fixture.manager.activeTargets()
                return targets.count == 2 && targets.allSatisfy { $0.lastScrape != nil }
            }
            while await !allScraped(), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await fixture.run { client, _ in
                func entries(_ query: String) async throws -> [[String: Any]] {
                    let response = try await client.execute(uri: "/api/v1/targets/metadata" + query, method: .get)
                    return try #require(try json(response)["data"] as? [[String: Any]])
                }
                // Metadata is stored just after the scrape that reported it.
                var all = try await entries("")
                while all.count < 4, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                    all = try await entries("")
                }
                #expect(all.map { $0["metric"] as? String } == ["shop_latency_seconds", "shop_orders_total", "shop_latency_seconds", "shop_orders_total"])
                #expect(all.map { ($0["target"] as? [String: String])?["job"] } == ["a", "a", "b", "b"])
                #expect(all.first?["type"] as? String == "histogram" && all.first?["help"] as? String == "Checkout latency.")
                #expect(try await entries("?limit=0").isEmpty)
                #expect(try await entries("?limit=1").count == 2)
                #expect(try await entries("?limit=2").count == 2)
                #expect(try await entries("?limit=3").count == 4)
                let family = try await entries("?metric=shop_latency_seconds&match_target=%7Bjob%3D%22b%22%7D")
                #expect(family.count == 1 && family.first?["metric"] == nil && family.first?["type"] as? String == "histogram")
                #expect(try await entries("?metric=shop_latency_seconds_bucket").isEmpty)

                let pools = try json(try await client.execute(uri: "/api/v1/scrape_pools", method: .get))
                #expect((pools["data"] as? [String: [String]])?["scrapePools"] == ["a", "b"])
                for (pool, jobs) in [("b", ["b"]), ("nope", []), ("", ["a", "b"])] {
                    let targets = try json(try await client.execute(uri: "/api/v1/targets?scrapePool=\(pool)", method: .get))
                    let active = try #require((targets["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]])
                    #expect(active.map { $0["scrapePool"] as? String } == jobs, "scrapePool=\(pool)")
                }
            }
        }
    }
}
