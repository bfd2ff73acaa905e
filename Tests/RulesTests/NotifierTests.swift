import Foundation
import TestPorts
import Logging
import Rules
import TSDB
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct NotifierTests {
    static let logger = Logger(label: "vigil.test.notifier")

    @Test func bodyHasAlertmanagerV2ShapeWithMillisecondRFC3339Times() {
        let alert = OutgoingAlert(
            labels: ["alertname": "HighLatency", "job": "a\"b"],
            annotations: ["summary": "line\nbreak\u{1}"],
            startsAt: 1_700_000_000_123,
            endsAt: 1_700_000_240_000,
            generatorURL: OutgoingAlert.generatorURL(externalURL: "http://h:9090/", expr: "rate(x[5m]) > 0.5")
        )
        let open = OutgoingAlert(labels: ["alertname": "B"], startsAt: 0, endsAt: nil)
        let body = String(decoding: OutgoingAlert.jsonBody([alert, open]), as: UTF8.self)
        #expect(
            body == #"[{"labels":{"alertname":"HighLatency","job":"a\"b"},"annotations":{"summary":"line\nbreak\u0001"},"#
                + #""startsAt":"2023-11-14T22:13:20.123Z","endsAt":"2023-11-14T22:17:20.000Z","#
                + #""generatorURL":"http://h:9090/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0.5&g0.tab=1"},"#
                + #"{"labels":{"alertname":"B"},"annotations":{},"startsAt":"1970-01-01T00:00:00.000Z","generatorURL":""}]"#)
        #expect(String(decoding: OutgoingAlert.jsonBody([]), as: UTF8.self) == "[]")
        // The body is valid JSON whatever the label values hold.
        #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(OutgoingAlert.jsonBody([alert, open]))) }
    }

    @Test func timesAcrossLeapDaysAndCenturies() {
        let alert = { (ms: Int64) in
            let body = String(decoding: OutgoingAlert.jsonBody([OutgoingAlert(labels: [:], startsAt: ms, endsAt: nil)]), as: UTF8.self)
            return String(body.split(separator: "\"")[7])
        }
        #expect(alert(1_709_164_800_000) == "2024-02-29T00:00:00.000Z")
        #expect(alert(951_782_400_999) == "2000-02-29T00:00:00.999Z")
        #expect(alert(4_102_444_799_000) == "2099-12-31T23:59:59.000Z")
        #expect(alert(-1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func firingAlertEndsAtValidUntilAndResolvedAlertAtResolvedAt() {
        var state = AlertState(
            labels: ["alertname": "Down", "instance": "a"], annotations: ["summary": "down"], state: .firing, value: 1,
            activeAt: 1_000, firedAt: 61_000, validUntil: 301_000)
        let firing = OutgoingAlert(state, expr: "up == 0", externalURL: "http://vigil:9090")
        #expect(firing.startsAt == 61_000)
        #expect(firing.endsAt == 301_000)
        #expect(firing.labels == state.labels)
        #expect(firing.annotations == state.annotations)
        #expect(firing.generatorURL == "http://vigil:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1")

        state.state = .inactive
        state.resolvedAt = 121_000
        let resolved = OutgoingAlert(state, expr: "up == 0", externalURL: "http://vigil:9090")
        #expect(resolved.startsAt == 61_000)
        #expect(resolved.endsAt == 121_000)
    }

    @Test func externalLabelsAreAddedButAlertLabelsWin() {
        let alert = OutgoingAlert(labels: ["alertname": "X", "cluster": "mine"], startsAt: 0, endsAt: nil)
        let labelled = alert.addingExternalLabels(["cluster": "global", "region": "eu"])
        #expect(labelled.labels == ["alertname": "X", "cluster": "mine", "region": "eu"])
    }

    @Test func fullQueueDropsOldestAndCountsThem() async {
        let notifier = Notifier(
            alertmanagers: [URL(string: "http://127.0.0.1:1")!], timeout: .seconds(1), queueCapacity: 3,
            logger: Self.logger)
        let alerts = (0..<10).map { OutgoingAlert(labels: ["alertname": "A\($0)"], startsAt: 0, endsAt: nil) }
        await notifier.enqueue(Array(alerts[0..<2]))
        #expect(await notifier.stats().queueLength == 2)
        #expect(await notifier.stats().droppedTotal == 0)
        await notifier.enqueue(Array(alerts[2..<5]))
        var stats = await notifier.stats()
        #expect(stats.queueLength == 3)
        #expect(stats.droppedTotal == 2)
        await notifier.enqueue(Array(alerts[5..<10]))
        stats = await notifier.stats()
        #expect(stats.queueLength == 3)
        #expect(stats.queueCapacity == 3)
        #expect(stats.droppedTotal == 7)
        #expect(stats.alertmanagers.map(\.sentTotal) == [0])
    }

    @Test func deadAlertmanagerCountsErrorsAndDropsTheBatch() async throws {
        let (port, release) = try deadLoopbackPort()
        defer { release() }
        let dead = URL(string: "http://127.0.0.1:\(port)")!
        let notifier = Notifier(alertmanagers: [dead], timeout: .seconds(2), logger: Self.logger)
        let run = Task { try await notifier.run() }
        defer { run.cancel() }
        let alerts = (0..<3).map { OutgoingAlert(labels: ["alertname": "A\($0)"], startsAt: 0, endsAt: nil) }
        await notifier.enqueue(alerts)
        let stats = try await poll("the dead Alertmanager's errors to be counted", seconds: 60) {
            let stats = await notifier.stats()
            return stats.alertmanagers[0].errorsTotal == 3 ? stats : nil
        }
        #expect(stats.alertmanagers[0].sentTotal == 3)
        #expect(stats.droppedTotal == 3)
        #expect(stats.queueLength == 0)
        // The notifier keeps going after the failure.
        await notifier.enqueue(alerts)
        _ = try await poll("a second failed batch", seconds: 60) {
            await notifier.stats().alertmanagers[0].errorsTotal == 6 ? true : nil
        }
        run.cancel()
        try await run.value
    }

    @Test func relabelingDropsAndRewritesQueuedAlertsAndApplyReplacesIt() async throws {
        let first = try #require(URL(string: "http://127.0.0.1:1/api/v2/alerts"))
        let second = try #require(URL(string: "http://127.0.0.1:2/api/v1/alerts"))
        let notifier = Notifier(
            endpoints: [Notifier.Endpoint(url: first, timeout: .seconds(1))], externalLabels: ["cluster": "a"],
            relabel: { labels in labels["severity"] == "info" ? nil : labels.setting("seen", to: labels["cluster"] ?? "") },
            logger: Self.logger)
        await notifier.enqueue([
            OutgoingAlert(labels: ["alertname": "Info", "severity": "info"], startsAt: 0, endsAt: nil),
            OutgoingAlert(labels: ["alertname": "Page", "severity": "page"], startsAt: 0, endsAt: nil),
        ])
        #expect(await notifier.queuedAlerts().map(\.labels) == [["alertname": "Page", "severity": "page", "cluster": "a", "seen": "a"]])
        // A reload: new external labels, no relabeling, a second Alertmanager beside the first.
        await notifier.apply(
            endpoints: [Notifier.Endpoint(url: first, timeout: .seconds(1)), Notifier.Endpoint(url: second, timeout: .seconds(2))],
            externalLabels: ["cluster": "b"], relabel: nil)
        await notifier.enqueue([OutgoingAlert(labels: ["alertname": "Info", "severity": "info"], startsAt: 0, endsAt: nil)])
        #expect(await notifier.queuedAlerts().last?.labels == ["alertname": "Info", "severity": "info", "cluster": "b"])
        #expect(await notifier.stats().alertmanagers.map(\.url) == [first, second])
    }

    @Test func neverRunNotifierOwnsNothing() async {
        let notifier = Notifier(alertmanagers: [], timeout: .seconds(1), logger: Self.logger)
        await notifier.enqueue([OutgoingAlert(labels: ["alertname": "A"], startsAt: 0, endsAt: nil)])
        #expect(await notifier.stats().queueLength == 1)
    }

    @Test(.enabled(if: RealAlertmanager.shouldRun, "prometheus-alertmanager is not installed"), .timeLimit(.minutes(1)))
    func firingThenResolvedAlertRoundTripsThroughRealAlertmanager() async throws {
        guard let alertmanager = try await RealAlertmanager.start() else { return }
        do {
            try await roundTrip(alertmanager)
        } catch {
            await alertmanager.stop()
            throw error
        }
        await alertmanager.stop()
    }

    private func roundTrip(_ alertmanager: RealAlertmanager) async throws {
        let dead = URL(string: "http://127.0.0.1:\(try freeLoopbackPort())/prefix")!
        let notifier = Notifier(
            alertmanagers: [alertmanager.baseURL, dead], timeout: .seconds(5), externalLabels: ["cluster": "test", "severity": "ignored"],
            logger: Self.logger)
        let run = Task { try await notifier.run() }
        defer { run.cancel() }

        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var state = AlertState(
            labels: ["alertname": "VigilRoundTrip", "severity": "page"], annotations: ["summary": "it \"fires\""],
            state: .firing, value: 1, activeAt: now - 60_000, firedAt: now - 30_000, validUntil: now + 240_000)
        await notifier.send([state], expr: "up == 0", externalURL: "http://vigil.example:9090")

        let firing = try await poll("the firing alert to show up in Alertmanager") {
            try await alertmanager.alerts().first { ($0["labels"] as? [String: String])?["alertname"] == "VigilRoundTrip" }
        }
        #expect(firing["labels"] as? [String: String] == ["alertname": "VigilRoundTrip", "severity": "page", "cluster": "test"])
        #expect(firing["annotations"] as? [String: String] == ["summary": "it \"fires\""])
        #expect(firing["generatorURL"] as? String == "http://vigil.example:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1")
        #expect((firing["status"] as? [String: Any])?["state"] as? String == "active")

        state.state = .inactive
        state.resolvedAt = now - 1_000
        await notifier.send([state], expr: "up == 0", externalURL: "http://vigil.example:9090")
        _ = try await poll("the resolved alert to leave Alertmanager's active alerts") { () async throws -> Bool? in
            let alerts = try await alertmanager.alerts()
            let match = alerts.first { ($0["labels"] as? [String: String])?["alertname"] == "VigilRoundTrip" }
            if let match, (match["status"] as? [String: Any])?["state"] as? String == "active" { return nil }
            return true
        }

        // A batch is counted once every Alertmanager has answered, and the dead one only gives up at the timeout.
        // It fails on its own: the batches reached the live one, so nothing was dropped.
        let stats = try await poll("the dead Alertmanager's errors") {
            let stats = await notifier.stats()
            return stats.alertmanagers[1].errorsTotal == 2 ? stats : nil
        }
        #expect(stats.alertmanagers[0].url == alertmanager.baseURL)
        #expect(stats.alertmanagers[0].sentTotal == 2)
        #expect(stats.alertmanagers[0].errorsTotal == 0)
        #expect(stats.alertmanagers[1].sentTotal == 2)
        #expect(stats.droppedTotal == 0)
        run.cancel()
        try await run.value
    }
}

