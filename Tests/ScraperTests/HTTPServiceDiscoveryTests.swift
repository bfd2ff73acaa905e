import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import Config
@testable import Scraper
@testable import TSDB

/// `http_sd_configs` against a discovery endpoint served by the test, which also serves the targets it lists.
@Suite struct HTTPServiceDiscoveryTests {
    /// What the discovery endpoint answers: status, content type and body.
    final class Endpoint: Sendable {
        let answer = Mutex<(status: HTTPResponse.Status, contentType: String, body: String)>((.ok, "application/json", "[]"))
        let requests = Mutex<[HTTPFields]>([])

        func set(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "application/json") {
            answer.withLock { $0 = (status, contentType, body) }
        }
    }

    func serve(_ endpoint: Endpoint, _ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.get("/sd") { request, _ -> Response in
            endpoint.requests.withLock { $0.append(request.headers) }
            let answer = endpoint.answer.withLock { $0 }
            return Response(
                status: answer.status, headers: [.contentType: answer.contentType],
                body: .init(byteBuffer: .init(string: answer.body)))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: .init(string: "m 1\n")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        try await app.test(.live) { client in try await body(client.port!) }
    }

    @Test func discoversTargetsKeepsThemWhenARefreshFailsAndCountsTheFailure() async throws {
        let endpoint = Endpoint()
        try await serve(endpoint) { port in
            endpoint.set(#"[{"targets": ["127.0.0.1:\#(port)"], "labels": {"team": "ml"}}, {"targets": []}]"#)
            let yaml = """
                global: {scrape_interval: 1s, scrape_timeout: 500ms}
                scrape_configs:
                  - job_name: discovered
                    http_sd_configs:
                      - url: http://127.0.0.1:\(port)/sd
                        refresh_interval: 100ms
                        basic_auth: {username: sd, password: secret}
                """
            let configuration = try PrometheusConfiguration(yaml: yaml, file: "test.yml")
            let manager = ScrapeManager(configuration: configuration, store: TimeSeriesStore(), logger: quietLogger)
            let running = Task { try await manager.run() }
            defer { running.cancel() }

            try await eventually { await manager.activeTargets().first?.health == .up }
            let target = try #require(await manager.activeTargets().first)
            #expect(target.labels["team"] == "ml" && target.labels["job"] == "discovered")
            #expect(target.discoveredLabels["__meta_url"] == "http://127.0.0.1:\(port)/sd")
            let headers = try #require(endpoint.requests.withLock { $0.first })
            #expect(headers[.authorization] == "Basic " + Data("sd:secret".utf8).base64EncodedString())
            #expect(headers[.accept] == "application/json")
            let refresh = headers.first { $0.name.canonicalName == "x-prometheus-refresh-interval-seconds" }
            #expect(refresh?.value == "0.1")

            // A wrong content type and then a server error: both count as failures, and the targets stay.
            endpoint.set("[]", contentType: "text/plain")
            try await eventually { await manager.httpDiscoveryFailuresTotal() >= 1 }
            endpoint.set("[]", status: .internalServerError)
            let failuresBefore = await manager.httpDiscoveryFailuresTotal()
            try await eventually { await manager.httpDiscoveryFailuresTotal() > failuresBefore }
            #expect(await manager.activeTargets().map(\.job) == ["discovered"], "the last good targets are kept")

            // A good empty answer removes them.
            endpoint.set("[]")
            try await eventually { await manager.activeTargets().isEmpty }
            running.cancel()
            try? await running.value
        }
    }

    @Test(arguments: [
        ("url: ftp://example.com/sd", "4:14: URL scheme must be 'http' or 'https'"),
        ("url: http:///sd", "4:14: host is missing in URL"),
        ("refresh_interval: 1m", "4:9: URL is missing"),
        ("{url: http://sd/, bearer_token: a, bearer_token_file: b}", "4:41: at most one of bearer_token & bearer_token_file must be configured"),
        ("{url: http://sd/, proxy_url: http://proxy/}", "4:27: field proxy_url in http_sd config is not supported: Vigil's HTTP client has no OAuth 2.0 or proxy support"),
    ])
    func badConfigsFailWithPositions(entry: String, expected: String) {
        let yaml = "scrape_configs:\n  - job_name: sd\n    http_sd_configs:\n      - \(entry)\n"
        #expect(throws: ConfigError.self) { try PrometheusConfiguration(yaml: yaml, file: "sd.yml") }
        do {
            _ = try PrometheusConfiguration(yaml: yaml, file: "sd.yml")
        } catch {
            #expect(error.description == "sd.yml:\(expected)")
        }
    }

    @Test func answersAreParsedAsPrometheusParsesThem() throws {
        let groups = try HTTPServiceDiscovery.parse(Array(#"[{"targets": ["a:1"], "labels": {"x": "y"}, "extra": 1}]"#.utf8), url: "http://sd/")
        #expect(groups == [TargetGroup(targets: ["a:1"], labels: ["x": "y", "__meta_url": "http://sd/"], source: "http://sd/:0")])
        #expect(throws: ConfigError.self) { try HTTPServiceDiscovery.parse(Array("[null]".utf8), url: "http://sd/") }
        #expect(throws: ConfigError.self) { try HTTPServiceDiscovery.parse(Array(#"[{"labels": {"1x": "y"}}]"#.utf8), url: "http://sd/") }
        #expect(HTTPServiceDiscovery.isJSON("application/json; charset=utf-8"))
        #expect(!HTTPServiceDiscovery.isJSON("text/json"))
    }
}
