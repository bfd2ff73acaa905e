import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Testing

/// Runs a program to completion on its own thread, feeding it `input`; nil (and, under CI, a failure) when missing.
func runPeer(_ path: String, _ arguments: [String], input: String? = nil, directory: URL? = nil,
             environment: [String: String] = [:]) async throws -> CommandResult? {
    guard FileManager.default.isExecutableFile(atPath: path) else {
        if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("\(path) is not installed") }
        return nil
    }
    return try await onOwnThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// Whether Debian's peers for these tests are installed; outside CI their absence skips the tests.
let securityPeersInstalled = ["/usr/bin/openssl", "/usr/bin/prometheus", "/usr/bin/promtool"].allSatisfy {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// Records a failure under CI when a peer is missing, so a skipped test there is never a silent pass.
func requirePeersUnderCI() {
    if !securityPeersInstalled && ProcessInfo.processInfo.environment["CI"] == "true" {
        Issue.record("openssl, prometheus and promtool are needed (apt-get install -y openssl prometheus)")
    }
}

/// A test CA with a server certificate for 127.0.0.1 and a client certificate, made by Debian's openssl.
struct TestCertificates {
    let directory: URL
    var caCert: String { directory.appendingPathComponent("ca.crt").path }
    var serverCert: String { directory.appendingPathComponent("server.crt").path }
    var serverKey: String { directory.appendingPathComponent("server.key").path }
    var clientCert: String { directory.appendingPathComponent("client.crt").path }
    var clientKey: String { directory.appendingPathComponent("client.key").path }

    static func make(in directory: URL) async throws -> TestCertificates {
        let certificates = TestCertificates(directory: directory)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Data("subjectAltName=IP:127.0.0.1,DNS:localhost\n".utf8).write(to: directory.appendingPathComponent("server.ext"))
        try Data("extendedKeyUsage=clientAuth\n".utf8).write(to: directory.appendingPathComponent("client.ext"))
        let steps: [[String]] = [
            ["req", "-x509"] + ec + ["-days", "2", "-subj", "/CN=vigil test CA", "-keyout", "ca.key", "-out", "ca.crt"],
            ["req"] + ec + ["-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
             "-extfile", "server.ext", "-out", "server.crt"],
            ["req"] + ec + ["-subj", "/CN=vigil test client", "-keyout", "client.key", "-out", "client.csr"],
            ["x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
             "-extfile", "client.ext", "-out", "client.crt"],
        ]
        for step in steps {
            let result = try #require(try await runPeer("/usr/bin/openssl", step, directory: directory))
            try #require(result.status == 0, "openssl \(step.joined(separator: " ")): \(result.stderr)")
        }
        return certificates
    }

    /// An HTTPS client trusting the test CA, presenting the client certificate when asked to.
    func client(presentingCertificate: Bool = false) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caCert)
        if presentingCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCert).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKey, format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(20))
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

/// One HTTP(S) exchange's status, headers and body as text.
struct Exchange {
    var status: Int
    /// Header values by lower-cased name.
    var headers: [String: String]
    var body: String

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

extension HTTPClient {
    func exchange(_ url: String, post: Bool = false, user: String? = nil, password: String = "") async throws -> Exchange {
        var request = HTTPClientRequest(url: url)
        if post { request.method = .POST }
        if let user {
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        }
        let response = try await execute(request, timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 8 << 20)
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name.lowercased()] = value }
        return Exchange(status: Int(response.status.code), headers: headers, body: String(buffer: body))
    }
}

/// Polls `probe` until it returns true, failing with the last error after `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(60), _ probe: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    var lastError = ""
    while ContinuousClock.now < deadline {
        do {
            if try await probe() { return }
        } catch {
            lastError = "\(error)"
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw CLITestError("\(what) did not happen within \(timeout) (last error: \(lastError))")
}

/// The bcrypt hash `vigil hash-password` prints, at the lowest cost so the tests stay fast.
func hashPassword(_ password: String) async throws -> String {
    let result = try #require(try await runPeer(vigilBinary.path, ["hash-password", "--cost", "4"], input: password + "\n"))
    try #require(result.status == 0, "\(result.stderr)")
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}
