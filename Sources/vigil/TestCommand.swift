import ArgumentParser

/// `vigil test`: offline tests, as promtool's `test` commands run them.
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run offline tests: rule unit tests in promtool's format, PromQL engine test scripts.",
        subcommands: [TestRules.self, TestPromQL.self]
    )
}
