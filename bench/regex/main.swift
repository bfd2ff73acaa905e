// RE2 (through GoRegex) against Swift `Regex` on selector-shaped patterns over label-shaped values.
// Built by bench/regex.sh together with Sources/Model into one optimised executable.
import Foundation
import Model

/// Values shaped like label values a selector scans: paths, job names, instance addresses.
let values: [String] = (0..<2_000).map { index in
    switch index % 4 {
    case 0: "/api/v1/query_range/\(index)"
    case 1: "prefix-service-\(index)"
    case 2: "10.0.\(index % 256).\(index % 7):9100"
    default: "job-foo-\(index)-bar"
    }
}
let patterns = ["a|b|c", "prefix-service-1|prefix-service-5|job-foo-3-bar", ".*foo.*", "prefix.+", "(api|db)-[0-9]+", "10\\.0\\..*:9100"]
let rounds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 200

func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}

/// Times `rounds` passes over every value; returns nanoseconds per match call and the match count of one pass.
func measure(_ matches: (String) -> Bool) -> (Double, Int) {
    var count = 0
    let elapsed = ContinuousClock().measure {
        for _ in 0..<rounds { for value in values where matches(value) { count += 1 } }
    }
    return (nanoseconds(elapsed) / Double(rounds * values.count), count / rounds)
}

print("pattern                                         GoRegex   RE2 alone   Swift Regex   (ns per anchored match; \(values.count) values x \(rounds))")
var disagreements = 0
for pattern in patterns {
    let goRegex = try GoRegex(anchored: pattern)
    // The same language with an extra group, which defeats GoRegex's literal shortcuts: RE2 itself.
    let re2Alone = try GoRegex(anchored: "(?:" + pattern + ")")
    let swiftRegex = try Regex("^(?:" + pattern + ")$").matchingSemantics(.unicodeScalar)
    let (fast, fastCount) = measure { goRegex.matches($0) }
    let (engine, engineCount) = measure { re2Alone.matches($0) }
    let (swift, swiftCount) = measure { (try? swiftRegex.wholeMatch(in: $0)) != nil }
    if fastCount != swiftCount || engineCount != swiftCount { disagreements += 1 }
    print(pattern.padding(toLength: 46, withPad: " ", startingAt: 0)
          + String(format: "%9.1f %11.1f %13.1f   (%d match)", fast, engine, swift, swiftCount))
}
if disagreements > 0 {
    print("engines disagreed on \(disagreements) patterns")
    exit(1)
}
