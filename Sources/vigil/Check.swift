import ArgumentParser
import Foundation
import Rules
import Config
import Scraper

/// `vigil check`: validates rule and configuration files with promtool's output and exit codes.
///
/// The output matches `promtool check rules` / `promtool check config` line for line, so scripts and CI jobs written
/// for promtool work with Vigil: `Checking FILE` and the SUCCESS lines on standard output, `FAILED:` and the errors
/// on standard error, exit status 1 when anything failed.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check rule files or a configuration file, as promtool check does.",
        subcommands: [CheckRules.self, CheckConfig.self]
    )
}

/// `vigil check rules FILE…`.
struct CheckRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check that rule files are valid.",
        discussion: "Reports every problem of each file (YAML syntax, unknown fields, invalid PromQL, names, templates) with its line and column. Duplicate rules are a lint warning; --lint-fatal makes them fail with exit status 3."
    )

    @Argument(help: "The rule files to check.")
    var files: [String]

    @Option(help: "Linting checks to apply.")
    var lint: CheckOutput.Lint = .duplicateRules

    @Flag(help: "Make lint errors exit with status 3.")
    var lintFatal = false

    func run() async throws {
        var output = CheckOutput()
        for file in files { output.checkRuleFile(file, lint: lint, errorIndent: "") }
        try output.finish(lintFatal: lintFatal)
    }
}

/// CheckFailure is a problem `vigil check` finds beyond what loading reports, printed as it is.
struct CheckFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `vigil check config FILE…`: the configuration, then each rule file it names.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check that a configuration file is valid, including the rule files it lists."
    )

    @Argument(help: "The configuration files to check.")
    var files: [String]

    @Option(help: "Linting checks to apply to the rule files.")
    var lint: CheckOutput.Lint = .duplicateRules

    @Flag(help: "Make lint errors exit with status 3.")
    var lintFatal = false

    func run() async throws {
        var output = CheckOutput()
        for file in files {
            output.say("Checking \(file)")
            var ruleFiles: [String] = []
            do {
                let configuration = try loadConfiguration(file: URL(fileURLWithPath: file))
                try Self.checkCredentialsFiles(configuration)
                ruleFiles = try expandRuleFilePatterns(configuration.ruleFiles)
                if !ruleFiles.isEmpty { output.say("  SUCCESS: \(ruleFiles.count) rule files found") }
                output.say(" SUCCESS: \(file) is valid prometheus config file syntax")
            } catch let error as RuleErrors {
                // promtool stops at the first rule file pattern that names nothing.
                output.fail("  FAILED: " + (error.errors.first?.message ?? "\(error)"))
            } catch {
                output.fail("  FAILED: \(error)")
            }
            output.say("")
            for ruleFile in ruleFiles { output.checkRuleFile(ruleFile, lint: lint, errorIndent: "     ") }
        }
        try output.finish(lintFatal: lintFatal)
    }

    /// promtool's extra check beyond loading: each scrape job's credentials or bearer token file must exist.
    static func checkCredentialsFiles(_ configuration: PrometheusConfiguration) throws(CheckFailure) {
        for job in configuration.scrapeConfigs {
            guard let path = job.httpClient.authorization?.credentialsFile, !path.isEmpty else { continue }
            if !FileManager.default.fileExists(atPath: path) {
                throw CheckFailure(
                    "error checking authorization credentials or bearer token file \"\(path)\": stat \(path): no such file or directory")
            }
        }
    }
}

/// CheckOutput prints promtool's report and remembers whether anything failed.
struct CheckOutput {
    /// Lint selects promtool's optional checks.
    enum Lint: String, ExpressibleByArgument, CaseIterable {
        case all
        case duplicateRules = "duplicate-rules"
        case none
    }

    private var failed = false
    private var lintFailed = false

    /// Checks one rule file; `errorIndent` is promtool's prefix for errors (`check config` indents them).
    mutating func checkRuleFile(_ path: String, lint: Lint, errorIndent: String) {
        say("Checking \(path)")
        do {
            let ruleFile = try RuleFile(contentsOf: path)
            if lint != .none, let report = ruleFile.duplicateRulesReport {
                fail("  FAILED:\n\(errorIndent)lint error \(report)", isLint: true)
            } else {
                say("  SUCCESS: \(ruleFile.ruleCount) rules found")
            }
        } catch {
            fail("  FAILED:\n" + error.promtoolEntries.map { errorIndent + $0 }.joined(separator: "\n"))
        }
        say("")
    }

    /// Prints to standard output, unbuffered like standard error so the two interleave in order.
    func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Prints to standard error and records the failure.
    mutating func fail(_ text: String, isLint: Bool = false) {
        if isLint { lintFailed = true } else { failed = true }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Exits 1 when a check failed, 3 when only lint failed and lint is fatal, as promtool does.
    func finish(lintFatal: Bool) throws {
        if failed { throw ExitCode(1) }
        if lintFailed && lintFatal { throw ExitCode(3) }
    }
}
