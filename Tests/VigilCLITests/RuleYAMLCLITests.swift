import Foundation
import Testing

/// `vigil check rules` and `vigil test rules` on files using YAML anchors, merge keys and unknown fields.
@Suite struct RuleYAMLCLITests {
    /// A fresh directory holding the given files.
    private func directory(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    /// promtool's path, when Debian's prometheus package is installed.
    private static let promtool: String? = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs a program in `directory` and returns its status and outputs.
    private func run(_ executable: String, _ arguments: [String], in directory: URL) async throws -> CommandResult {
        try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
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

    private static let rules = """
        groups:
          - name: g
            rules:
              - &page
                alert: Down
                expr: up == 0
                labels: &labels {severity: page, team: a}
                annotations: {summary: "{{ $labels.job }} down"}
              - <<: *page
                alert: DownForB
                labels: {<<: *labels, team: b}
        """

    @Test func testRulesRunsATestFileWrittenWithAnchors() async throws {
        let tests = """
            rule_files: [rules.yml]
            tests:
              - &base
                interval: 1m
                input_series:
                  - series: 'up{job="a"}'
                    values: 0x5
                alert_rule_test:
                  - eval_time: 2m
                    alertname: DownForB
                    exp_alerts:
                      - exp_labels: &expected {severity: page, team: b, job: a}
                        exp_annotations: {summary: a down}
              - <<: *base
                alert_rule_test:
                  - eval_time: 3m
                    alertname: Down
                    exp_alerts:
                      - exp_labels: {<<: *expected, team: a}
                        exp_annotations: {summary: a down}
            """
        let dir = try directory(["rules.yml": Self.rules, "tests.yml": tests])
        let result = try await run(vigilBinary.path, ["test", "rules", "tests.yml"], in: dir)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("SUCCESS"))
    }

    @Test(.enabled(if: promtool != nil, "promtool is not installed"))
    func checkRulesPrintsPromtoolsUnknownFieldErrors() async throws {
        let dir = try directory(["bad.yml": """
            groups:
              - name: g
                interval: 1m
                evaluation_interval: 1m
                rules:
                  - alert: A
                    expr: up == 0
                    anotations: {summary: x}
                    severity: page
            """])
        let vigil = try await run(vigilBinary.path, ["check", "rules", "bad.yml"], in: dir)
        let promtool = try await run(try #require(Self.promtool), ["check", "rules", "bad.yml"], in: dir)
        #expect(vigil.status == 1)
        #expect(vigil.status == promtool.status)
        #expect(vigil.stdout == promtool.stdout)
        #expect(vigil.stderr == promtool.stderr)
    }

    @Test(.enabled(if: promtool != nil, "promtool is not installed"))
    func testRulesPrintsPromtoolsUnknownFieldErrors() async throws {
        let dir = try directory(["rules.yml": Self.rules, "tests.yml": """
            rule_files: [rules.yml]
            evaluation_intervall: 1m
            tests:
              - interval: 1m
                input_series:
                  - series: up
                    value: 1x3
                alert_rule_test:
                  - eval_time: 1m
                    alert: Down
            """])
        let vigil = try await run(vigilBinary.path, ["test", "rules", "tests.yml"], in: dir)
        let promtool = try await run(try #require(Self.promtool), ["test", "rules", "tests.yml"], in: dir)
        #expect(vigil.status == 1)
        #expect(vigil.status == promtool.status)
        #expect(vigil.stdout == promtool.stdout)
        #expect(vigil.stderr == promtool.stderr)
    }

    @Test(.enabled(if: promtool != nil, "promtool is not installed"))
    func testRulesPrintsPromtoolsErrorsForARuleFileWithUnknownFields() async throws {
        let dir = try directory([
            "rules.yml": "groups:\n  - name: a\n    owner: x\n    rules: []\n  - name: b\n    team: y\n    rules: []\n",
            "tests.yml": "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n",
        ])
        let vigil = try await run(vigilBinary.path, ["test", "rules", "tests.yml"], in: dir)
        let promtool = try await run(try #require(Self.promtool), ["test", "rules", "tests.yml"], in: dir)
        #expect(vigil.status == 1)
        #expect(vigil.status == promtool.status)
        #expect(vigil.stdout == promtool.stdout)
        #expect(vigil.stderr == promtool.stderr)
    }
}