/// Polls `check` every 100 ms until it returns a value, failing after `seconds`.
func poll<T>(
    _ what: String, seconds: Double = 15, sourceLocation: SourceLocation = #_sourceLocation,
    _ check: () async throws -> T?
) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if let value = try await check() { return value }
        if Date() > deadline {
            Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(100))
    }
}

/// A loopback TCP port nothing listens on at the moment of the call.
/// A loopback port left bound but not listening until the returned closer runs:
/// connections are refused, and no other test can take the port meanwhile.
func deadLoopbackPort() throws -> (port: Int, close: () -> Void) {
    #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else {
        close(fd)
        throw POSIXError(.EADDRINUSE)
    }
    return (Int(UInt16(bigEndian: address.sin_port)), { close(fd) })
}

func freeLoopbackPort() throws -> Int { try unusedLoopbackPort() }

/// RealAlertmanager runs Debian's `prometheus-alertmanager` on a free loopback port, with clustering off.
///
/// Tests that need it are skipped when it is not installed, except under `CI=true`, where its absence is a failure.
final class RealAlertmanager: @unchecked Sendable {
    static let path: String? = ["/usr/bin/prometheus-alertmanager", "/usr/local/bin/alertmanager"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let isRequired = ProcessInfo.processInfo.environment["CI"] == "true"
    static let shouldRun = path != nil || isRequired

    let baseURL: URL
    private let process: Process
    private let directory: URL
    private let log: URL

    private init(baseURL: URL, process: Process, directory: URL, log: URL) {
        self.baseURL = baseURL
        self.process = process
        self.directory = directory
        self.log = log
    }

    /// Starts Alertmanager and waits until `/-/ready` answers, or records an issue and returns nil when it is missing.
    static func start(sourceLocation: SourceLocation = #_sourceLocation) async throws -> RealAlertmanager? {
        guard let path else {
            Issue.record("prometheus-alertmanager is not installed but CI=true requires it", sourceLocation: sourceLocation)
            return nil
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-am-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("alertmanager.yml")
        try "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n".write(to: config, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("alertmanager.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [
            "--config.file=\(config.path)", "--storage.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
        ]
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let alertmanager = RealAlertmanager(
            baseURL: URL(string: "http://127.0.0.1:\(port)")!, process: process, directory: directory, log: log)
        do {
            _ = try await poll("Alertmanager to become ready", seconds: 20, sourceLocation: sourceLocation) {
                if !process.isRunning { return false }
                let status = try? await alertmanager.get("/-/ready").status
                return status == 200 ? true : nil
            }
            guard process.isRunning else {
                Issue.record("Alertmanager exited: \(alertmanager.logText())", sourceLocation: sourceLocation)
                await alertmanager.stop()
                return nil
            }
        } catch {
            Issue.record("Alertmanager log: \(alertmanager.logText())", sourceLocation: sourceLocation)
            await alertmanager.stop()
            throw error
        }
        return alertmanager
    }

    func logText() -> String {
        (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }

    func get(_ path: String) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: baseURL.absoluteString + path)!)
        request.timeoutInterval = 5
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// The alerts `GET /api/v2/alerts` lists (active, silenced, inhibited and unprocessed; not resolved ones).
    func alerts() async throws -> [[String: Any]] {
        let (status, body) = try await get("/api/v2/alerts")
        guard status == 200 else { return [] }
        return (try JSONSerialization.jsonObject(with: body) as? [[String: Any]]) ?? []
    }

    /// Stops Alertmanager and removes its files; the blocking wait runs on its own thread, not the concurrency pool.
    func stop() async {
        let process = self.process
        if process.isRunning { process.terminate() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                process.waitUntilExit()
                continuation.resume()
            }
            thread.start()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
