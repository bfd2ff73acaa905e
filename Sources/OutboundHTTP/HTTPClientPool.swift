import AsyncHTTPClient
import Config
import Foundation
import NIOHTTP1
import NIOSSL
import Synchronization

/// OutboundHTTPError says why a request could not even be prepared: a credentials or TLS file that is missing,
/// unreadable or malformed. The scraper shows it as the target's `lastError`.
public struct OutboundHTTPError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// HTTPClientPool hands out AsyncHTTPClient clients and prepared requests that honour an `HTTPClientConfiguration`:
/// TLS material, credentials, redirects, HTTP/2 and the TLS server name.
///
/// Settings that AsyncHTTPClient takes per client (redirects, HTTP/2, the SNI name) get one client per distinct
/// combination, created on first use; TLS material and credentials go on each request, so jobs with different
/// certificates still share connections where their settings agree. Files are re-read as Prometheus re-reads them:
/// password and credentials files on every request, TLS files whenever their modification time or size changes.
public final class HTTPClientPool: Sendable {
    private struct ClientKey: Hashable {
        var followRedirects: Bool
        var enableHTTP2: Bool
        /// The TLS server name and the host really connected to, when `server_name` differs from the URL's host.
        var serverNameOverride: [String: String]
    }

    private let base: HTTPClient.Configuration
    private let clients = Mutex<[ClientKey: HTTPClient]>([:])
    private let tlsCache = Mutex<[TLSConfig: CachedTLS]>([:])

    private struct CachedTLS {
        var stamps: [FileStamp]
        var configuration: TLSConfiguration
    }

    /// Creates a pool whose clients start from `base` (timeouts, decompression, connection pool).
    ///
    /// A refused connection fails at once instead of being retried until the request's deadline:
    /// scrapes, notifications and remote writes each have their own schedule for trying again, and a
    /// scrape of a closed port must record its real duration, not the timeout.
    public init(base: HTTPClient.Configuration) {
        var base = base
        base.connectionPool.retryConnectionEstablishment = false
        self.base = base
    }

