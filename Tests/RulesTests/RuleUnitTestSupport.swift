import Foundation
import Rules
import Testing

/// RuleUnitTestFiles writes a rule file and a unit-test file of our own into a fresh directory and runs them.
struct RuleUnitTestFiles {
    let directory: URL

    init(rules: String, tests: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try rules.write(to: directory.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        try tests.write(to: directory.appendingPathComponent("tests.yml"), atomically: true, encoding: .utf8)
    }

    var testFile: String { directory.appendingPathComponent("tests.yml").path }

    /// Runs the tests with Vigil's runner; the report is what `vigil test rules` prints.
    func run() async -> RuleTestReport {
        RuleTestReport(results: [await RuleTestRunner().test(file: testFile)])
    }

    /// Runs the same file with promtool 2.42 when it is installed, for the verdict and output to compare with.
    func runPromtool(sourceLocation: SourceLocation = #_sourceLocation) async throws -> Promtool.Result? {
        guard Promtool.shouldRun else { return nil }
        return try await Promtool.run(["test", "rules", "tests.yml"], in: directory.path, sourceLocation: sourceLocation)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
