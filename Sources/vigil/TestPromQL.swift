import ArgumentParser
import Foundation
import PromQL
import TSDB

/// TestPromQL runs Prometheus-format PromQL test scripts (`*.test`) against Vigil's engine.
struct TestPromQL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promql",
        abstract: "Run PromQL test scripts in Prometheus's format (load/eval/clear) against Vigil's engine.",
        discussion: """
            Each failing eval block is printed as `file:line: expression` followed by the expected \
            and the actual result. Exits with status 1 when any block fails.
            """
    )

    enum Storage: String, ExpressibleByArgument, CaseIterable {
        case memory, sqlite, both
    }

    @Argument(help: "Test script files.")
    var files: [String] = []

    @Option(help: "Where loaded series live: memory, sqlite (a temporary file, reopened after every load) or both.")
    var storage: Storage = .memory

    @Flag(help: "Skip the range-query cross-check Prometheus runs after every instant eval.")
    var noRangeCheck = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one .test file.") }
        for file in files where !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("No such file: \(file)")
        }
    }

    func run() async throws {
        var scripts: [PromQLTestScript] = []
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            do {
                scripts.append(try PromQLTestScript(source: text, name: file))
            } catch {
                print(error.description)
                throw ExitCode(1)
            }
        }
        var storages: [PromQLTestStorage] = []
        if storage != .sqlite { storages.append(.inMemory) }
        if storage != .memory { storages.append(.sqlite(directory: NSTemporaryDirectory())) }

        let runner = PromQLTestRunner(checkRangeMode: !noRangeCheck)
        var passed = 0
        var failed = 0
        for script in scripts {
            for backend in storages {
                let report = await runner.run(script, storage: backend)
                for error in report.setupErrors {
                    print(error)
                    failed += 1
                }
                for result in report.results where !result.passed {
                    print(Self.describe(result, storage: storages.count > 1 ? backend.name : nil))
                }
                passed += report.passed
                failed += report.failed
            }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }

    static func describe(_ result: PromQLTestResult, storage: String?) -> String {
        var lines = ["\(result.file):\(result.line): \(result.expression)" + (storage.map { " [\($0)]" } ?? "")]
        lines.append("  \(result.message)")
        lines.append("  expected:")
        lines += result.expected.split(separator: "\n").map { "    \($0)" }
        lines.append("  got:")
        lines += result.got.split(separator: "\n").map { "    \($0)" }
        return lines.joined(separator: "\n")
    }
}
