import ArgumentParser

@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "An ML prediction API that monitors itself like Prometheus does, in one binary.",
        version: VigilVersion.current,
        subcommands: [Serve.self, Query.self, Check.self, TestCommand.self, Backtest.self, Loadgen.self, Train.self, Predict.self, TSDBCommand.self, HashPassword.self]
    )
}

enum VigilVersion {
    static let current = "0.1.0"
}
