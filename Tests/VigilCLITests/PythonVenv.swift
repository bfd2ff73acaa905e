import Foundation
import Testing

/// A cached Python virtualenv built from one of tools/requirements-*.txt, for tests that need PyPI packages.
///
/// It lives in `$VIGIL_VENV_CACHE` (default `~/.cache/vigil/venvs`) under a name that includes a hash
/// of the requirements file, so a changed pin builds a new one. Built in a scratch directory and
/// renamed into place, so tests that race to build it never see half an install; everything is run
/// as `bin/python -m …`, which keeps working after the rename.
enum PythonVenv {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// The base interpreter: Debian's (python3-venv) when present, else the first python3 on PATH.
    static let basePython: String? = {
        var candidates = ["/usr/bin/python3"]
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/python3")
        }
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path)
                && (try? run(path, ["-c", "import venv, ensurepip"]).status) == 0
        }
    }()

    /// Whether tests needing a venv can run; outside CI a missing interpreter skips them with this reason.
    static var unavailableReason: String? {
        basePython == nil ? "no python3 with the venv module (apt-get install -y python3-venv)" : nil
    }

    /// Records a failure under CI when Python is missing; returns whether the test should go on.
    static func requireOrSkip() -> Bool {
        if let reason = unavailableReason {
            if isCI { Issue.record(Comment(rawValue: reason)) }
            return false
        }
        return true
    }

    /// The venv's python, building the venv first when it is not cached yet.
    static func python(for requirements: String) throws -> String {
        guard let basePython else { throw CLITestError(unavailableReason ?? "no python3") }
        let requirementsURL = Repository.root.appendingPathComponent("tools/\(requirements)")
        let contents = try Data(contentsOf: requirementsURL)
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in contents { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let cacheRoot = ProcessInfo.processInfo.environment["VIGIL_VENV_CACHE"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/vigil/venvs").path
        let name = requirementsURL.deletingPathExtension().lastPathComponent + "-" + String(hash, radix: 16)
        let venv = URL(fileURLWithPath: cacheRoot).appendingPathComponent(name)
        let python = venv.appendingPathComponent("bin/python").path
        if FileManager.default.fileExists(atPath: venv.appendingPathComponent(".complete").path) { return python }
        try FileManager.default.createDirectory(atPath: cacheRoot, withIntermediateDirectories: true)
        let scratch = URL(fileURLWithPath: cacheRoot).appendingPathComponent(".building-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var result = try run(basePython, ["-m", "venv", scratch.path])
        guard result.status == 0 else { throw CLITestError("python3 -m venv failed: \(result.stderr)") }
        result = try run(scratch.appendingPathComponent("bin/python").path,
                         ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirementsURL.path])
        guard result.status == 0 else { throw CLITestError("pip install -r \(requirements) failed: \(result.stderr.suffix(2000))") }
        FileManager.default.createFile(atPath: scratch.appendingPathComponent(".complete").path, contents: nil)
        do {
            try FileManager.default.moveItem(at: scratch, to: venv)
        } catch {
            // Another test finished first; its venv is as good as ours.
            guard FileManager.default.fileExists(atPath: venv.appendingPathComponent(".complete").path) else { throw error }
        }
        return python
    }

    /// Runs a program to completion, capturing its output.
    static func run(_ executable: String, _ arguments: [String], directory: URL? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread so neither pipe fills up and blocks the child.
        let stderrData = LockedData()
        let done = DispatchSemaphore(value: 0)
        Thread {
            stderrData.set(err.fileHandleForReading.readDataToEndOfFile())
            done.signal()
        }.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        done.wait()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderrData.value, as: UTF8.self))
    }
}

/// Data handed from a reader thread.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    var value: Data { lock.withLock { data ?? Data() } }
}
