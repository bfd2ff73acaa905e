import Foundation
import FuzzTargets
import Testing

/// BoundedFuzzTests runs every fuzz harness over its seed corpus and a fixed-seed mutation stream, so the
/// suite catches a trap in any input surface without libFuzzer; `bench/fuzz.sh` does the long, guided runs.
@Suite struct BoundedFuzzTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let seeds = FuzzSeeds(
        repository: repository, shared: repository.deletingLastPathComponent().appendingPathComponent("shared"), limit: 120)
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Mutated inputs per target: fewer where one input costs more (a rule test runs a whole timeline).
    static let mutations: [String: Int] = ["rule-tests": 40, "promql-eval": 150, "config": 150, "rule-file": 150]
    /// VIGIL_FUZZ_MUTATIONS replaces every count above, for a longer local hunt without libFuzzer.
    static let mutationOverride = ProcessInfo.processInfo.environment["VIGIL_FUZZ_MUTATIONS"].flatMap { Int($0) }

    @Test(
        .enabled(if: seeds.hasSharedCorpus || isCI, "../shared/conformance is missing; seeds would be the repository's only"),
        arguments: FuzzTarget.all.map(\.name))
    func harnessReturnsOnSeedsAndMutations(_ name: String) async throws {
        if !Self.seeds.hasSharedCorpus { Issue.record("../shared/conformance is missing: the fuzz seed corpus needs it under CI") }
        let target = try #require(FuzzTarget.named(name))
        let corpus = Self.seeds.corpus(for: name)
        #expect(!corpus.isEmpty, "no seeds for \(name)")
        var accepted = 0
        var rejected = 0
        func record(_ input: [UInt8], _ verdict: FuzzVerdict) {
            switch verdict {
            case .accepted: accepted += 1
            case .rejected: rejected += 1
            case .skipped: break
            case .bug(let message): Issue.record("\(name) on \(String(decoding: input.prefix(300), as: UTF8.self).debugDescription): \(message)")
            }
        }
        for input in corpus { record(input, await target.run(input)) }
        var mutator = FuzzMutator(seed: UInt64(name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }.magnitude), dictionary: target.dictionary)
        for _ in 0..<(Self.mutationOverride ?? Self.mutations[name] ?? 300) {
            let input = mutator.mutate(corpus)
            record(input, await target.run(input))
        }
        // A harness that accepts nothing, or refuses nothing, is not reaching the surface it claims to test.
        #expect(accepted > 0, "\(name) accepted no input")
        #expect(rejected > 0, "\(name) rejected no input")
    }
}
