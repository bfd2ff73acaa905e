import PromQL
import TSDB
import Testing

/// Queries an attacker would send: huge, deeply nested, or built to make a regex backtrack. Each must get an
/// answer (a result or Prometheus's error) within the query timeout, never a trap or a hang.
@Suite struct HostileQueryTests {
    static let oneMiB = 1 << 20

    @Test func tenThousandParenthesesAreAParseError() throws {
        let query = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        #expect(throws: PromQLParseError.self) { try parseExpr(query) }
    }

    @Test func oneMiBChainIsAParseErrorNotAStackOverflow() throws {
        let term = "up + "
        let query = String(repeating: term, count: Self.oneMiB / term.utf8.count) + "up"
        #expect(query.utf8.count >= Self.oneMiB)
        do {
            _ = try parseExpr(query)
            Issue.record("a 1 MiB chain of additions parsed")
        } catch {
            #expect(error.message.contains("nested too deeply"))
        }
    }

    @Test func oneMiBLabelValueIsAnswered() async throws {
        let fixture = try await EngineFixture("load 10s\n  up{job=\"api\"} 1x10")
        let query = "up{job=\"" + String(repeating: "a", count: Self.oneMiB) + "\"}"
        #expect(try await fixture.values(query, at: 50).isEmpty)
    }

    @Test func oneMiBOfBlanksAroundAQueryIsAnswered() async throws {
        let fixture = try await EngineFixture("load 10s\n  up{job=\"api\"} 1x10")
        let blanks = String(repeating: " \n\t", count: Self.oneMiB / 3)
        #expect(try await fixture.value(blanks + "sum(up)" + blanks, at: 50) == 1)
    }

    /// RE2 matches in linear time, so a pattern that backtracking engines take minutes on is answered at once.
    @Test func backtrackingRegexAgainstALongValueIsAnswered() async throws {
        let value = String(repeating: "a", count: 4096)
        let fixture = try await EngineFixture("load 10s\n  up{a=\"\(value)\"} 1x10", options: QueryOptions(timeout: .seconds(120)))
        #expect(try await fixture.values(#"{a=~"(a+)+b"}"#, at: 50).isEmpty)
        #expect(try await fixture.values(#"{a=~"(.*.*)*a"}"#, at: 50).values.map { $0 } == [1])
    }
}

/// Label values of test-script series are read without the PromQL lexer, so their escapes are checked when unquoted.
@Suite struct SeriesEscapeTests {
    @Test(arguments: [#"\x"#, #"\x4"#, #"\u12"#, #"\U0011ffff"#, #"\777"#, #"\q"#, #"\"#, #"\ud800"#])
    func malformedEscapeInASeriesIsAnErrorNotATrap(_ escape: String) {
        let source = "load 1m\n  x{a=\"\(escape)\"} 1"
        #expect(throws: (any Error).self) { try PromQLTestScript(source: source, name: "escapes") }
    }

    @Test func validEscapesAreDecoded() throws {
        let script = try PromQLTestScript(source: #"load 1m"# + "\n  " + #"x{a="\x41\u00e9\101\n\"", b='\''} 1"#, name: "escapes")
        guard case .load(let load) = script.commands.first else {
            Issue.record("expected a load command")
            return
        }
        let labels = load.series.first?.labels
        #expect(labels?.first { $0.name == "a" }?.value == "A\u{E9}A\n\"")
        #expect(labels?.first { $0.name == "b" }?.value == "'")
    }
}

/// Test-script loads whose timestamps would pass Int64 milliseconds (`vigil test rules` reads them too).
@Suite struct LoadOverflowTests {
    @Test func longIntervalTimesManyValuesIsAnErrorNotATrap() {
        // 290 years is about 9.1e12 ms; the 1,100,000th value lies past Int64.max ms.
        let source = "load 290y\n  x 0+0x1100000"
        do {
            _ = try PromQLTestScript(source: source, name: "overflow")
            Issue.record("a load past the largest timestamp was accepted")
        } catch {
            #expect(error.message.contains("beyond the largest timestamp"))
        }
    }
}
