import Foundation
import Testing

/// Promtool runs Debian's real `promtool` (Prometheus 2.42), the oracle for rule files and templates.
///
/// Tests that need it are skipped when it is not installed, except under `CI=true`, where its absence is a
/// failure: CI must compare against the real thing.
enum Promtool {
    static let path: String? = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static let isRequired = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Whether promtool tests should run: it is installed, or CI requires it (and the test will fail without it).
    static let shouldRun = path != nil || isRequired

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs promtool on its own thread (the concurrency pool has only as many threads as cores, and a
    /// blocked pool starves the servers other tests run), or records an issue and returns nil when it is missing.
    static func run(_ arguments: [String], in directory: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Result? {
        guard let path else {
            Issue.record("promtool is not installed but CI=true requires it", sourceLocation: sourceLocation)
            return nil
        }
        return try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Swift.Result { try runBlocking(path: path, arguments, in: directory) }) }.start()
        }
    }

    private static func runBlocking(path: String, _ arguments: [String], in directory: String?) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}
