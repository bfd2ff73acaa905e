import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Debian peers the comparison tests need: absent, they fail the test under `CI=true` and skip it elsewhere.
enum ComparisonPeers {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let prometheus = "/usr/bin/prometheus"
    static let promtool = "/usr/bin/promtool"
    /// Debian's interpreter (python3-venv), not whatever `python3` a developer's PATH finds first.
    static let python = "/usr/bin/python3"

    static var missing: [String] {
        [prometheus, promtool, python].filter { !FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var shouldRun: Bool { missing.isEmpty || isCI }

    /// Fails the test under CI and cancels (skips) it elsewhere, with the reason in both cases.
    static func unavailable(_ reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Never {
        if isCI {
            Issue.record("\(reason) (CI=true requires it)", sourceLocation: sourceLocation)
            throw CLITestError(reason)
        }
        try Test.cancel("skipped: \(reason)", sourceLocation: sourceLocation)
    }

    static func requireInstalled(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let missing = missing
        if !missing.isEmpty { try unavailable("not installed: \(missing.joined(separator: ", "))", sourceLocation: sourceLocation) }
    }
}

/// Runs a program to completion on its own thread and returns its exit status and output.
func runProgram(_ executable: String, _ arguments: [String], directory: URL? = nil) async throws -> CommandResult {
    try await onOwnThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Stderr is drained on another thread so a chatty program can never block on a full pipe.
        let stderr = DrainedPipe(err)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr.wait(), as: UTF8.self))
    }
}

/// Reads a pipe to its end on a thread of its own.
private final class DrainedPipe: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ pipe: Pipe) {
        Thread { [self] in
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    /// Everything the pipe carried; the semaphore orders the reader thread's write before this read.
    func wait() -> Data {
        done.wait()
        return data
    }
}

/// The pinned `prometheus-api-client` in a virtualenv under `.build`, keyed by the requirements file's hash,
/// so only the first run (or a changed pin) pays for `pip install`.
enum PythonClientEnvironment {
    static let fixtures = Bundle.module.url(forResource: "Fixtures/prometheus-api-client", withExtension: nil)!
    static var requirements: URL { fixtures.appendingPathComponent("requirements.txt") }

    private static let creation = Task<URL, any Error> { try await create() }

    /// The virtualenv's interpreter, creating the environment once per test process.
    static func python() async throws -> URL { try await creation.value }

    private static func create() async throws -> URL {
        let text = try Data(contentsOf: requirements)
        let key = String(fnv1a(text), radix: 16)
        let root = Repository.root.appendingPathComponent(".build/test-venvs")
        let final = root.appendingPathComponent("prometheus-api-client-\(key)")
        let python = final.appendingPathComponent("bin/python")
        if FileManager.default.fileExists(atPath: final.appendingPathComponent(".complete").path) { return python }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // Built beside its final place and renamed, so no run ever sees a half-installed environment.
        let staging = root.appendingPathComponent("staging-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }
        let venv = try await runProgram(ComparisonPeers.python, ["-m", "venv", staging.path])
        guard venv.status == 0 else { throw CLITestError("python3 -m venv failed: \(venv.stderr)") }
        let pip = try await runProgram(staging.appendingPathComponent("bin/python").path, [
            "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet", "-r", requirements.path,
        ])
        guard pip.status == 0 else { throw CLITestError("pip install -r \(requirements.lastPathComponent) failed: \(pip.stderr.suffix(2000))") }
        FileManager.default.createFile(atPath: staging.appendingPathComponent(".complete").path, contents: nil)
        do {
            try FileManager.default.moveItem(at: staging, to: final)
        } catch where FileManager.default.fileExists(atPath: final.appendingPathComponent(".complete").path) {
            // Another test process finished first; its environment is as good as ours.
        }
        return python
    }

    private static func fnv1a(_ data: Data) -> UInt64 {
        data.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }
}

/// Debian's Prometheus 2.42 on a free loopback port, over a data directory the test filled.
final class PrometheusProcess {
    let process = Process()
    let port: Int
    let logURL: URL

