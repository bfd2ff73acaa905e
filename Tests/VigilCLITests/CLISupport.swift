import Foundation
import TestPorts
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// The `vigil` executable that `swift build` put beside this test bundle.
let vigilBinary: URL = {
    let directory = Bundle.main.bundleURL.deletingLastPathComponent()
    for candidate in [directory.appendingPathComponent("vigil"), directory.deletingLastPathComponent().appendingPathComponent("vigil")]
    where FileManager.default.isExecutableFile(atPath: candidate.path) {
        return candidate
    }
    return Repository.root.appendingPathComponent(".build/debug/vigil")
}()

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs blocking work on a dedicated thread; the concurrency pool has only as many threads as cores.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Runs vigil to completion from the repository root, waiting on its own thread.
func runVigil(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
    try await onOwnThread { try runVigilBlocking(arguments, environment: environment) }
}

private func runVigilBlocking(_ arguments: [String], environment: [String: String]) throws -> CommandResult {
    let process = Process()
    process.executableURL = vigilBinary
    process.arguments = arguments
    process.currentDirectoryURL = Repository.root
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}

/// A `vigil serve` child process on free loopback ports, with its own storage, configuration and log.
///
/// Unless the test passes its own, the configuration scrapes the child's API and monitoring
/// listeners every `scrapeInterval`.
final class ServerProcess {
    let process = Process()
    let port: Int
    let webPort: Int
    let directory: URL
    let logURL: URL
    let storagePath: String
    var configPath: String { directory.appendingPathComponent("vigil.yml").path }

    init(arguments: [String], environment: [String: String] = [:], scrapeInterval: String = "1s", rules: String? = nil,
         reuse: ServerProcess? = nil, extraJobs: String = "", extraConfig: String = "", storagePathOverride: String? = nil,
         configOverride: String? = nil) throws {
        port = try reuse?.port ?? freePort()
        webPort = try reuse?.webPort ?? freePort()
        directory = reuse?.directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("vigil-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        storagePath = storagePathOverride ?? directory.appendingPathComponent("vigil.db").path
        logURL = directory.appendingPathComponent("serve.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let config = configOverride ?? """
            global: {scrape_interval: \(scrapeInterval), scrape_timeout: 500ms, evaluation_interval: \(scrapeInterval)}
            scrape_configs:
              - job_name: ml-api
                static_configs: [{targets: ["127.0.0.1:\(port)"]}]
              - job_name: vigil
                static_configs: [{targets: ["127.0.0.1:\(webPort)"]}]
            """ + extraJobs + (rules == nil ? "" : "\nrule_files: [rules.yml]\n") + extraConfig
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))
        if let rules { try Data(rules.utf8).write(to: directory.appendingPathComponent("rules.yml")) }
        process.executableURL = vigilBinary
        process.arguments = ["serve", "--api.listen-address", "127.0.0.1:\(port)", "--web.listen-address", "127.0.0.1:\(webPort)",
                             "--storage.path", storagePath, "--config.file", configPath,
                             "--web.dashboards.path", Repository.root.appendingPathComponent("dashboards").path] + arguments
        process.currentDirectoryURL = Repository.root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Polls until the server answers, so tests never sleep for a fixed time.
    /// With `monitoring`, also waits for the monitoring listener, which opens once the store has.
    func waitUntilListening(timeout: Duration = .seconds(90), monitoring: Bool = true) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await get("/health")) != nil {
                if !monitoring { return }
                if (try? await get("/-/healthy", web: true)) != nil { return }
            }
            guard process.isRunning else { throw CLITestError("server exited early: \(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CLITestError("server did not listen within \(timeout): \(log)")
    }

    func get(_ path: String, web: Bool = false) async throws -> (status: Int, body: String) {
        try await request(path, method: "GET", body: nil, web: web)
    }

    func request(_ path: String, method: String, body: String?, web: Bool = false) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(web ? webPort : port)\(path)")!)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to exit and returns its status.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                throw CLITestError("server did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    /// Set by a test that starts a second server on the same files, so the first one's cleanup leaves them.
    var keepFiles = false

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if !keepFiles { try? FileManager.default.removeItem(at: directory) }
    }
}

struct CLITestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An unused loopback port for a child process to listen on (see `TestPorts.unusedLoopbackPort`).
func freePort() throws -> Int { try unusedLoopbackPort() }
