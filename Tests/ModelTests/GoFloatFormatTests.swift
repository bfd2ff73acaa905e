import Model
import Testing

@Suite("GoFloatFormat against recorded Go answers")
struct GoFloatFormatTests {
    @Test("shortest e, E, f, g and G layouts give strconv.FormatFloat's output", arguments: RecordedGoRegex.shared.floats)
    func formatsLikeGo(_ recorded: RecordedGoRegex.FloatFormats) {
        let value = recorded.value
        #expect(GoFloatFormat.shortest(value, format: "e") == recorded.e)
        #expect(GoFloatFormat.shortest(value, format: "E") == recorded.E)
        #expect(GoFloatFormat.shortest(value, format: "f") == recorded.f)
        #expect(GoFloatFormat.shortest(value, format: "g") == recorded.g)
        #expect(GoFloatFormat.shortest(value, format: "G") == recorded.G)
        #expect(GoFloatFormat.shortest(value, format: "g") == recorded.v)
    }

    @Test("the fixture covers zero signs, subnormals, the largest double and non-finite values")
    func fixtureCoversEdges() {
        let bits = Set(RecordedGoRegex.shared.floats.map(\.bits))
        for edge in ["0000000000000000", "8000000000000000", "0000000000000001", "7fefffffffffffff", "7ff0000000000000"] {
            #expect(bits.contains(edge))
        }
    }
}
