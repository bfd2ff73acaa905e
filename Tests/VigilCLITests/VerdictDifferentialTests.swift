import Foundation
import Testing

/// Mutated rule files and configurations through `promtool check` and `vigil check`: the verdicts agree, or the
/// disagreement is one `bench/verdicts.py` lists with its reason.
@Suite struct VerdictDifferentialTests {
    static let promtoolAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")
    static let sharedAvailable = FileManager.default.fileExists(
        atPath: Repository.root.appendingPathComponent("../shared/conformance/external").standardizedFileURL.path)

    @Test(.enabled(if: ProcessInfo.processInfo.environment["CI"] == "true" || (promtoolAvailable && sharedAvailable),
                   "needs Debian's promtool and ../shared/conformance/external"))
    func mutatedFilesGetPromtoolsVerdict() async throws {
        let result = try await runProgram("/usr/bin/env", ["python3", Repository.root.appendingPathComponent("bench/verdicts.py").path,
                                                           "--seed", "5", "--count", "40", "--vigil", vigilBinary.path])
        print(result.stdout.split(separator: "\n").filter { !$0.hasPrefix("  ") }.joined(separator: "\n"))
        #expect(result.stdout.contains(" agree, "), "\(result.stdout)")
        #expect(result.status == 0, "\(result.stdout)")
    }
}
