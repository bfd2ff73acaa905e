import Foundation
import Rules
import Testing

/// RuleTestConformanceTests checks `test rules` against promtool 2.42's recorded verdicts and output.
@Suite(.serialized) struct RuleTestConformanceTests {
    static let directory = SharedConformance.directory.appendingPathComponent("promtool").path
    static let cases = ["at-modifier-test", "bad-input-series", "bad-promql", "bad-rules-error-test", "bad-rules-syntax-test",
                        "failing", "long-period", "negative-offset-test", "unittest"]

    /// Known differences from promtool, by fixture: the stream whose bytes may differ.
    static func knownDifferences() throws -> [String: String] {
        let text = try String(contentsOfFile: Fixtures.path("promtool-known-differences.tsv"), encoding: .utf8)
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t")
            if fields.count >= 2 { out[String(fields[0])] = String(fields[1]) }
        }
        return out
    }

    @Test(arguments: cases)
    func matchesPromtool(_ name: String) async throws {
        guard SharedConformance.folder("promtool") != nil else { return }
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(Self.directory)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        let result = await RuleTestRunner().test(file: name + ".yml")
        let report = RuleTestReport(results: [result])
        let expectedOut = try String(contentsOfFile: Self.directory + "/expected-output-promtool-2.42/\(name).stdout", encoding: .utf8)
        let expectedErr = try String(contentsOfFile: Self.directory + "/expected-output-promtool-2.42/\(name).stderr", encoding: .utf8)
        #expect(report.exitCode == (expectedErr.contains("FAILED") ? 1 : 0))
        #expect(report.stdout == expectedOut)
        if try Self.knownDifferences()[name] != "stderr" {
            #expect(report.stderr == expectedErr)
        } else {
            #expect(report.stderr.hasPrefix("  FAILED:\n"))
        }
    }

    @Test(arguments: ["config/alerts_test.yml", "config/alerts_model_test.yml"])
    func alertsTestPassesUnderVigilAndPromtool(path: String) async throws {
        let file = Repository.path(path)
        let result = await RuleTestRunner().test(file: file)
        #expect(result.passed, "\(result.errors.map(\.message))")
        guard Promtool.shouldRun else { return }
        guard let promtool = try await Promtool.run(["test", "rules", file]) else { return }
        #expect(promtool.status == 0, "\(promtool.stderr)")
    }
}
