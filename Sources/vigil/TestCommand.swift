import ArgumentParser

/// `vigil test`: offline tests, as promtool's `test` commands run them.
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run offline tests: PromQL engine test scripts.",
        subcommands: [TestPromQL.self]
    )
}