    /// Shuts every client down; the pool must not be used afterwards.
    public func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in all { try? await client.shutdown() }
    }

    /// A pool dropped without `shutdown()` (a task cancelled or a test failing early) still closes its
    /// clients, which would otherwise leak their connections and stop a debug build in their deinit.
    deinit {
        let remaining = clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in remaining { client.shutdown { _ in } }
    }

    /// A client and a request for `url` with the settings' TLS material, credentials and server name applied.
    public func prepare(
        url: String, settings: HTTPClientConfiguration
    ) throws(OutboundHTTPError) -> (client: HTTPClient, request: HTTPClientRequest) {
        var url = url
        var hostHeader: String?
        var serverNameOverride: [String: String] = [:]
        let isHTTPS = url.lowercased().hasPrefix("https://")
        if isHTTPS, !settings.tlsConfig.serverName.isEmpty,
           var components = URLComponents(string: url), let host = components.host,
           host != settings.tlsConfig.serverName {
            // AsyncHTTPClient verifies the name it connects by; connect by `server_name` and resolve it to the host.
            serverNameOverride[settings.tlsConfig.serverName] = host
            hostHeader = components.port.map { "\(host):\($0)" } ?? host
            components.host = settings.tlsConfig.serverName
            url = components.string ?? url
        }
        var request = HTTPClientRequest(url: url)
        if let hostHeader { request.headers.replaceOrAdd(name: "Host", value: hostHeader) }
        if let value = try Self.authorizationHeader(settings) { request.headers.replaceOrAdd(name: "Authorization", value: value) }
        if isHTTPS { request.tlsConfiguration = try tlsConfiguration(settings.tlsConfig) }
        let key = ClientKey(
            followRedirects: settings.followRedirects, enableHTTP2: settings.enableHTTP2, serverNameOverride: serverNameOverride)
        return (client(for: key), request)
    }

    private func client(for key: ClientKey) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[key] { return client }
            var configuration = base
            configuration.redirectConfiguration = key.followRedirects ? .follow(max: 10, allowCycles: false) : .disallow
            configuration.httpVersion = key.enableHTTP2 ? .automatic : .http1Only
            configuration.dnsOverride = key.serverNameOverride
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = client
            return client
        }
    }

    // MARK: - Credentials

    /// The `Authorization` header the settings ask for, with password and credentials files read now.
    public static func authorizationHeader(_ settings: HTTPClientConfiguration) throws(OutboundHTTPError) -> String? {
        if let basic = settings.basicAuth {
            var password = basic.password.exposedValue
            if !basic.passwordFile.isEmpty {
                password = try readTrimmed(basic.passwordFile, what: "basic auth password file")
            }
            return "Basic " + Data("\(basic.username):\(password)".utf8).base64EncodedString()
        }
        if let authorization = settings.authorization {
            var credentials = authorization.credentials.exposedValue
            if !authorization.credentialsFile.isEmpty {
                credentials = try readTrimmed(authorization.credentialsFile, what: "authorization credentials file")
            }
            return "\(authorization.type) \(credentials)"
        }
        return nil
    }

    /// A secret file's text without surrounding white space, as Prometheus reads it.
    private static func readTrimmed(_ path: String, what: String) throws(OutboundHTTPError) -> String {
        let bytes = try readFile(path, what: what)
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The most a credentials or TLS file may hold; anything larger (or endless, like a device) is refused.
    static let maximumFileBytes = 1 << 20

    static func readFile(_ path: String, what: String) throws(OutboundHTTPError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file or directory"
            throw OutboundHTTPError("unable to read \(what) \(path): \(reason)")
        }
        defer { try? handle.close() }
        let data: Data?
        do { data = try handle.read(upToCount: maximumFileBytes + 1) } catch {
            throw OutboundHTTPError("unable to read \(what) \(path): \(error.localizedDescription)")
        }
        let bytes = Array(data ?? Data())
        guard bytes.count <= maximumFileBytes else {
            throw OutboundHTTPError("unable to read \(what) \(path): larger than \(maximumFileBytes) bytes")
        }
        return bytes
    }

    // MARK: - TLS

    /// The NIOSSL configuration for `config`, rebuilt only when one of its files changed since the last call.
    public func tlsConfiguration(_ config: TLSConfig) throws(OutboundHTTPError) -> TLSConfiguration {
        let files = [config.caFile, config.certFile, config.keyFile]
        let stamps = files.map(FileStamp.init(path:))
        if let cached = tlsCache.withLock({ $0[config] }), cached.stamps == stamps { return cached.configuration }
        let configuration = try Self.build(config)
        tlsCache.withLock { $0[config] = CachedTLS(stamps: stamps, configuration: configuration) }
        return configuration
    }

    static func build(_ config: TLSConfig) throws(OutboundHTTPError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        func pem(_ inline: String, file: String, what: String) throws(OutboundHTTPError) -> [UInt8]? {
            if !file.isEmpty { return try readFile(file, what: what) }
            return inline.isEmpty ? nil : Array(inline.utf8)
        }
        let caName = config.caFile.isEmpty ? "inline CA" : "CA file \(config.caFile)"
        if let bytes = try pem(config.ca, file: config.caFile, what: "CA file") {
            let certificates: [NIOSSLCertificate]
            do { certificates = try NIOSSLCertificate.fromPEMBytes(bytes) } catch {
                throw OutboundHTTPError("unable to use specified CA cert \(caName): \(error)")
            }
            guard !certificates.isEmpty else { throw OutboundHTTPError("unable to use specified CA cert \(caName): no certificates found") }
            tls.trustRoots = .certificates(certificates)
        }
        if let certBytes = try pem(config.cert, file: config.certFile, what: "client certificate file"),
           let keyBytes = try pem(config.key.exposedValue, file: config.keyFile, what: "client key file") {
            let certName = config.certFile.isEmpty ? "inline client certificate" : "client certificate \(config.certFile)"
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certBytes).map { .certificate($0) }
            } catch {
                throw OutboundHTTPError("unable to use specified \(certName): \(error)")
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: keyBytes, format: .pem))
            } catch {
                let keyName = config.keyFile.isEmpty ? "inline client key" : "client key \(config.keyFile)"
                throw OutboundHTTPError("unable to use specified \(keyName): \(error)")
            }
        }
        tls.certificateVerification = config.insecureSkipVerify ? .none : .fullVerification
        if let minimum = config.minVersion { tls.minimumTLSVersion = Self.version(minimum) }
        if let maximum = config.maxVersion { tls.maximumTLSVersion = Self.version(maximum) }
        return tls
    }

    private static func version(_ version: Config.TLSVersion) -> NIOSSL.TLSVersion {
        switch version {
        case .tls10: .tlsv1
        case .tls11: .tlsv11
        case .tls12: .tlsv12
        case .tls13: .tlsv13
        }
    }
}

/// FileStamp is what decides whether a file changed: its modification time and size, nil when absent.
struct FileStamp: Hashable {
    var modified: Date?
    var size: UInt64?

    init(path: String) {
        guard !path.isEmpty, let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return }
        modified = attributes[.modificationDate] as? Date
        size = (attributes[.size] as? NSNumber)?.uint64Value
    }
}

extension HTTPClient {
    /// A client for one-shot command-line requests: a server that is down is reported at once,
    /// not after the connection pool's retries run out the request's deadline.
    public static let failFast: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
