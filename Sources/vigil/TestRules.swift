import ArgumentParser
import Foundation
import Rules

/// TestRules runs promtool-compatible rule unit tests (`promtool test rules`).
struct TestRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Run rule unit tests in promtool's format against Vigil's rule evaluator.",
        discussion: """
            Prints the same report as `promtool test rules` (2.42): `SUCCESS` on standard output, or \
            `FAILED:` and each failure on standard error. Exits with status 1 when any test fails.
            """
    )

    @Argument(help: "Unit test files.")
    var files: [String] = []

    @Option(help: "Also write the results as JUnit XML to this file.")
    var junit: String?

    @Option(help: "Run only test groups whose name matches this regular expression.")
    var run: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one test file.") }
        if let run {
            do { _ = try Regex(run) } catch { throw ValidationError("--run is not a valid regular expression: \(error)") }
        }
    }

    func run() async throws {
        let runner = RuleTestRunner(run: run)
        var results: [RuleTestFileResult] = []
        for file in files {
            let result = await runner.test(file: file)
            for chunk in RuleTestReport.chunks(for: result) {
                switch chunk {
                case .stdout(let text): FileHandle.standardOutput.write(Data(text.utf8))
                case .stderr(let text): FileHandle.standardError.write(Data(text.utf8))
                }
            }
            results.append(result)
        }
        let report = RuleTestReport(results: results)
        if let junit {
            try report.junitXML.write(toFile: junit, atomically: true, encoding: .utf8)
        }
        if !report.passed { throw ExitCode(report.exitCode) }
    }
}
