import Model
import Testing

/// "café" with a precomposed é (NFC) and with e + combining acute (NFD): canonically equivalent, different bytes.
let cafeNFC = "caf\u{E9}"
let cafeNFD = "cafe\u{301}"

@Suite("Labels compare bytes, as Go compares strings")
struct LabelsTests {
    @Test("keys read back into the same labels, from arrays and from other byte collections")
    func keysRoundTrip() {
        let labels = Labels(["__name__": "up", "empty": "", "city": "café", "nfd": "cafe\u{301}"])
        #expect(Labels(key: labels.key) == labels)
        #expect(Labels(key: labels.key[...]) == labels)
        #expect(Labels(key: labels.key.dropLast()) == labels, "without the trailing separator")
        #expect(Labels(key: [UInt8]()) == Labels())
        #expect(Labels(key: [0xFF]) == nil, "one empty field is a name without a value")
        #expect(Labels(key: Array("a".utf8) + [0xFF, 0xFF]).map { Array($0) } == [Label("a", "")])
        #expect(Labels(key: Array("a".utf8) + [0xFF] + Array("b".utf8) + [0xFF] + Array("c".utf8)) == nil)
    }

    @Test("NFC and NFD spellings are equal as Swift Strings but different labels")
    func normalisationFormsStayDistinct() {
        #expect(cafeNFC == cafeNFD)  // Swift's canonical equivalence, which labels must not use
        let nfc: Labels = ["__name__": "m", "path": cafeNFC]
        let nfd: Labels = ["__name__": "m", "path": cafeNFD]
        #expect(nfc != nfd)
        #expect(Set([nfc, nfd]).count == 2)
        #expect([nfc: 1, nfd: 2].count == 2)
        #expect(nfc["path"]!.utf8.elementsEqual(cafeNFC.utf8))
        #expect(Label("path", cafeNFC) != Label("path", cafeNFD))
        #expect(ByteString(cafeNFC) != ByteString(cafeNFD))
    }

    @Test("ordering is by UTF-8 bytes, so every pair of distinct label sets is ordered")
    func orderingIsBytewise() {
        let nfc: Labels = ["path": cafeNFC]
        let nfd: Labels = ["path": cafeNFD]
        // "e" (0x65) sorts before "é" (0xC3 0xA9) bytewise.
        #expect(nfd < nfc)
        #expect(!(nfc < nfd))
        #expect([cafeNFC, cafeNFD, "cafe", "cafz"].sortedByBytes() == ["cafe", cafeNFD, "cafz", cafeNFC].map { $0 })
        #expect([cafeNFC, cafeNFD, cafeNFC].uniquedByBytes().count == 2)
    }

    @Test("a later pair of the same name wins, empty values are dropped, and names sort bytewise")
    func buildsSortedUniquePairs() {
        let labels = Labels([Label("b", "1"), Label("a", "x"), Label("b", "2"), Label("c", "")])
        #expect(labels.pairs == [Label("a", "x"), Label("b", "2")])
        #expect(labels["b"] == "2" && labels["c"] == nil)
        #expect(labels.setting("aa", to: "y").pairs.map(\.name) == ["a", "aa", "b"])
        #expect(labels.setting("a", to: "").pairs.map(\.name) == ["b"])
    }

    @Test("the equality matcher selects one normalisation form only")
    func matcherComparesBytes() throws {
        let equal = try Matcher(.equal, "path", cafeNFC)
        #expect(equal.matches(cafeNFC))
        #expect(!equal.matches(cafeNFD))
        let notEqual = try Matcher(.notEqual, "path", cafeNFC)
        #expect(notEqual.matches(cafeNFD))
        let regex = try Matcher(.regexMatch, "path", cafeNFC + "|x")
        #expect(regex.matches(cafeNFC) && !regex.matches(cafeNFD))
    }

    @Test("a bad regex matcher fails with Go's message for the anchored pattern")
    func matcherErrorsInGoWords() {
        #expect(throws: MatcherError.self) { try Matcher(.regexMatch, "a", "(abc") }
        do {
            _ = try Matcher(.regexNoMatch, "a", "(abc")
        } catch {
            #expect(error.message == "error parsing regexp: missing closing ): `^(?:(abc)$`")
        }
    }
}
