import Foundation
import PromQL
import TSDB
import Testing

/// ConformanceTests runs Prometheus 2.42's engine test scripts against both stores.
///
/// Blocks that are known to fail are listed in `Fixtures/known-failures.tsv` with a reason.
/// The suite fails when a block outside the list fails, and also when a listed block
/// passes, so the list can only shrink.
@Suite struct ConformanceTests {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    /// KnownFailure identifies an eval block by file name and the line of its `eval` command.
    struct KnownFailure: Hashable {
        var file: String
        var line: Int
    }

    static func knownFailures() throws -> [KnownFailure: String] {
        let text = try String(contentsOf: fixtures.appendingPathComponent("known-failures.tsv"), encoding: .utf8)
        var entries: [KnownFailure: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("file\t") {
            let columns = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard columns.count >= 2, let number = Int(columns[1]) else { continue }
            entries[KnownFailure(file: String(columns[0]), line: number)] = columns.count > 2 ? String(columns[2]) : ""
        }
        return entries
    }

    static func scripts() throws -> [PromQLTestScript] {
        guard let directory = SharedConformance.folder("promql") else { return [] }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".test") }.sorted()
        return try files.map { file in
            try PromQLTestScript(source: String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8), name: file)
        }
    }

    @Test func scriptsHaveAllEvalBlocks() throws {
        guard SharedConformance.folder("promql") != nil else { return }
        let scripts = try Self.scripts()
        #expect(scripts.count == 11)
        let evals = scripts.flatMap(\.commands).filter { if case .eval = $0 { true } else { false } }
        #expect(evals.count == 566)
    }

    @Test func prometheusScriptsPassOnBothStores() async throws {
        let known = try Self.knownFailures()
        let scripts = try Self.scripts()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let runner = PromQLTestRunner()
        var totalPassed = 0, totalFailed = 0
        var unexpectedFailures: [String] = []
        var unexpectedPasses: [String] = []
        for storage in [PromQLTestStorage.inMemory, .sqlite(directory: directory.path)] {
            for script in scripts {
                let report = await runner.run(script, storage: storage)
                print("\(script.name) [\(storage.name)]: \(report.passed) passed, \(report.failed) failed")
                totalPassed += report.passed
                totalFailed += report.failed
                for error in report.setupErrors { Issue.record("\(error)") }
                for result in report.results {
                    let isKnown = known[KnownFailure(file: script.name, line: result.line)] != nil
                    if !result.passed && !isKnown {
                        unexpectedFailures.append(
                            "\(script.name):\(result.line) [\(storage.name)]: \(result.expression)\n  \(result.message)")
                    } else if result.passed && isKnown {
                        unexpectedPasses.append("\(script.name):\(result.line) [\(storage.name)] passes; remove it from known-failures.tsv")
                    }
                }
            }
        }
        print("total: \(totalPassed) passed, \(totalFailed) failed")
        #expect(unexpectedFailures.isEmpty, "\(unexpectedFailures.joined(separator: "\n"))")
        #expect(unexpectedPasses.isEmpty, "\(unexpectedPasses.joined(separator: "\n"))")
    }
}
