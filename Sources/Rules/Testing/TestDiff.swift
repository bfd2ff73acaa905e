/// TestDiff marks, in ANSI colour, the parts of a failed expectation that differ between expected and got.
///
/// The parts are lines of an alert listing or samples of a query result. A longest-common-subsequence match pairs
/// the parts both sides share; the rest is red on the `exp:` side and green on the `got:` side, as in a unified diff.
enum TestDiff {
    static let red = "\u{1B}[31m"
    static let green = "\u{1B}[32m"
    static let reset = "\u{1B}[0m"

    /// Both sides with every part that is not common to them wrapped in its colour.
    static func highlight(expected: [String], got: [String]) -> (expected: [String], got: [String]) {
        let (inExpected, inGot) = commonParts(expected, got)
        func paint(_ parts: [String], _ common: [Bool], _ colour: String) -> [String] {
            zip(parts, common).map { part, isCommon in isCommon || part.isEmpty ? part : colour + part + reset }
        }
        return (paint(expected, inExpected, red), paint(got, inGot, green))
    }

    /// Which parts of each side belong to one longest common subsequence of the two.
    static func commonParts(_ a: [String], _ b: [String]) -> ([Bool], [Bool]) {
        // Failure listings are short, so the quadratic table is fine.
        var lengths = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lengths[i][j] = a[i] == b[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var inA = Array(repeating: false, count: a.count)
        var inB = Array(repeating: false, count: b.count)
        var (i, j) = (0, 0)
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                inA[i] = true
                inB[j] = true
                i += 1
                j += 1
            } else if lengths[i + 1][j] >= lengths[i][j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return (inA, inB)
    }
}

/// FailureText is one failure of a test group, plain as promtool prints it and with the differences coloured.
struct FailureText: Sendable {
    var plain: String
    /// The same text with ANSI colours; nil when the failure has no expected-versus-got part.
    var colored: String?

    init(plain: String, colored: String?) {
        self.plain = plain
        self.colored = colored
    }

    init(_ plain: String) { self.init(plain: plain, colored: nil) }
}

/// ColorMode is `--color`: whether failures show their differences in colour.
public enum ColorMode: String, Sendable, CaseIterable {
    case auto, always, never

    /// Whether to colour, given whether standard output and standard error are terminals and the environment.
    ///
    /// `auto` colours only when both streams are terminals (failures go to standard error, the verdict to
    /// standard output), so piped or redirected output stays byte-identical to promtool's. It also honours
    /// `NO_COLOR` and `TERM=dumb`.
    public func enabled(stdoutIsTerminal: Bool, stderrIsTerminal: Bool, environment: [String: String] = [:]) -> Bool {
        switch self {
        case .always: true
        case .never: false
        case .auto:
            stdoutIsTerminal && stderrIsTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
        }
    }
}
