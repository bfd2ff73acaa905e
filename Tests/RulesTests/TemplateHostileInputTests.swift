import Rules
import Testing

/// Template inputs found or suggested by fuzzing: each once trapped or could allocate without bound.
struct TemplateHostileInputTests {
    static func expand(_ text: String) throws -> String {
        try AlertTemplate(text, alertName: "T").execute(AlertTemplate.data(labels: ["job": "api"], value: 1))
    }

    /// Go refuses widths and precisions over 1e6; a literal one that long consumes the rest of the format.
    @Test func hugeLiteralWidthIsNoVerbInsteadOfOverflow() throws {
        #expect(try Self.expand(#"{{ printf "%99999999999999999999d" 1 }}"#) == "%!(NOVERB)%!(EXTRA int=1)")
        #expect(try Self.expand(#"{{ printf "%.99999999999999999999f" 1.5 }}"#) == "%!(NOVERB)%!(EXTRA float64=1.5)")
    }

    @Test func extremeStarWidthIsBadWidthInsteadOfOverflow() throws {
        #expect(try Self.expand(#"{{ printf "%*d" -9223372036854775808 7 }}"#) == "%!(BADWIDTH)7")
        #expect(try Self.expand(#"{{ printf "%*d" 1000001 7 }}"#) == "%!(BADWIDTH)7")
        #expect(try Self.expand(#"{{ printf "%.*f" 1000001 7.5 }}"#) == "%!(BADPREC)7.500000")
    }

    @Test func widthAtGosLimitStillPads() throws {
        #expect(try Self.expand(#"{{ printf "%*d" 12 7 }}"#) == String(repeating: " ", count: 11) + "7")
    }
}
