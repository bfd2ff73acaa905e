import Foundation
import Testing

/// The PromQL compliance tester's query list, and our own additions, against Debian's Prometheus on the same
/// backfilled data (`bench/compliance.py --quick`: one range and one instant query each; the script without
/// `--quick` adds a two-hour range at an unaligned step and a second instant): every answer must agree.
@Suite struct ComplianceDifferentialTests {
    static let queryList = Repository.root.appendingPathComponent("../shared/conformance/compliance/promql-test-queries.yml").standardizedFileURL

    @Test(.enabled(if: ComparisonPeers.shouldRun, "prometheus, promtool or python3 is not installed"), .timeLimit(.minutes(10)))
    func everyQueryAnswersAsPrometheusDoes() async throws {
        try ComparisonPeers.requireInstalled()
        guard FileManager.default.fileExists(atPath: Self.queryList.path) else {
            try ComparisonPeers.unavailable("no \(Self.queryList.path)")
        }
        // Niced, with both servers it starts: a thousand queries on a debug build must not starve the suite's
        // timing-sensitive tests (headless Chromium, kill tests) that run beside it.
        let result = try await runProgram("/usr/bin/nice", ["-n", "19", ComparisonPeers.python,
            Repository.root.appendingPathComponent("bench/compliance.py").path,
            "--quick", "--vigil", vigilBinary.path, "--shared", Self.queryList.deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL.path,
        ])
        print(result.stdout)
        let summary = try #require(result.stdout.split(separator: "\n").last { $0.hasPrefix("compliance: ") }, "\(result.stdout)\(result.stderr)")
        #expect(summary.contains(" 0 failed"), "\(result.stdout)")
        // The list holds over 500 queries once expanded; far fewer means the harness lost some.
        let passed = Int(summary.dropFirst("compliance: ".count).prefix { $0.isNumber }) ?? 0
        #expect(passed > 500, "\(summary)")
        #expect(result.status == 0, "\(result.stderr)")
    }
}