    init(config: String, directory: URL, dataDirectory: URL) throws {
        port = try freePort()
        let configURL = directory.appendingPathComponent("prometheus.yml")
        try Data(config.utf8).write(to: configURL)
        logURL = directory.appendingPathComponent("prometheus.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: ComparisonPeers.prometheus)
        process.arguments = ["--config.file=\(configURL.path)", "--storage.tsdb.path=\(dataDirectory.path)",
                             "--web.listen-address=127.0.0.1:\(port)", "--storage.tsdb.retention.time=15d"]
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Polls `/-/ready` until Prometheus has loaded its blocks.
    func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let answer = try? await httpGet(baseURL + "/-/ready"), answer.status == 200 { return }
            guard process.isRunning else { throw CLITestError("prometheus exited early: \(log.suffix(2000))") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CLITestError("prometheus was not ready within \(timeout): \(log.suffix(2000))")
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A GET with the status and body, whatever the status.
func httpGet(_ url: String) async throws -> (status: Int, body: String) {
    try await httpRequest(url, form: nil)
}

/// A GET, or with a `form` a form-encoded POST, with the status and body, whatever the status.
func httpRequest(_ url: String, form: String?) async throws -> (status: Int, body: String) {
    guard let url = URL(string: url) else { throw CLITestError("bad URL \(url)") }
    var request = URLRequest(url: url)
    if let form {
        request.httpMethod = "POST"
        request.httpBody = Data(form.utf8)
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

/// `name=value&…` with everything but unreserved characters percent-encoded (`+` included, which forms read as a space).
func formEncoded(_ parameters: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
    allowed.insert(charactersIn: "-._~")
    return parameters.map { name, value in
        "\(name.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
    }.joined(separator: "&")
}

/// The same OpenMetrics data in Debian's Prometheus (backfilled with promtool) and in a `vigil serve` (imported
/// with `vigil tsdb import`), both running one configuration.
final class BackfilledPair {
    let directory: URL
    let prometheus: PrometheusProcess
    let vigil: ServerProcess
    /// Unix seconds of the first and last sample: six hours at a 30 s step, starting on a two-hour block boundary.
    let first: Int
    let last: Int

    init(config: String) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-prom-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let now = Int(Date().timeIntervalSince1970)
        first = (now - 8 * 3600) / 7200 * 7200
        last = first + 6 * 3600 - 30
        let generator = PythonClientEnvironment.fixtures.appendingPathComponent("openmetrics.py")
        let data = try await runProgram(ComparisonPeers.python, [generator.path, String(first)])
        guard data.status == 0 else { throw CLITestError("openmetrics.py failed: \(data.stderr)") }
        let dataURL = directory.appendingPathComponent("data.om")
        try Data(data.stdout.utf8).write(to: dataURL)

        let promData = directory.appendingPathComponent("prometheus-data")
        let backfill = try await runProgram(ComparisonPeers.promtool, ["tsdb", "create-blocks-from", "openmetrics", dataURL.path, promData.path])
        guard backfill.status == 0 else { throw CLITestError("promtool backfill failed: \(backfill.stdout)\(backfill.stderr)") }
        let storePath = directory.appendingPathComponent("vigil.db").path
        let imported = try await runVigil(["tsdb", "import", dataURL.path, "--storage.path", storePath])
        guard imported.status == 0, imported.stdout.contains("(0 skipped)") else {
            throw CLITestError("vigil tsdb import failed: \(imported.stdout)\(imported.stderr)")
        }

        prometheus = try PrometheusProcess(config: config, directory: directory, dataDirectory: promData)
        vigil = try ServerProcess(arguments: [], storagePathOverride: storePath, configOverride: config)
        try await prometheus.waitUntilReady()
        try await vigil.waitUntilListening()
    }

    var vigilBaseURL: String { "http://127.0.0.1:\(vigil.webPort)" }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// JSON with objects' keys sorted and arrays of objects sorted, so answers that list the same things in another
/// order compare equal (Prometheus lists target metadata in Go map order); arrays of scalars and pairs keep
/// their order, which is part of the answer.
func canonicalJSON(_ value: Any) -> String {
    func canonical(_ value: Any) -> Any {
        if let object = value as? [String: Any] { return object.mapValues(canonical) }
        if let array = value as? [Any] {
            let items = array.map(canonical)
            guard !items.isEmpty, items.allSatisfy({ $0 is [String: Any] }) else { return items }
            return items.sorted { serialized($0) < serialized($1) }
        }
        return value
    }
    return serialized(canonical(value))
}

private func serialized(_ value: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) else {
        return "\(value)"
    }
    return String(decoding: data, as: UTF8.self)
}

/// The JSON's shape: every object's keys with the shapes of their values, arrays as the set of their items' shapes.
func jsonShape(_ value: Any) -> String {
    if let object = value as? [String: Any] {
        return "{" + object.keys.sorted().map { "\($0):\(jsonShape(object[$0]!))" }.joined(separator: ",") + "}"
    }
    if let array = value as? [Any] { return "[" + Set(array.map(jsonShape)).sorted().joined(separator: "|") + "]" }
    if value is String { return "string" }
    if value is NSNull { return "null" }
    if type(of: value) == Bool.self { return "bool" }
    if let number = value as? NSNumber { return String(cString: number.objCType) == "c" ? "bool" : "number" }
    return "?"
}
