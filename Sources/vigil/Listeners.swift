import API
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif
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
    func apiApplication(_ prediction: PredictionService, address: ListenAddress) throws -> ListenerService {
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
        let application = Application(router: router, server: try api.serverBuilder(),
                                      configuration: .init(address: .hostname(address.host, port: address.port), serverName: "vigil"),
                                      onServerRunning: { _ in markDescriptorsCloseOnExec() }, logger: Logger(label: "vigil.api"))
        return ListenerService(application, address: address, flag: "--api.listen-address")
    }

    /// The monitoring listener: its guard, the query gate, then the monitoring routes.
    func monitoringApplication(_ server: MonitoringServer, address: ListenAddress) throws -> ListenerService {
        let router = Router()
        router.add(middleware: web.middleware())
        router.add(middleware: QueryGateMiddleware(gate: queryGate))
        router.addRoutes(server.makeRoutes())
        let application = Application(router: router, server: try web.serverBuilder(),
                                      configuration: .init(address: .hostname(address.host, port: address.port), serverName: "vigil"),
                                      onServerRunning: { _ in markDescriptorsCloseOnExec() }, logger: Logger(label: "vigil.web"))
        return ListenerService(application, address: address, flag: "--web.listen-address")
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

/// ListenerService runs one HTTP listener and turns its failure to bind into a `ListenerError` that names the
/// address and the flag that sets it, so `serve` can say what to change instead of printing NIO's error.
struct ListenerService: Service {
    let application: any Service
    let address: ListenAddress
    let flag: String

    init(_ application: any Service, address: ListenAddress, flag: String) {
        self.application = application
        self.address = address
        self.flag = flag
    }

    func run() async throws {
        do {
            try await application.run()
        } catch let error as IOError {
            throw ListenerError(address: address, flag: flag, errno: error.errnoCode, cause: "\(error)")
        }
    }
}

/// A listener that could not open its address: in use, not permitted, or not an address of this machine.
struct ListenerError: Error, CustomStringConvertible {
    let address: ListenAddress
    let flag: String
    let errno: Int32
    let cause: String

    var description: String {
        switch errno {
        case EADDRINUSE:
            return "cannot listen on \(address): the address is already in use (another vigil serve?); stop that process or choose another address with \(flag)"
        case EACCES:
            return "cannot listen on \(address): permission denied (ports below 1024 need privileges); choose another address with \(flag)"
        case EADDRNOTAVAIL:
            return "cannot listen on \(address): not an address of this machine; choose another with \(flag)"
        default:
            return "cannot listen on \(address) (\(flag)): \(cause)"
        }
    }
}
