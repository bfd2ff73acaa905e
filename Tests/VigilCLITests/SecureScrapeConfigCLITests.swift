import Foundation
import Testing

/// A prometheus.yml with HTTPS, basic-auth and bearer-token jobs, checked by `vigil check config` and by Debian's
/// `promtool check config` (Prometheus 2.42): both accept it unchanged and reject the same mistakes.
@Suite struct SecureScrapeConfigCLITests {
    private static let promtool: String? = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    private static let configuration = """
        global:
          scrape_interval: 15s
        scrape_configs:
          - job_name: node-https
            scheme: https
            tls_config:
              ca_file: ca.crt
              server_name: node.internal
              min_version: TLS12
              insecure_skip_verify: false
            basic_auth:
              username: prometheus
              password_file: password.txt
            static_configs: [{targets: ['node:9100']}]
          - job_name: api-bearer
            bearer_token_file: token.txt
            follow_redirects: false
            enable_http2: false
            static_configs: [{targets: ['api:8080']}]
          - job_name: api-authorization
            scheme: https
            authorization:
              type: Bearer
              credentials: s3cr3t
            tls_config:
              insecure_skip_verify: true
            static_configs: [{targets: ['api:8443']}]
          - job_name: inline-basic
            basic_auth: {username: admin, password: hunter2}
            static_configs: [{targets: ['legacy:80']}]
        alerting:
          alertmanagers:
            - scheme: https
              basic_auth: {username: prometheus, password: am-secret}
              tls_config: {ca_file: ca.crt}
              static_configs: [{targets: ['alertmanager:9093']}]

        """

    private func directory(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-secure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    private func check(_ executable: String, in directory: URL) async throws -> CommandResult {
        try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["check", "config", "prometheus.yml"]
            process.currentDirectoryURL = directory
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CommandResult(
                status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                stderr: String(decoding: stderr, as: UTF8.self))
        }
    }

    /// Runs both checkers on `files`; nil (with an issue under CI) when promtool is missing.
    private func checkBoth(_ files: [String: String]) async throws -> (vigil: CommandResult, promtool: CommandResult)? {
        guard let promtool = Self.promtool else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("promtool is not installed (apt-get install prometheus)") }
            return nil
        }
        let dir = try directory(files)
        defer { try? FileManager.default.removeItem(at: dir) }
        return (try await check(vigilBinary.path, in: dir), try await check(promtool, in: dir))
    }

    private static let companions = ["ca.crt": "not read by check config\n", "password.txt": "pw\n", "token.txt": "tok\n"]

    @Test func bothAcceptTheSecureJobsUnchanged() async throws {
        guard let (vigil, promtool) = try await checkBoth(Self.companions.merging(["prometheus.yml": Self.configuration]) { $1 })
        else { return }
        #expect(promtool.status == 0, "promtool: \(promtool.stderr)")
        #expect(vigil.status == 0, "vigil: \(vigil.stderr)")
        #expect(vigil.stdout == promtool.stdout)
    }

    @Test(arguments: [
        ("bearer_token_file: token.txt", "bearer_token_file: token.txt\n    bearer_token: abc",
         "at most one of bearer_token & bearer_token_file must be configured"),
        ("    basic_auth: {username: admin, password: hunter2}",
         "    basic_auth: {username: admin, password: hunter2, password_file: password.txt}",
         "at most one of basic_auth password & password_file must be configured"),
        ("    basic_auth: {username: admin, password: hunter2}",
         "    basic_auth: {username: admin, password: hunter2}\n    authorization: {credentials: x}",
         "at most one of basic_auth, oauth2 & authorization must be configured"),
        ("      type: Bearer", "      type: basic", "authorization type cannot be set to \"basic\", use \"basic_auth\" instead"),
        ("      min_version: TLS12", "      min_version: TLS9", "unknown TLS version: TLS9"),
    ])
    func bothRejectTheSameMistake(original: String, replacement: String, message: String) async throws {
        let broken = Self.configuration.replacingOccurrences(of: original, with: replacement)
        #expect(broken != Self.configuration)
        guard let (vigil, promtool) = try await checkBoth(Self.companions.merging(["prometheus.yml": broken]) { $1 })
        else { return }
        #expect(promtool.status == 1 && promtool.stderr.contains(message), "promtool: \(promtool.stderr)")
        #expect(vigil.status == 1 && vigil.stderr.contains(message), "vigil: \(vigil.stderr)")
        #expect(vigil.stderr.contains("prometheus.yml:"), "Vigil's error carries a position: \(vigil.stderr)")
    }

    @Test func bothRejectAMissingBearerTokenFile() async throws {
        var files = Self.companions.merging(["prometheus.yml": Self.configuration]) { $1 }
        files["token.txt"] = nil
        guard let (vigil, promtool) = try await checkBoth(files) else { return }
        let message = "error checking authorization credentials or bearer token file"
        #expect(promtool.status == 1 && promtool.stderr.contains(message), "promtool: \(promtool.stderr)")
        #expect(vigil.status == 1 && vigil.stderr.contains(message), "vigil: \(vigil.stderr)")
        #expect(vigil.stderr.contains("token.txt\": stat "), "vigil: \(vigil.stderr)")
    }
}
