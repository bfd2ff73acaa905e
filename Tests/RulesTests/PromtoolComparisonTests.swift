import Foundation
import Rules
import Testing

/// Vigil and promtool 2.42 must agree on which rule files are valid, and mostly on what is wrong with them.
///
/// Vigil adds positions where promtool has none and reports one position where promtool prints two, so messages
/// are compared with all `LINE:COL: ` prefixes removed. Fixtures marked `# promtool: verdict` only need promtool
/// to reject them too (their messages differ by design: YAML errors are promtool's own); fixtures marked
/// `# promtool: exact` must print promtool's error text byte for byte, as unknown-field lists do.
struct PromtoolComparisonTests {
    /// A message without its file name and its `LINE:COL: ` positions.
    static func normalized(_ line: some StringProtocol, file: String) -> String {
        var text = String(line)
        if text.hasPrefix(file + ": ") { text.removeFirst(file.count + 2) }
        while let range = text.range(of: #"^\d+:\d+: "#, options: .regularExpression) { text.removeSubrange(range) }
        return text
    }

    @Test(.enabled(if: Promtool.shouldRun, "promtool is not installed"))
    func goodFileIsAcceptedByBoth() async throws {
        let directory = Fixtures.path("rules")
        guard let result = try await Promtool.run(["check", "rules", "good.yml"], in: directory) else { return }
        let file = try RuleFile(contentsOf: Fixtures.path("rules/good.yml"))
        #expect(result.status == 0)
        #expect(result.stdout == "Checking good.yml\n  SUCCESS: \(file.ruleCount) rules found\n\n")
    }

    @Test("bad fixtures are rejected by both", .enabled(if: Promtool.shouldRun, "promtool is not installed"),
          arguments: RuleFileTests.badFixtures)
    func badFixtureIsRejectedByBoth(_ name: String) async throws {
        guard let result = try await Promtool.run(["check", "rules", name], in: Fixtures.path("rules")) else { return }
        #expect(result.status == 1)
        let text = try Fixtures.text("rules/\(name)")
        let mode = text.split(separator: "\n").first { $0.hasPrefix("# promtool: ") }?.dropFirst("# promtool: ".count)
        #expect(mode == "same" || mode == "verdict" || mode == "exact", "fixture needs a # promtool: line")
        if mode == "exact" {
            var expected = result.stderr
            if expected.hasPrefix("  FAILED:\n") { expected.removeFirst("  FAILED:\n".count) }
            while expected.hasSuffix("\n") { expected.removeLast() }
            do {
                _ = try RuleFile(yaml: text, file: name)
                Issue.record("Vigil accepted \(name)")
            } catch {
                #expect(error.promtoolDescription == expected)
            }
            return
        }
        guard mode == "same" else { return }
        let theirs = result.stderr.split(separator: "\n").filter { $0.hasPrefix(name + ": ") }.map { Self.normalized($0, file: name) }
        do {
            _ = try RuleFile(yaml: text, file: name)
            Issue.record("Vigil accepted \(name)")
        } catch {
            let ours = error.errors.map { Self.normalized($0.description, file: name) }
            // promtool's order within a rule follows Go map iteration, so compare as multisets.
            #expect(ours.sorted() == theirs.sorted())
        }
    }
}
