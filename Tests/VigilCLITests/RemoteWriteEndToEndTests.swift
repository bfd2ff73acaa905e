import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Vigil against real remote-write peers from Debian: Prometheus 2.42 and VictoriaMetrics.
@Suite(.serialized) struct RemoteWriteEndToEndTests {
    static let selector = #"{__name__=~"up|scrape_duration_seconds|scrape_samples_scraped"}"#

    static func remoteWrite(_ urls: [(name: String, url: String)]) -> String {
        "\nremote_write:\n" + urls.map { entry in
            """
              - url: \(entry.url)
                name: \(entry.name)
                queue_config: {batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 500ms}

            """
        }.joined()
    }

    /// Polls Vigil until its newest `up` sample is at least `ms`.
    func waitForVigilData(_ vigil: ServerProcess, through ms: Int64, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (_, data) = try await httpGetData("http://127.0.0.1:\(vigil.webPort)/api/v1/query?query=max(timestamp(up))")
            if let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let value = (((json["data"] as? [String: Any])?["result"] as? [[String: Any]])?.first?["value"] as? [Any])?.last as? String,
               let seconds = Double(value), Int64(seconds * 1000) >= ms {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CLITestError("Vigil has no data through \(ms) within \(timeout): \(vigil.log.suffix(2000))")
    }

    /// Polls until `fetch` returns exactly `expected`; records the difference on timeout.
    func waitForSamples(_ expected: SampleSets, from peer: String, timeout: Duration = .seconds(40),
                        _ fetch: () async throws -> SampleSets) async throws {
        let deadline = ContinuousClock.now + timeout
        var got: SampleSets = [:]
        while ContinuousClock.now < deadline {
            got = (try? await fetch()) ?? [:]
            if got == expected { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        let missing = expected.compactMap { key, samples -> String? in
            let have = got[key] ?? [:]
            let absent = samples.filter { have[$0.key] != $0.value }
            return absent.isEmpty ? nil : "\(key): \(absent.count) of \(samples.count) missing or different"
        }
        let extra = Set(got.keys).subtracting(expected.keys)
        Issue.record("\(peer) does not hold Vigil's samples: \(missing.prefix(5)); extra series: \(extra.prefix(5))")
    }

    var nowMillis: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test func prometheusAndVictoriaMetricsReceiveTheSameSamplesVigilHolds() async throws {
        guard let prometheus = try PeerProcess(.prometheus), let victoria = try PeerProcess(.victoriaMetrics) else { return }
        try await prometheus.waitUntilReady()
        try await victoria.waitUntilReady()
        let vigil = try ServerProcess(arguments: ["--model.path", "/nonexistent/model.json"], extraConfig: Self.remoteWrite([
            ("prometheus", prometheus.baseURL + "/api/v1/write"), ("victoria", victoria.baseURL + "/api/v1/write"),
        ]))
        try await vigil.waitUntilListening()
        let from = nowMillis
        try await waitForVigilData(vigil, through: from + 5000)
        let to = nowMillis - 500
        let at = Double(to) / 1000 + 1
        let vigilURL = "http://127.0.0.1:\(vigil.webPort)"
        let expected = try await rawSamples(vigilURL, selector: Self.selector, range: "30s", at: at, from: from, to: to)
        #expect(expected.count == 6, "three metrics of two jobs: \(expected.keys.sorted())")
        #expect(expected.values.allSatisfy { $0.count >= 3 })
        try await waitForSamples(expected, from: "Prometheus") {
            try await rawSamples(prometheus.baseURL, selector: Self.selector, range: "30s", at: at, from: from, to: to)
        }
        try await waitForSamples(expected, from: "VictoriaMetrics") {
            try await victoriaMetricsSamples(victoria.baseURL, selector: Self.selector, from: from, to: to)
        }
        vigil.signal(SIGTERM)
        #expect(try await vigil.waitForExit() == 0)
    }

    /// The receiver goes down; while it is down Vigil is killed with SIGKILL and restarted; when the receiver
    /// comes back it gets every sample Vigil committed, and the test reports how many were sent twice.
    @Test func nothingIsLostWhenTheReceiverIsDownAndVigilIsKilled() async throws {
        guard let prometheus = try PeerProcess(.prometheus) else { return }
        try await prometheus.waitUntilReady()
        let extra = Self.remoteWrite([("prometheus", prometheus.baseURL + "/api/v1/write")])
        let first = try ServerProcess(arguments: ["--model.path", "/nonexistent/model.json"], extraConfig: extra)
        first.keepFiles = true
        try await first.waitUntilListening()
        let from = nowMillis
        try await waitForVigilData(first, through: from + 2000)

        try await prometheus.stop()
        let downAt = nowMillis
        // Vigil keeps scraping into its store while the receiver is down.
        try await waitForVigilData(first, through: downAt + 4000)
        let firstMetrics = try await first.get("/metrics", web: true).body
        let sentBeforeKill = exposedValue(firstMetrics, "prometheus_remote_storage_samples_total{") ?? 0
        #expect((exposedValue(firstMetrics, "prometheus_remote_storage_samples_retried_total{") ?? 0) > 0)
        first.signal(SIGKILL)
        _ = try await first.waitForExit()

        let second = try ServerProcess(arguments: ["--model.path", "/nonexistent/model.json"], reuse: first, extraConfig: extra)
        try await second.waitUntilListening()
        try await waitForVigilData(second, through: nowMillis + 2000)
        try prometheus.start()
        try await prometheus.waitUntilReady()

        let to = nowMillis - 500
        let at = Double(to) / 1000 + 1
        let vigilURL = "http://127.0.0.1:\(second.webPort)"
        let everything = #"{__name__=~".+"}"#
        let expected = try await rawSamples(vigilURL, selector: everything, range: "5m", at: at, from: from, to: to)
        #expect(expected.values.contains { samples in samples.keys.contains { $0 > downAt + 1000 } }, "samples from the outage are expected")
        try await waitForSamples(expected, from: "Prometheus after the outage and the kill", timeout: .seconds(60)) {
            try await rawSamples(prometheus.baseURL, selector: everything, range: "5m", at: at, from: from, to: to)
        }
        // Sent twice: everything both runs sent, less what the receiver holds once, over the whole run.
        let secondMetrics = try await second.get("/metrics", web: true).body
        let sentAfterRestart = exposedValue(secondMetrics, "prometheus_remote_storage_samples_total{") ?? 0
        let all = try await rawSamples(prometheus.baseURL, selector: everything, range: "10m", at: Double(nowMillis) / 1000, from: 0, to: .max)
        let held = all.values.reduce(0) { $0 + $1.count }
        print("remote write outage test: \(Int(sentBeforeKill)) samples sent before the kill, \(Int(sentAfterRestart)) after the restart, " +
              "\(held) held by the receiver, \(max(0, Int(sentBeforeKill + sentAfterRestart) - held)) sent twice")
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }

    /// A central Prometheus federates Vigil, reads from it through remote_read, and remote-writes into it.
    @Test func prometheusFederatesRemoteReadsAndRemoteWritesVigil() async throws {
        guard FileManager.default.isExecutableFile(atPath: PeerProcess.binary(.prometheus)) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("prometheus is not installed") }
            return
        }
        let vigil = try ServerProcess(arguments: ["--model.path", "/nonexistent/model.json", "--web.enable-remote-write-receiver"])
        try await vigil.waitUntilListening()
        let web = "127.0.0.1:\(vigil.webPort)"
        guard let central = try PeerProcess(.prometheus, config: """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: federate
                honor_labels: true
                metrics_path: /federate
                params: {'match[]': ['{job="vigil"}']}
                static_configs: [{targets: ['\(web)']}]
            remote_read:
              - url: http://\(web)/api/v1/read
                read_recent: true
            remote_write:
              - url: http://\(web)/api/v1/write
                write_relabel_configs: [{target_label: source, replacement: central}]
                queue_config: {batch_send_deadline: 200ms}
            """) else { return }
        try await central.waitUntilReady()

        // Federation: Vigil's own series, with their own job (honor_labels), scraped through /federate.
        let federated = await pollQuery(central.baseURL, #"up{job="vigil"}"#) { $0.count == 1 }
        #expect(federated.first?["instance"] == web)

        // Remote read: the ml-api job is not federated, so only remote_read can answer for it; values agree with Vigil's.
        try await waitForVigilData(vigil, through: nowMillis + 3000)
        let at = Double(nowMillis - 1000) / 1000
        let query = #"count_over_time(scrape_samples_scraped{job="ml-api"}[1m])"#
        let ownCount = try await instantValue("http://\(web)", query, at: at)
        let readCount = try await instantValue(central.baseURL, query, at: at)
        #expect(ownCount != nil && ownCount == readCount, "Vigil says \(String(describing: ownCount)), Prometheus via remote_read says \(String(describing: readCount))")

        // Remote write into Vigil: the federated series come back, relabeled with source="central".
        let pushed = await pollQuery("http://\(web)", #"up{job="vigil",source="central"}"#) { $0.count == 1 }
        #expect(pushed.first?["instance"] == web)
        vigil.signal(SIGTERM)
        #expect(try await vigil.waitForExit() == 0)
    }

    /// Polls an instant query until `accept` holds for its result's label sets; returns the last result.
    func pollQuery(_ baseURL: String, _ query: String, timeout: Duration = .seconds(40),
                   _ accept: ([[String: String]]) -> Bool) async -> [[String: String]] {
        let deadline = ContinuousClock.now + timeout
        var last: [[String: String]] = []
        while ContinuousClock.now < deadline {
            var components = URLComponents(string: baseURL + "/api/v1/query")!
            components.queryItems = [URLQueryItem(name: "query", value: query)]
            if let (_, data) = try? await httpGetData(components.url!.absoluteString),
               let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]] {
                last = result.map { $0["metric"] as? [String: String] ?? [:] }
                if accept(last) { return last }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("\(query) at \(baseURL) never matched; last result \(last)")
        return last
    }

    func instantValue(_ baseURL: String, _ query: String, at time: Double) async throws -> Double? {
        var components = URLComponents(string: baseURL + "/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: query), URLQueryItem(name: "time", value: String(time))]
        let (_, data) = try await httpGetData(components.url!.absoluteString)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let result = (json?["data"] as? [String: Any])?["result"] as? [[String: Any]]
        return ((result?.first?["value"] as? [Any])?.last as? String).flatMap(Double.init)
    }
}
