import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A Debian-packaged peer (Prometheus or VictoriaMetrics) on a loopback port with its own data directory.
///
/// `stop()` and `start()` keep the port and the data, so a test can take the peer down and bring it back.
final class PeerProcess {
    enum Kind { case prometheus, victoriaMetrics }

    let kind: Kind
    let port: Int
    let directory: URL
    let config: String
    private var process: Process?

    /// Nil when the binary is missing: a failure under CI, a skip elsewhere.
    init?(_ kind: Kind, config: String = "global: {scrape_interval: 1m}\n") throws {
        self.kind = kind
        guard FileManager.default.isExecutableFile(atPath: Self.binary(kind)) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("\(Self.binary(kind)) is not installed (apt-get install -y prometheus victoria-metrics)")
            }
            return nil
        }
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.config = config
        try start()
    }

    static func binary(_ kind: Kind) -> String { kind == .prometheus ? "/usr/bin/prometheus" : "/usr/bin/victoria-metrics" }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary(kind))
        switch kind {
        case .prometheus:
            let configPath = directory.appendingPathComponent("prometheus.yml")
            try Data(config.utf8).write(to: configPath)
            process.arguments = ["--config.file=\(configPath.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                                 "--web.listen-address=127.0.0.1:\(port)", "--web.enable-remote-write-receiver"]
        case .victoriaMetrics:
            process.arguments = ["-httpListenAddr=127.0.0.1:\(port)", "-storageDataPath=\(directory.appendingPathComponent("data").path)",
                                 "-search.latencyOffset=0s"]
        }
        let log = directory.appendingPathComponent("peer.log")
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
    }

    var log: String { (try? String(contentsOf: directory.appendingPathComponent("peer.log"), encoding: .utf8)) ?? "" }

    /// Polls the peer's readiness endpoint until it answers 200.
    func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let path = kind == .prometheus ? "/-/ready" : "/health"
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let (status, _) = try? await httpGetData(baseURL + path), status == 200 { return }
            guard process?.isRunning == true else { throw CLITestError("\(kind) exited early: \(log.suffix(2000))") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLITestError("\(kind) was not ready within \(timeout): \(log.suffix(2000))")
    }

    /// Stops the peer gracefully and waits for it to exit.
    func stop() async throws {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw CLITestError("\(kind) did not stop within 30 s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// GET with URLSession; the status and body.
func httpGetData(_ url: String) async throws -> (Int, Data) {
    var request = URLRequest(url: URL(string: url)!)
    request.timeoutInterval = 10
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
}

/// Samples by series: rendered label set → (ms timestamp → value).
typealias SampleSets = [String: [Int64: Double]]

func render(_ labels: [String: String]) -> String {
    "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
}

/// Raw samples of `selector` over the `range` before `time` (seconds), through a Prometheus-style query API
/// (Vigil's or Prometheus's), kept to [from, to] milliseconds.
func rawSamples(_ baseURL: String, selector: String, range: String, at time: Double, from: Int64, to: Int64) async throws -> SampleSets {
    var components = URLComponents(string: baseURL + "/api/v1/query")!
    components.queryItems = [URLQueryItem(name: "query", value: "\(selector)[\(range)]"), URLQueryItem(name: "time", value: String(time))]
    // URLComponents leaves "+" alone, which a server reads as a space.
    components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
    let (status, data) = try await httpGetData(components.url!.absoluteString)
    guard status == 200, let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
          let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]] else {
        throw CLITestError("query \(selector) at \(baseURL) failed: \(status) \(String(decoding: data, as: UTF8.self))")
    }
    var sets: SampleSets = [:]
    for series in result {
        let labels = series["metric"] as? [String: String] ?? [:]
        var samples: [Int64: Double] = [:]
        for pair in series["values"] as? [[Any]] ?? [] {
            guard pair.count == 2, let t = pair[0] as? Double, let text = pair[1] as? String, let parsed = Double(text) else { continue }
            // NaN never equals itself; a stand-in lets sample sets holding NaN compare equal.
            let v = parsed.isNaN ? -Double.greatestFiniteMagnitude : parsed
            let ms = Int64((t * 1000).rounded())
            if ms >= from && ms <= to { samples[ms] = v }
        }
        if !samples.isEmpty { sets[render(labels)] = samples }
    }
    return sets
}

/// Raw samples of `selector` from VictoriaMetrics's export API, kept to [from, to] milliseconds.
func victoriaMetricsSamples(_ baseURL: String, selector: String, from: Int64, to: Int64) async throws -> SampleSets {
    var components = URLComponents(string: baseURL + "/api/v1/export")!
    components.queryItems = [URLQueryItem(name: "match[]", value: selector), URLQueryItem(name: "start", value: String(from / 1000 - 60)),
                             URLQueryItem(name: "end", value: String(to / 1000 + 60))]
    components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
    let (status, data) = try await httpGetData(components.url!.absoluteString)
    guard status == 200 else { throw CLITestError("export from VictoriaMetrics failed: \(status)") }
    var sets: SampleSets = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
        let labels = json["metric"] as? [String: String] ?? [:]
        let values = json["values"] as? [Any] ?? []
        let timestamps = json["timestamps"] as? [Any] ?? []
        var samples: [Int64: Double] = [:]
        for (t, v) in zip(timestamps, values) {
            guard let ms = (t as? NSNumber)?.int64Value, let value = (v as? NSNumber)?.doubleValue else { continue }
            if ms >= from && ms <= to { samples[ms] = value }
        }
        if !samples.isEmpty { sets[render(labels)] = samples }
    }
    return sets
}

/// The value of a metric line in exposition text (`name{labels} value`), or nil.
func exposedValue(_ text: String, _ prefix: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
        return Double(line.split(separator: " ").last ?? "")
    }
    return nil
}
