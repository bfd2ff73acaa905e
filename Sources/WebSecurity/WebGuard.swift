import Config
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// WebGuard is what stands in front of one listener: its web configuration (basic auth, headers, TLS), the
/// lifecycle gate, and the safe default headers of HTML pages.
///
/// The executable makes one per listener and adds its `middleware()` to the router before any route, so the same
/// rules hold for the monitoring listener and the prediction API. `reload(path:)` re-reads the file: users and
/// headers change for the next request, certificates for the next connection; a broken file keeps the old one.
public final class WebGuard: Sendable {
    /// Prometheus's answer to lifecycle requests when `--web.enable-lifecycle` is off.
    public static let lifecycleDisabledText = "Lifecycle API is not enabled.\n"
    /// The lifecycle endpoints; POST and PUT reach them, other methods get 405 as in Prometheus.
    /// `/-/demo` (the prediction API's demo fault injection) is Vigil's own and gated the same way.
    public static let lifecyclePaths: Set<String> = ["/-/reload", "/-/quit", "/-/demo"]
    /// The policy HTML pages get unless the web configuration sets its own: scripts only from this origin (the pages
    /// have no inline script), inline styles allowed (each page carries its stylesheet), nothing embedded elsewhere.
    public static let defaultContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"

    /// The file given (`--web.config.file`), or nil for an open listener.
    public let path: String?
    public let enableLifecycle: Bool
    /// TLS for the listener, fixed at start; nil serves plain HTTP.
    public let tls: ListenerTLS?
    public let verifier = BasicAuthVerifier()
    private let current: Mutex<WebConfiguration>
    private let logger: Logger

    /// Loads `path` (when given); a broken file is the caller's start-up error.
    public convenience init(path: String?, enableLifecycle: Bool, logger: Logger = Logger(label: "vigil.web-config")) throws(ConfigError) {
        let configuration = try path.map { path throws(ConfigError) in try WebConfiguration.load(path: path) } ?? .open
        self.init(configuration: configuration, path: path, enableLifecycle: enableLifecycle, logger: logger)
    }

    public init(configuration: WebConfiguration, path: String? = nil, enableLifecycle: Bool,
                logger: Logger = Logger(label: "vigil.web-config")) {
        self.path = path
        self.enableLifecycle = enableLifecycle
        self.logger = logger
        tls = configuration.tls.map { ListenerTLS(settings: $0, http2: configuration.http.http2) }
        current = Mutex(configuration)
    }

    public var configuration: WebConfiguration { current.withLock { $0 } }

    /// The Hummingbird server for the listener: plain HTTP/1.1, or TLS as configured.
    public func serverBuilder() throws -> HTTPServerBuilder {
        try tls?.serverBuilder() ?? .http1()
    }

    /// Re-reads the file; nil when it applied (or there is no file), otherwise the error, with the old settings kept.
    @discardableResult
    public func reload() -> ConfigError? {
        guard let path else { return nil }
        let reloaded: WebConfiguration
        do {
            reloaded = try WebConfiguration.load(path: path)
        } catch {
            logger.error("web configuration reload failed, keeping the running one", metadata: ["error": .string(error.description)])
            return error
        }
        if let tls {
            let waiting = tls.update(reloaded.tls, http2: reloaded.http.http2)
            if !waiting.isEmpty {
                logger.warning("web configuration changes that apply after a restart", metadata: [
                    "file": .string(path), "fields": .string(waiting.joined(separator: ", ")),
                ])
            }
        } else if reloaded.tls != nil {
            logger.warning("tls_server_config applies after a restart: the listener started without TLS", metadata: ["file": .string(path)])
        }
        current.withLock { $0 = reloaded }
        logger.info("web configuration reloaded", metadata: ["file": .string(path)])
        return nil
    }

    public func middleware<Context: RequestContext>(context: Context.Type = BasicRequestContext.self) -> WebGuardMiddleware<Context> {
        WebGuardMiddleware(guard: self)
    }
}

/// WebGuardMiddleware applies a `WebGuard` to each request: basic auth first (Prometheus protects every path,
/// `/-/healthy` and `/-/ready` included), then the lifecycle gate, then the route; the configured and default
/// headers go on every answer, refusals included.
public struct WebGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let `guard`: WebGuard

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let configuration = `guard`.configuration
        var response: Response
        if !configuration.basicAuthUsers.isEmpty, await !authorized(request, users: configuration.basicAuthUsers) {
            response = Self.text("Unauthorized\n", status: .unauthorized)
            response.headers[.wwwAuthenticate] = "Basic"
        } else if let refusal = lifecycleRefusal(request) {
            response = refusal
        } else {
            do {
                response = try await next(request, context)
            } catch let error as HTTPError where error.status == .notFound && error.body == nil {
                // No route took the path: answered as Go's HTTP server answers for Prometheus.
                response = Self.text("404 page not found\n", status: .notFound)
                response.headers[.xContentTypeOptions] = "nosniff"
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            }
        }
        Self.addHeaders(to: &response, configured: configuration.http.headers)
        return response
    }

    private func authorized(_ request: Request, users: [String: String]) async -> Bool {
        guard let header = request.headers[.authorization],
              let (user, password) = BasicAuthVerifier.credentials(fromAuthorization: header)
        else { return false }
        return await `guard`.verifier.verify(user: user, password: password, users: users)
    }

    /// 405 for a lifecycle path read with the wrong method, 403 when the lifecycle API is off, else nil.
    private func lifecycleRefusal(_ request: Request) -> Response? {
        guard WebGuard.lifecyclePaths.contains(request.uri.path) else { return nil }
        guard request.method == .post || request.method == .put else {
            return Self.text("Only POST or PUT requests allowed\n", status: .methodNotAllowed)
        }
        return `guard`.enableLifecycle ? nil : Self.text(WebGuard.lifecycleDisabledText, status: .forbidden)
    }

    /// The web configuration's headers on every answer; `nosniff` everywhere and a CSP on HTML unless configured.
    static func addHeaders(to response: inout Response, configured: [String: String]) {
        for (name, value) in configured {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        if response.headers[.xContentTypeOptions] == nil { response.headers[.xContentTypeOptions] = "nosniff" }
        if let type = response.headers[.contentType], isHTML(type), response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = WebGuard.defaultContentSecurityPolicy
        }
    }

    /// Whether a Content-Type is `text/html`, in any case, without lowercasing a copy on every answer.
    static func isHTML(_ contentType: String) -> Bool {
        let prefix = "text/html".utf8
        var bytes = contentType.utf8.makeIterator()
        for expected in prefix {
            guard let byte = bytes.next(), byte | 0x20 == expected | 0x20 else { return false }
        }
        return true
    }

    static func text(_ text: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
