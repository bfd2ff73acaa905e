import Model
import Testing

@Suite("GoQuote against recorded Go answers")
struct GoQuoteTests {
    @Test("%q, %+q, %.3q and rune quoting give Go's strconv output", arguments: RecordedGoRegex.shared.quotes)
    func quotesLikeGo(_ recorded: RecordedGoRegex.Quote) throws {
        #expect(GoQuote.quote(recorded.text) == recorded.quote)
        #expect(GoQuote.quote(recorded.text, asciiOnly: true) == recorded.quoteASCII)
        #expect(GoQuote.quote(recorded.text, maxRunes: 3) == recorded.quote3)
        let last = try #require(recorded.text.unicodeScalars.last)
        #expect(GoQuote.quoteRune(last) == recorded.quoteRune)
    }

    @Test("the fixture covers control, format, separator and non-BMP characters")
    func fixtureCoversEscapes() {
        let quoted = RecordedGoRegex.shared.quotes.map(\.quote).joined()
        for escape in ["\\x00", "\\u200b", "\\u2028", "\\ufeff", "\\a", "\\v"] { #expect(quoted.contains(escape)) }
    }
}
