import Foundation
import Model
import Testing

/// RE2 (through GoRegex) against Swift `Regex` on selector-shaped patterns and label values; run by bench/regex.sh.
///
/// Off unless VIGIL_REGEX_BENCH is set, so the ordinary suite spends no CPU on it.
@Suite("Regex benchmark", .enabled(if: ProcessInfo.processInfo.environment["VIGIL_REGEX_BENCH"] != nil))
struct RegexBenchmark {
    /// Values shaped like label values a selector scans: paths, job names, instance addresses.
    static let values: [String] = (0..<2_000).map { index in
        switch index % 4 {
        case 0: "/api/v1/query_range/\(index)"
        case 1: "prefix-service-\(index)"
        case 2: "10.0.\(index % 256).\(index % 7):9100"
        default: "job-foo-\(index)-bar"
        }
    }

    static let patterns = ["a|b|c", ".*foo.*", "prefix.+", "(api|db)-[0-9]+", "10\\.0\\..*:9100"]

    @Test("both engines agree on every value; prints nanoseconds per match", arguments: patterns)
    func compare(pattern: String) throws {
        let rounds = Int(ProcessInfo.processInfo.environment["VIGIL_REGEX_BENCH_ROUNDS"] ?? "") ?? 200
        let re2 = try GoRegex(anchored: pattern)
        // The same language with an extra group, which defeats GoRegex's literal shortcuts: RE2 itself.
        let re2Engine = try GoRegex(anchored: "(?:" + pattern + ")")
        let swift = try Regex("^(?:" + pattern + ")$").matchingSemantics(.unicodeScalar)
        let expected = Self.values.filter { (try? swift.wholeMatch(in: $0)) != nil }.count
        #expect(Self.values.filter { re2.matches($0) }.count == expected)

        let clock = ContinuousClock()
        var re2Matches = 0, engineMatches = 0, swiftMatches = 0
        let re2Time = clock.measure {
            for _ in 0..<rounds { for value in Self.values where re2.matches(value) { re2Matches += 1 } }
        }
        let engineTime = clock.measure {
            for _ in 0..<rounds { for value in Self.values where re2Engine.matches(value) { engineMatches += 1 } }
        }
        let swiftTime = clock.measure {
            for _ in 0..<rounds { for value in Self.values where (try? swift.wholeMatch(in: value)) != nil { swiftMatches += 1 } }
        }
        #expect(re2Matches == swiftMatches && engineMatches == swiftMatches)
        let count = Double(rounds * Self.values.count)
        func nanoseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
        }
        let line = String(
            format: "regex-bench %-18@ GoRegex %7.1f ns/match   RE2 alone %7.1f ns/match   Swift Regex %8.1f ns/match   (%d of %d match)",
            pattern as NSString, nanoseconds(re2Time) / count, nanoseconds(engineTime) / count, nanoseconds(swiftTime) / count,
            expected, Self.values.count)
        print(line)
    }
}
