import Model
import PromQL
import Testing

/// The bare selectors the API's `match[]` and `match_target` take: a selector and nothing else.
@Suite struct MetricSelectorTests {
    @Test(arguments: [
        ("up", [#"__name__="up""#]),
        (#"up{job="a",path=~"/x.*"}"#, [#"job="a""#, #"path=~"/x.*""#, #"__name__="up""#]),
        (#"{city="東京"}"#, [#"city="東京""#]),
        // Keywords are metric names here, as at the start of an expression.
        ("sum", [#"__name__="sum""#]),
        (#"by{a!="b"}"#, [#"a!="b""#, #"__name__="by""#]),
        // Matchers that all accept the empty value parse; the API decides whether to refuse them.
        ("{}", []),
        (#"{a=~".*"}"#, [#"a=~".*""#]),
    ])
    func selectorsParseToTheirMatchers(input: String, matchers: [String]) throws {
        #expect(try parseMetricSelector(input).map(\.description) == matchers)
    }

    /// Anything after the selector is the first unexpected token, where an expression parser would say more.
    @Test(arguments: [
        ("sum(", #"1:4: parse error: unexpected "(""#),
        ("sum(up)", #"1:4: parse error: unexpected "(""#),
        ("rate(up[5m])", #"1:5: parse error: unexpected "(""#),
        ("up[5m]", #"1:3: parse error: unexpected "[""#),
        ("up offset 5m", "1:4: parse error: unexpected <offset>"),
        (#"up{a="b"} + 1"#, "1:11: parse error: unexpected <op:+>"),
        ("-up", "1:1: parse error: unexpected <op:->"),
        ("1", #"1:1: parse error: unexpected number "1""#),
        (#""str""#, #"1:1: parse error: unexpected string "\"str\"""#),
        ("foo bar", #"1:5: parse error: unexpected identifier "bar""#),
        ("", "1:1: parse error: unexpected end of input"),
        ("up{", "1:4: parse error: unexpected end of input inside braces"),
        (#"up{a=~"("}"#, "1:4: parse error: error parsing regexp: missing closing ): `^(?:()$`"),
    ])
    func trailingInputIsAnError(input: String, message: String) {
        #expect(throws: PromQLParseError.self) { try parseMetricSelector(input) }
        do {
            _ = try parseMetricSelector(input)
        } catch {
            #expect("\(error)" == message)
        }
    }
}
