import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Reloads of broken, huge and mutated rule files always get an answer, keep the running rules, and leave the
/// server able to take the next good file.
@Suite struct HostileReloadTests {
    static let goodRules = """
        groups:
          - name: steady
            rules:
              - alert: AlwaysPending
                expr: vector(1)
                for: 1h
              - record: job:up:sum
                expr: sum by (job) (up)
        """

    func ruleGroupNames(_ server: ServerProcess) async throws -> [String] {
        let body = try await server.get("/api/v1/rules", web: true).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let groups = (json?["data"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
        return groups.compactMap { $0["name"] as? String }
    }

    func reload(_ server: ServerProcess) async throws -> (status: Int, body: String) {
        try await server.request("/-/reload", method: "POST", body: nil, web: true)
    }

    @Test func brokenHugeAndMutatedRuleFilesNeverStallReloads() async throws {
        let server = try ServerProcess(arguments: Self.reloadArguments, rules: Self.goodRules)
        try await server.waitUntilListening()
        let rulesPath = server.directory.appendingPathComponent("rules.yml")
        #expect(try await ruleGroupNames(server) == ["steady"])

        // 20,000 unknown keys: one linear pass finds them, the answer names the first, the old rules stay.
        var huge = "groups:\n  - name: huge\n    rules:\n      - record: r\n        expr: vector(1)\n"
        for key in 0..<20_000 { huge += "        unknown_\(key): \(key)\n" }
        try Data(huge.utf8).write(to: rulesPath)
        let refused = try await reload(server)
        #expect(refused.status == 500)
        #expect(refused.body.contains("rules.yml: 6:9: group \"huge\", rule 1, \"r\": field unknown_0 not found"), "\(refused.body.prefix(300))")
        #expect(try await ruleGroupNames(server) == ["steady"])

        // Seeded mutations of the good file: each reload answers, and a refused one changes nothing.
        var generator = SeededGenerator(seed: 42)
        let lines = Self.goodRules.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for round in 0..<30 {
            var mutated = lines
            let index = Int.random(in: 0..<mutated.count, using: &generator)
            switch round % 4 {
            case 0: mutated.remove(at: index)
            case 1: mutated[index] = " " + mutated[index]
            case 2: mutated.insert(String(repeating: "x", count: Int.random(in: 1...100_000, using: &generator)) + ": y", at: index)
            default:
                let line = mutated[index]
                let cut = line.isEmpty ? 0 : Int.random(in: 0..<line.count, using: &generator)
                mutated[index] = String(line.prefix(cut)) + ["{", "(", ":", "\"", "[", "*"][round % 6] + String(line.dropFirst(cut))
            }
            try Data(mutated.joined(separator: "\n").utf8).write(to: rulesPath)
            let answer = try await reload(server)
            #expect(answer.status == 200 || answer.status == 500, "round \(round): \(answer.status)")
            if answer.status == 500 {
                #expect(try await ruleGroupNames(server).count == 1, "round \(round): a refused reload changed the rules")
            }
        }

        try Data(Self.goodRules.utf8).write(to: rulesPath)
        #expect(try await reload(server).status == 200)
        #expect(try await ruleGroupNames(server) == ["steady"])
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    static let reloadArguments = ["--web.enable-lifecycle"]
}

/// A small deterministic generator (SplitMix64), so a failing mutation can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
