/// FuzzMutator derives new inputs from a corpus with a fixed seed, so a test run is the same every time.
///
/// It applies libFuzzer's simpler mutations (byte flips, insertions, deletions, repeats, dictionary tokens,
/// splices of another seed) one to four at a time. Coverage guidance is libFuzzer's job; this stream only
/// has to reach the obvious bad inputs within a bounded test.
public struct FuzzMutator: Sendable {
    private var state: UInt64
    private let dictionary: [[UInt8]]

    public init(seed: UInt64, dictionary: [String]) {
        state = seed
        self.dictionary = dictionary.map { Array($0.utf8) }
    }

    /// next is SplitMix64.
    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// below returns a number in `0..<bound`; `bound` must be positive.
    private mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// mutate returns a variant of one corpus entry, chosen at random.
    public mutating func mutate(_ corpus: [[UInt8]], maxLength: Int = 8192) -> [UInt8] {
        var input = corpus.isEmpty ? [] : corpus[below(corpus.count)]
        for _ in 0...below(4) { mutateOnce(&input, corpus: corpus) }
        if input.count > maxLength { input.removeSubrange(maxLength...) }
        return input
    }

    private mutating func mutateOnce(_ input: inout [UInt8], corpus: [[UInt8]]) {
        let position = below(input.count + 1)
        switch below(8) {
        case 0 where !input.isEmpty:
            input[below(input.count)] ^= UInt8(truncatingIfNeeded: 1 << below(8))
        case 1:
            input.insert(UInt8(truncatingIfNeeded: next()), at: position)
        case 2 where !input.isEmpty:
            let start = below(input.count)
            input.removeSubrange(start..<min(input.count, start + 1 + below(16)))
        case 3 where !input.isEmpty:
            // Repeat a short slice many times: deep nesting, long runs, huge numbers.
            let start = below(input.count)
            let slice = input[start..<min(input.count, start + 1 + below(8))]
            let copies = Array(repeatElement(slice, count: 1 + below(64)).joined())
            input.insert(contentsOf: copies, at: start)
        case 4...5 where !dictionary.isEmpty:
            input.insert(contentsOf: dictionary[below(dictionary.count)], at: position)
        case 6 where !dictionary.isEmpty && !input.isEmpty:
            // Replace a token-sized run with a dictionary entry.
            let start = below(input.count)
            input.replaceSubrange(start..<min(input.count, start + 1 + below(6)), with: dictionary[below(dictionary.count)])
        case 7 where corpus.count > 1:
            let other = corpus[below(corpus.count)]
            guard !other.isEmpty else { return }
            let start = below(other.count)
            input.insert(contentsOf: other[start..<min(other.count, start + 1 + below(64))], at: position)
        default:
            input.append(UInt8(ascii: "(") &+ UInt8(truncatingIfNeeded: below(3)))
        }
    }
}
