import Foundation
import Config
import Scraper
import Testing
import TSDB
@testable import Rules
@testable import Web

/// Page fixtures: a hostile alert, a healthy recording rule, and a rule that failed, at a fixed `now`.
enum PageFixtures {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let nowMs = Timestamp(1_700_000_000_000)

    static var groups: [RuleGroupView] {
        let firing = AlertState(
            labels: ["alertname": "APIDown", "instance": "api:8080", "job": "ml-api", "severity": "critical"],
            annotations: ["summary": "API <script>alert(1)</script> is down", "description": "up = 0 & \"quoted\""],
            state: .firing, value: 0, activeAt: nowMs - 185_000, firedAt: nowMs - 125_000)
        let pending = AlertState(
            labels: ["alertname": "HighLatency", "endpoint": "/predict", "severity": "warning"],
            annotations: ["summary": "Slow responses on /predict"], state: .pending, value: 1.75, activeAt: nowMs - 12_000)
        return [
            RuleGroupView(name: "ml-api-alerts", file: "config/alerts.yml", interval: 60_000, lastEvaluation: nowMs - 12_000,
                          evaluationSeconds: 0.004, rules: [
                RuleView(name: "APIDown", isAlerting: true, exprText: "up{job=\"ml-api\"} == 0", holdDuration: 60_000,
                         labels: ["severity": "critical"], annotations: ["summary": "ML API {{ $labels.instance }} is down"],
                         alerts: [firing], health: .ok, lastEvaluation: nowMs - 12_000, evaluationSeconds: 0.0021),
                RuleView(name: "HighLatency", isAlerting: true, exprText: "histogram_quantile(0.95, rate(x_bucket[5m])) > 1",
                         holdDuration: 300_000, labels: ["severity": "warning"], alerts: [pending], health: .ok, lastEvaluation: nowMs - 12_000, evaluationSeconds: 0.0021),
                RuleView(name: "SlowInference", isAlerting: true, exprText: "slow > 0.5", holdDuration: 300_000, health: .err,
                         lastError: "query timed out <in> storage", lastEvaluation: nowMs - 12_000, evaluationSeconds: 2.5),
            ]),
            RuleGroupView(name: "recordings", file: "config/records.yml", interval: 30_000, rules: [
                RuleView(name: "job:up:sum", isAlerting: false, exprText: "sum by (job) (up)"),
            ]),
        ]
    }

    static var targets: [TargetStatus] {
        var up = TargetStatus(job: "ml-api", scrapeURL: "http://api:8080/metrics", labels: ["instance": "api:8080", "job": "ml-api"],
                              discoveredLabels: Labels(), scrapeInterval: 15_000, scrapeTimeout: 10_000)
        up.health = .up
        up.lastScrape = now.addingTimeInterval(-3)
        up.lastScrapeDuration = 0.0123
        var down = TargetStatus(job: "ml-api", scrapeURL: "http://api-2:8080/metrics", labels: ["instance": "api-2:8080", "job": "ml-api"],
                                discoveredLabels: Labels(), scrapeInterval: 15_000, scrapeTimeout: 10_000)
        down.health = .down
        down.lastScrape = now.addingTimeInterval(-14)
        down.lastScrapeDuration = 0.5
        down.lastError = "connection refused <api-2>"
        let unknown = TargetStatus(job: "vigil", scrapeURL: "http://localhost:9090/metrics", labels: ["instance": "localhost:9090", "job": "vigil"],
                                   discoveredLabels: Labels(), scrapeInterval: 15_000, scrapeTimeout: 10_000)
        return [up, down, unknown]
    }
}

/// What one headless Chromium run printed.
struct ChromiumRun {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Console errors and uncaught exceptions from the page, which Chromium logs to stderr.
    var consoleErrors: [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.contains("Uncaught") || $0.contains(":CONSOLE") }
    }
}

/// Debian's Chromium, or nil (a recorded failure under CI) when it is not installed.
func chromiumPath(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: path) {
        return path
    }
    if ProcessInfo.processInfo.environment["CI"] == "true" {
        Issue.record("chromium is not installed (apt-get install -y chromium)", sourceLocation: sourceLocation)
    } else {
        print("SKIPPED at \(sourceLocation): chromium is not installed (apt-get install -y chromium)")
    }
    return nil
}

/// Where browser tests save their screenshots: `docs/screenshots/` when `VIGIL_UPDATE_SCREENSHOTS=1`, so a plain
/// test run never rewrites tracked files; otherwise a temporary directory.
func screenshotDirectory(repository root: URL) throws -> URL {
    let directory = ProcessInfo.processInfo.environment["VIGIL_UPDATE_SCREENSHOTS"] == "1"
        ? root.appendingPathComponent("docs/screenshots")
        : FileManager.default.temporaryDirectory.appendingPathComponent("vigil-screenshots")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// Runs headless Chromium on its own thread with `arguments`, killed after 120 s (a loaded two-core machine can take over 60).
func chromium(_ path: String, _ arguments: [String]) async throws -> ChromiumRun {
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-chromium-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: profile) }
    let base = ["120", path, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--user-data-dir=\(profile)", "--enable-logging=stderr", "--v=0"]
    return try await onOwnThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = base + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain stderr on another thread so a chatty Chromium never blocks on a full pipe.
        let errData = LockedData()
        let errHandle = err.fileHandleForReading
        let reader = Thread { errData.set(errHandle.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.done { Thread.sleep(forTimeInterval: 0.01) }
        return ChromiumRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                           stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

/// Data handed from a reader thread, guarded by a lock.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false
    func set(_ value: Data) { lock.withLock { data = value; finished = true } }
    func get() -> Data { lock.withLock { data } }
    var done: Bool { lock.withLock { finished } }
}
