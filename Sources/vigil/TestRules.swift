import ArgumentParser
import Foundation
import Model
import Rules

/// TestRules runs promtool-compatible rule unit tests (`promtool test rules`).
struct TestRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Run rule unit tests in promtool's format against Vigil's rule evaluator.",
        discussion: """
            Prints the same report as `promtool test rules` (2.42): `SUCCESS` on standard output, or \
            `FAILED:` and each failure on standard error. Exits with status 1 when any test fails. On a terminal, \
            the lines of `exp:` and `got:` that differ are red and green; piped output is byte-identical to \
            promtool's. --coverage then lists the rules no test exercised: alerting rules no alert_rule_test names, \
            and recording rules whose metric no promql_expr_test selects.
            """
    )

    @Argument(help: "Unit test files.")
    var files: [String] = []

    @Option(help: "Also write the results as JUnit XML to this file.")
    var junit: String?

    @Option(help: "Run only test groups whose name matches this regular expression.")
    var run: String?

    @Flag(help: "After the run, list the alerting and recording rules no test exercised, and a coverage summary.")
    var coverage = false

    @Option(name: .customLong("fail-under"), help: ArgumentHelp(
        "Exit with status 1 when rule coverage is below this percentage; implies --coverage.", valueName: "percent"))
    var failUnder: Double?

    @Option(help: ArgumentHelp(
        "Colour the differences between expected and got: auto (when output is a terminal), always or never.",
        valueName: "when"))
    var color: String = ColorMode.auto.rawValue

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one test file.") }
        if let run {
            do { _ = try GoRegex(unanchored: run) } catch { throw ValidationError("--run is not a valid regular expression: \(error)") }
        }
        if ColorMode(rawValue: color) == nil { throw ValidationError("--color must be auto, always or never, not \"\(color)\".") }
        if let failUnder, !(0...100).contains(failUnder) { throw ValidationError("--fail-under must be a percentage from 0 to 100.") }
    }

    func run() async throws {
        let measureCoverage = coverage || failUnder != nil
        let runner = RuleTestRunner(run: run, coverage: measureCoverage)
        let colored = ColorMode(rawValue: color)!.enabled(
            stdoutIsTerminal: isatty(1) != 0, stderrIsTerminal: isatty(2) != 0, environment: ProcessInfo.processInfo.environment)
        var results: [RuleTestFileResult] = []
        for file in files {
            let result = await runner.test(file: file)
            for chunk in RuleTestReport.chunks(for: result, color: colored) {
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
        var belowThreshold = false
        if measureCoverage {
            let total = RuleCoverage.merged(results.compactMap(\.coverage))
            FileHandle.standardOutput.write(Data(total.summary.utf8))
            if let failUnder, total.isBelow(failUnder) {
                FileHandle.standardError.write(Data(
                    "Rule coverage \(String(format: "%.1f", total.percent))% is below --fail-under \(String(format: "%g", failUnder))%\n".utf8))
                belowThreshold = true
            }
        }
        if !report.passed { throw ExitCode(report.exitCode) }
        if belowThreshold { throw ExitCode(1) }
    }
}
