import Foundation
import TestPorts
import Testing

/// Debian peers (openssl, prometheus-node-exporter, prometheus) for the HTTPS scraping tests.
///
/// A missing peer skips the test with a visible reason, except under `CI=true`, where it is a failure.
enum Peers {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let openssl = executable("/usr/bin/openssl")
    static let nodeExporter = executable("/usr/bin/prometheus-node-exporter")
    static let prometheus = executable("/usr/bin/prometheus")
    static let alertmanager = executable("/usr/bin/prometheus-alertmanager")
    static let python = executable("/usr/bin/python3")

    /// Whether tests needing `paths` should run: all are installed, or CI requires them (and the test will fail).
    static func available(_ paths: String?...) -> Bool { isCI || paths.allSatisfy { $0 != nil } }

    private static func executable(_ path: String) -> String? {
        FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// The path of a required peer, or an issue recorded (CI) and nil.
    static func require(_ path: String?, _ package: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if path == nil { Issue.record("\(package) is not installed (apt-get install -y \(package))", sourceLocation: sourceLocation) }
        return path
    }

    /// Runs a command to completion on its own thread and returns its standard output; a non-zero exit throws.
    @discardableResult
    static func run(_ path: String, _ arguments: [String], in directory: URL? = nil) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: path)
                    process.arguments = arguments
                    if let directory { process.currentDirectoryURL = directory }
                    let output = Pipe(), errors = Pipe()
                    process.standardOutput = output
                    process.standardError = errors
                    try process.run()
                    let out = output.fileHandleForReading.readDataToEndOfFile()
                    let err = errors.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else {
                        throw PeerError("\(path) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                            + String(decoding: err, as: UTF8.self))
                    }
                    return String(decoding: out, as: UTF8.self)
                })
            }.start()
        }
    }
}

struct PeerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary directory removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let url: URL

    init(_ prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Certificates made by `openssl` for one test: a CA, a server certificate for 127.0.0.1 and localhost signed by
/// it, and an unrelated CA that must not be trusted.
struct TestCertificates {
    let caFile: String
    let otherCAFile: String
    let serverCertFile: String
    let serverKeyFile: String
    /// A client certificate signed by the CA, for targets that require one.
    let clientCertFile: String
    let clientKeyFile: String
    /// A server certificate valid only for the name `exporter.vigil.test`, with no IP address, for `server_name`.
    let nameOnlyCertFile: String

    static func make(in directory: TemporaryDirectory, openssl: String) async throws -> TestCertificates {
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for name in ["ca", "other-ca"] {
            try await Peers.run(openssl, ["req", "-x509"] + curve + [
                "-keyout", directory.path("\(name).key"), "-out", directory.path("\(name).crt"), "-days", "2",
                "-subj", "/CN=vigil test \(name)",
            ])
        }
        try await Peers.run(openssl, ["req"] + curve + [
            "-keyout", directory.path("server.key"), "-out", directory.path("server.csr"), "-subj", "/CN=localhost",
        ])
        try directory.write("server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        try await Peers.run(openssl, [
            "x509", "-req", "-in", directory.path("server.csr"), "-CA", directory.path("ca.crt"),
            "-CAkey", directory.path("ca.key"), "-CAcreateserial", "-out", directory.path("server.crt"), "-days", "2",
            "-extfile", directory.path("server.ext"),
        ])
        try await Peers.run(openssl, ["req"] + curve + [
            "-keyout", directory.path("client.key"), "-out", directory.path("client.csr"), "-subj", "/CN=vigil",
        ])
        try directory.write("client.ext", "extendedKeyUsage=clientAuth\n")
        try await Peers.run(openssl, [
            "x509", "-req", "-in", directory.path("client.csr"), "-CA", directory.path("ca.crt"),
            "-CAkey", directory.path("ca.key"), "-CAcreateserial", "-out", directory.path("client.crt"), "-days", "2",
            "-extfile", directory.path("client.ext"),
        ])
        try directory.write("name-only.ext", "subjectAltName=DNS:exporter.vigil.test\n")
        try await Peers.run(openssl, [
            "x509", "-req", "-in", directory.path("server.csr"), "-CA", directory.path("ca.crt"),
            "-CAkey", directory.path("ca.key"), "-CAcreateserial", "-out", directory.path("name-only.crt"), "-days", "2",
            "-extfile", directory.path("name-only.ext"),
        ])
        return TestCertificates(
            caFile: directory.path("ca.crt"), otherCAFile: directory.path("other-ca.crt"),
            serverCertFile: directory.path("server.crt"), serverKeyFile: directory.path("server.key"),
            clientCertFile: directory.path("client.crt"), clientKeyFile: directory.path("client.key"),
            nameOnlyCertFile: directory.path("name-only.crt"))
    }
}

/// A bcrypt hash of `password`, made by Python's `crypt` (libxcrypt), for the exporter's `basic_auth_users`.
func bcryptHash(_ password: String, python: String) async throws -> String {
    let script = "import warnings; warnings.simplefilter('ignore'); import crypt, sys; "
        + "print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))"
    return try await Peers.run(python, ["-c", script, password]).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A Debian daemon on a loopback port for the duration of one test, killed when the value goes away.
final class PeerProcess {
    let process = Process()

    init(_ path: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// An unused loopback port for a peer to listen on (see `TestPorts.unusedLoopbackPort`).
func freeLoopbackPort() throws -> Int { try unusedLoopbackPort() }

/// Retries `attempt` until it returns a value or `seconds` pass; no fixed sleeps stand in for synchronisation.
func pollUntil<T>(
    seconds: Double, sourceLocation: SourceLocation = #_sourceLocation, _ attempt: () async throws -> T?
) async throws -> T? {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if let value = try await attempt() { return value }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await attempt()
}
