import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import NIOCore
import NIOSSL
import Synchronization

/// ListenerTLS serves one listener over TLS from a web configuration, and takes renewed certificates on reload.
///
/// The certificate and key are handed to each handshake from a lock, so a reload applies them to new connections
/// while open ones keep theirs. Client authentication, versions, suites, curves and HTTP/2 are fixed when the
/// listener starts; `update` reports which of those a reloaded file changed, since they need a restart.
public final class ListenerTLS: Sendable {
    /// The settings the listener started with.
    public let settings: TLSServerSettings
    public let http2: Bool
    private let material: CurrentCertificate

    public init(settings: TLSServerSettings, http2: Bool) {
        self.settings = settings
        self.http2 = http2
        material = CurrentCertificate(chain: settings.certificateChain, key: settings.privateKey)
    }

    /// Takes the certificate and key of a reloaded file; returns the names of changed settings that wait for a restart.
    public func update(_ reloaded: TLSServerSettings?, http2 reloadedHTTP2: Bool) -> [String] {
        guard let reloaded else { return ["tls_server_config"] }
        material.replace(chain: reloaded.certificateChain, key: reloaded.privateKey)
        var changed: [String] = []
        if reloaded.clientAuth != settings.clientAuth { changed.append("client_auth_type") }
        if reloaded.clientCAFile != settings.clientCAFile { changed.append("client_ca_file") }
        if reloaded.minVersion != settings.minVersion { changed.append("min_version") }
        if reloaded.maxVersion != settings.maxVersion { changed.append("max_version") }
        if reloaded.cipherSuites != settings.cipherSuites { changed.append("cipher_suites") }
        if reloaded.curves != settings.curves { changed.append("curve_preferences") }
        if reloadedHTTP2 != http2 { changed.append("http2") }
        return changed
    }

    /// NIOSSL's server configuration for the settings, with each handshake taking the current certificate and key.
    func tlsConfiguration() -> TLSConfiguration {
        let (chain, key) = material.current
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = settings.minVersion
        configuration.maximumTLSVersion = settings.maxVersion
        if let suites = settings.cipherSuites { configuration.cipherSuiteValues = suites }
        if let curves = settings.curves { configuration.curves = curves }
        switch settings.clientAuth {
        case .noClientCert:
            configuration.certificateVerification = .none
        case .requestClientCert, .verifyClientCertIfGiven:
            configuration.certificateVerification = .optionalVerification
        case .requireAnyClientCert, .requireAndVerifyClientCert:
            configuration.certificateVerification = .noHostnameVerification
        }
        if settings.clientAuth.verifies {
            configuration.trustRoots = .certificates(settings.clientCAs)
            configuration.sendCANameList = true
        } else {
            configuration.trustRoots = .certificates([])
        }
        configuration.sslContextCallback = { [material] _, promise in
            let (chain, key) = material.current
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return configuration
    }

    /// The Hummingbird server: HTTP/1.1 over TLS, and HTTP/2 through ALPN when `http2` is on.
    public func serverBuilder() throws -> HTTPServerBuilder {
        let configuration = tlsConfiguration()
        var acceptAny: (@Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>) -> Void)?
        if settings.clientAuth == .requestClientCert || settings.clientAuth == .requireAnyClientCert {
            // Go's RequestClientCert and RequireAnyClientCert take any certificate without checking it.
            acceptAny = { _, promise in promise.succeed(.certificateVerified) }
        }
        if http2 {
            let channel = HummingbirdHTTP2.TLSChannelConfiguration(tlsConfiguration: configuration, customVerificationCallback: acceptAny)
            return try .http2Upgrade(tlsChannelConfiguration: channel)
        }
        let channel = HummingbirdTLS.TLSChannelConfiguration(tlsConfiguration: configuration, customVerificationCallback: acceptAny)
        return try .tls(.http1(), configuration: channel)
    }
}

/// CurrentCertificate is the certificate chain and key that new handshakes present.
final class CurrentCertificate: Sendable {
    private let state: Mutex<(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)>

    init(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) { state = Mutex((chain, key)) }

    var current: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) { state.withLock { $0 } }

    func replace(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) { state.withLock { $0 = (chain, key) } }
}
