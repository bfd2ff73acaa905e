import Logging
import PromQL
import Synchronization
import Testing
import TSDB
@testable import Rules

/// A reload that lands while a group is being evaluated wins: the evaluation's stale copy never replaces it.
@Suite struct ReloadDuringEvaluationTests {
    static func file(_ expr: String) throws -> LoadedRuleFile {
        let yaml = """
            groups:
              - name: g
                rules:
                  - record: job:up:sum
                    expr: \(expr)
            """
        return LoadedRuleFile(path: "rules.yml", ruleFile: try RuleFile(yaml: yaml, file: "rules.yml"))
    }

    @Test func aReloadDuringEvaluationIsNotOverwrittenByTheOldRules() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let gate = Mutex<AsyncStream<Void>.Iterator?>(release.makeAsyncIterator())
        let query: QueryFunc = { _, _ in
            enteredContinuation.yield()
            // Wait until the test has reloaded; the iterator is taken so only the first evaluation waits.
            if var iterator = gate.withLock({ state -> AsyncStream<Void>.Iterator? in defer { state = nil }; return state }) {
                _ = await iterator.next()
            }
            return [(labels: Labels(), value: 1)]
        }
        let manager = RuleManager(store: TimeSeriesStore(), query: query, logger: logger)
        try await manager.load([try Self.file("vector(1)")])
        let key = try #require(await manager.snapshot().first?.key)

        let evaluation = Task { await manager.evaluate(key, at: 1_000_000) }
        var enteredIterator = entered.makeAsyncIterator()
        _ = await enteredIterator.next()
        try await manager.load([try Self.file("vector(2)")])
        releaseContinuation.yield()
        await evaluation.value

        let expr = try #require(await manager.snapshot().first?.rules.first?.spec.expr)
        #expect(expr.description == "vector(2)", "the reloaded rule stays loaded")
    }
}
