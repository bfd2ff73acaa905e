import API
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import Synchronization
import Web
import WebSecurity

/// Listeners composes Vigil's two HTTP listeners from the modules' routes and the middleware this executable owns.
///
/// Each listener gets its `WebGuard` (basic auth, TLS, headers, the lifecycle gate) in front of every route, so
/// the prediction API and the monitoring listener follow the same rules; the monitoring listener also passes its
/// PromQL endpoints through the shared query gate.
struct Listeners: Sendable {
    let web: WebGuard
    let api: WebGuard
    let queryGate: QueryGate
    /// Starts a graceful shutdown, for `/-/quit` when the lifecycle API is on.
    let quit: @Sendable () -> Void

    /// The prediction API: its guard, `/-/quit`, then the API's own instrumented routes.
    func apiApplication(_ prediction: PredictionService, address: ListenAddress) throws -> some Service {
        let router = Router()
        router.add(middleware: api.middleware())
        let quit = self.quit
        for method in [HTTPRequest.Method.post, .put] {
            router.on("/-/quit", method: method) { _, _ in
                quit()
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: "Requesting termination... Goodbye!\n")))
            }
        }
        prediction.addRoutes(to: router)
        return Application(router: router, server: try api.serverBuilder(),
                           configuration: .init(address: .hostname(address.host, port: address.port), serverName: "vigil"),
                           onServerRunning: { _ in markDescriptorsCloseOnExec() }, logger: Logger(label: "vigil.api"))
    }

    /// The monitoring listener: its guard, the query gate, then the monitoring routes.
    func monitoringApplication(_ server: MonitoringServer, address: ListenAddress) throws -> some Service {
        let router = Router()
        router.add(middleware: web.middleware())
        router.add(middleware: QueryGateMiddleware(gate: queryGate))
        router.addRoutes(server.makeRoutes())
        return Application(router: router, server: try web.serverBuilder(),
                           configuration: .init(address: .hostname(address.host, port: address.port), serverName: "vigil"),
                           onServerRunning: { _ in markDescriptorsCloseOnExec() }, logger: Logger(label: "vigil.web"))
    }

    /// Re-reads both web configurations; the messages of those that failed (each keeps its running settings).
    func reload() -> [String] {
        var failures: [String] = []
        if let error = web.reload() { failures.append("web configuration: \(error.description)") }
        // The same file read for both listeners is reported once.
        if api !== web, let error = api.reload(), api.path != web.path {
            failures.append("API web configuration: \(error.description)")
        }
        return failures
    }
}

/// ShutdownTrigger lets a route stop the process the way SIGTERM does, once the service group exists.
final class ShutdownTrigger: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)

    func install(_ group: ServiceGroup) { self.group.withLock { $0 = group } }

    func trigger() {
        guard let group = group.withLock({ $0 }) else { return }
        Task { await group.triggerGracefulShutdown() }
    }
}
