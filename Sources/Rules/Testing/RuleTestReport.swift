import Foundation

/// RuleTestFileResult is the outcome of one test file: its failures, formatted as promtool prints them.
public struct RuleTestFileResult: Sendable {
    /// RuleTestFailure is one failure and the test group it belongs to ("" for the file itself).
    public struct Failure: Sendable {
        public var test: String
        public var message: String
        /// `message` with the differences between expected and got in ANSI colour, when it has such a part.
        public var coloredMessage: String? = nil
    }

    public var file: String
    /// Names of the test groups that ran, for JUnit output.
    public var testNames: [String] = []
    /// Lines printed to standard error before the verdict, such as rule-file patterns that matched nothing.
    public var warnings: [String] = []
    public var errors: [Failure] = []
    /// Which rules the tests exercised, when the runner was asked to work it out and the rule files loaded.
    public var coverage: RuleCoverage?

    public init(file: String) { self.file = file }

    public var passed: Bool { errors.isEmpty }
}

/// RuleTestReport renders results of `test rules` exactly as promtool 2.42 does, and as JUnit XML.
public struct RuleTestReport: Sendable {
    public var results: [RuleTestFileResult]

    public init(results: [RuleTestFileResult]) { self.results = results }

    public var passed: Bool { results.allSatisfy(\.passed) }

    /// The process exit status promtool uses: 0 when every file passed, 1 otherwise.
    public var exitCode: Int32 { passed ? 0 : 1 }

    /// One output chunk and the stream it goes to, in the order promtool writes them.
    public enum Chunk: Sendable, Equatable {
        case stdout(String)
        case stderr(String)
    }

    /// The interleaved output of one file: a header, then `SUCCESS`, or `FAILED:` and each error on stderr with a
    /// blank line on stdout after each (promtool prints those with `fmt.Println`).
    ///
    /// With `color`, failures show their expected-versus-got differences in ANSI colour; without, the output is
    /// byte-identical to promtool's.
    public static func chunks(for result: RuleTestFileResult, color: Bool = false) -> [Chunk] {
        var chunks: [Chunk] = [.stdout("Unit Testing:  \(result.file)\n")]
        for warning in result.warnings { chunks.append(.stderr(warning + "\n")) }
        if result.passed {
            chunks.append(.stdout("  SUCCESS\n"))
        } else {
            chunks.append(.stderr("  FAILED:\n"))
            for error in result.errors {
                chunks.append(.stderr((color ? error.coloredMessage ?? error.message : error.message) + "\n"))
                chunks.append(.stdout("\n"))
            }
        }
        chunks.append(.stdout("\n"))
        return chunks
    }

    public var chunks: [Chunk] { results.flatMap { Self.chunks(for: $0) } }

    public var stdout: String {
        chunks.map { if case .stdout(let text) = $0 { text } else { "" } }.joined()
    }

    public var stderr: String {
        chunks.map { if case .stderr(let text) = $0 { text } else { "" } }.joined()
    }

    /// JUnit XML: one `testsuite` per file and one `testcase` per test group, failures as `failure` elements.
    public var junitXML: String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
        for result in results {
            var cases: [(name: String, failures: [String])] = result.testNames.map { ($0, []) }
            var fileFailures: [String] = []
            for error in result.errors {
                if let index = cases.firstIndex(where: { $0.name == error.test }), !error.test.isEmpty {
                    cases[index].failures.append(error.message)
                } else {
                    fileFailures.append(error.message)
                }
            }
            if !fileFailures.isEmpty { cases.insert(("", fileFailures), at: 0) }
            let failed = cases.filter { !$0.failures.isEmpty }.count
            out += "  <testsuite name=\"\(Self.escape(result.file))\" tests=\"\(cases.count)\" failures=\"\(failed)\">\n"
            for (index, testCase) in cases.enumerated() {
                let name = testCase.name.isEmpty ? "test \(index + 1)" : testCase.name
                if testCase.failures.isEmpty {
                    out += "    <testcase name=\"\(Self.escape(name))\"/>\n"
                } else {
                    let text = testCase.failures.joined(separator: "\n")
                    out += "    <testcase name=\"\(Self.escape(name))\">\n"
                    out += "      <failure message=\"\(Self.escape(testCase.failures[0].trimmingCharacters(in: .whitespaces).components(separatedBy: "\n")[0]))\">\(Self.escape(text))</failure>\n"
                    out += "    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
