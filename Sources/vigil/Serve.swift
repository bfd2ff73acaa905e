import API
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `vigil serve`: runs the prediction API until SIGINT or SIGTERM, draining requests in flight.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the prediction API with its metrics.",
        discussion: "Every flag can also be set by an environment variable: --model.path by VIGIL_MODEL_PATH, and so on. SIGHUP reloads the model."
    )

    @Option(name: .customLong("api.listen-address"), help: "Address the prediction API listens on. Env VIGIL_API_LISTEN_ADDRESS.")
    var apiListenAddress: String = Env.value("api.listen-address", default: "127.0.0.1:8002")

    @Option(name: .customLong("model.path"), help: "Model artifact written by `vigil train`. Env VIGIL_MODEL_PATH.")
    var modelPath: String = Env.value("model.path", default: "models/diabetes-logreg.json")

    @Option(name: .customLong("api.body-size-limit"), help: "Largest request body in bytes; larger ones get 413. Env VIGIL_API_BODY_SIZE_LIMIT.")
    var bodySizeLimit: Int = Int(Env.value("api.body-size-limit", default: "1048576")) ?? 1_048_576

    @Option(name: .customLong("api.container-name"), help: "The name label of the container_* metrics. Env VIGIL_API_CONTAINER_NAME.")
    var containerName: String = Env.value("api.container-name", default: "ml-api")

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard ListenAddress(apiListenAddress) != nil else {
            throw ValidationError("--api.listen-address must be HOST:PORT, got \(apiListenAddress)")
        }
        guard bodySizeLimit > 0 else { throw ValidationError("--api.body-size-limit must be positive") }
    }

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "vigil")
        let address = ListenAddress(apiListenAddress)!
        let configuration = APIConfiguration(
            host: address.host, port: address.port, modelPath: URL(fileURLWithPath: modelPath),
            bodySizeLimit: bodySizeLimit, containerName: containerName
        )
        let service = PredictionService(configuration: configuration, logger: Logger(label: "vigil.api"))
        service.store.reload()
        let api = service.makeApplication()
        let reloader = SignalReloadService(store: service.store, logger: logger)
        logger.info("starting", metadata: ["version": .string(VigilVersion.current), "api.listen_address": .string(address.description)])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: api), .init(service: reloader)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.info("stopped")
    }
}

/// Reloads the model whenever the process receives SIGHUP, as Prometheus reloads its configuration.
struct SignalReloadService: Service {
    let store: ModelStore
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.info("SIGHUP received, reloading model")
            store.reload()
        }
    }
}
