import Config
import Foundation
import NIOCore
import NIOSSL

/// TLSServerSettings is `tls_server_config` with its paths resolved and its certificates and key loaded.
///
/// Versions, cipher suites and curves use Go's names, as exporter-toolkit reads them. `prefer_server_cipher_suites`
/// is accepted and has no effect: Go (and so Prometheus 2.42) ignores it since Go 1.18, choosing the order itself.
public struct TLSServerSettings: Sendable {
    public var certFile: String
    public var keyFile: String
    public var clientAuth: ClientAuth
    public var clientCAFile: String?
    public var minVersion: NIOSSL.TLSVersion
    public var maxVersion: NIOSSL.TLSVersion
    public var cipherSuites: [NIOTLSCipher]?
    public var curves: [NIOTLSCurve]?
    public var preferServerCipherSuites: Bool
    /// The loaded material; re-read on every reload so renewed certificates apply to new connections.
    public var certificateChain: [NIOSSLCertificate]
    public var privateKey: NIOSSLPrivateKey
    public var clientCAs: [NIOSSLCertificate]

    /// ClientAuth is `client_auth_type`, Go's `tls.ClientAuthType` by name.
    public enum ClientAuth: String, Sendable, CaseIterable {
        case noClientCert = "NoClientCert"
        case requestClientCert = "RequestClientCert"
        case requireAnyClientCert = "RequireAnyClientCert"
        case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

        /// Whether the client's certificate is checked against `client_ca_file` (rather than merely asked for).
        var verifies: Bool { self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert }
    }

    static let versions: [String: NIOSSL.TLSVersion] = ["TLS10": .tlsv1, "TLS11": .tlsv11, "TLS12": .tlsv12, "TLS13": .tlsv13]

    /// Go's names of the TLS 1.0–1.2 suites BoringSSL offers; TLS 1.3 suites are not configurable, as in Go.
    static let ciphers: [String: NIOTLSCipher] = [
        "TLS_RSA_WITH_AES_128_CBC_SHA": .TLS_RSA_WITH_AES_128_CBC_SHA,
        "TLS_RSA_WITH_AES_256_CBC_SHA": .TLS_RSA_WITH_AES_256_CBC_SHA,
        "TLS_RSA_WITH_AES_128_GCM_SHA256": .TLS_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_RSA_WITH_AES_256_GCM_SHA384": .TLS_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    static let curveNames: [String: NIOTLSCurve] = [
        "CurveP256": .secp256r1, "CurveP384": .secp384r1, "CurveP521": .secp521r1, "X25519": .x25519,
    ]

    /// Checks the section and loads its files; problems name the field they come from.
    init?(_ raw: RawTLSServerConfig, directory: URL) throws(ConfigIssue) {
        if raw.isEmpty { return nil }
        func at(_ field: String) -> [any CodingKey] { [AnyCodingKey("tls_server_config"), AnyCodingKey(field)] }
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : directory.appendingPathComponent(path).path
        }
        guard let cert = raw.certFile, !cert.isEmpty else { throw ConfigIssue("missing cert_file", at: [AnyCodingKey("tls_server_config")]) }
        guard let key = raw.keyFile, !key.isEmpty else { throw ConfigIssue("missing key_file", at: [AnyCodingKey("tls_server_config")]) }
        certFile = resolve(cert)
        keyFile = resolve(key)

        let authName = raw.clientAuthType ?? ""
        if authName.isEmpty {
            clientAuth = .noClientCert
        } else if authName == "RequireClientCert" {
            clientAuth = .requireAnyClientCert  // exporter-toolkit's older spelling
        } else if let parsed = ClientAuth(rawValue: authName) {
            clientAuth = parsed
        } else {
            throw ConfigIssue("invalid client_auth_type \"\(authName)\" (want one of \(ClientAuth.allCases.map(\.rawValue).joined(separator: ", ")))",
                              at: at("client_auth_type"))
        }
        clientCAFile = raw.clientCAFile.flatMap { $0.isEmpty ? nil : resolve($0) }
        if clientCAFile != nil && clientAuth == .noClientCert {
            throw ConfigIssue("client CAs have been configured without a client_auth_type", at: at("client_ca_file"))
        }
        if clientAuth.verifies && clientCAFile == nil {
            throw ConfigIssue("client_auth_type \(clientAuth.rawValue) needs client_ca_file", at: at("client_auth_type"))
        }

        func version(_ field: String, _ name: String?, default fallback: NIOSSL.TLSVersion) throws(ConfigIssue) -> NIOSSL.TLSVersion {
            guard let name, !name.isEmpty else { return fallback }
            guard let version = Self.versions[name] else {
                throw ConfigIssue("unknown TLS version: \(name) (want TLS10, TLS11, TLS12 or TLS13)", at: at(field))
            }
            return version
        }
        minVersion = try version("min_version", raw.minVersion, default: .tlsv12)
        maxVersion = try version("max_version", raw.maxVersion, default: .tlsv13)
        if Self.order(maxVersion) < Self.order(minVersion) {
            throw ConfigIssue("max_version is lower than min_version", at: at("max_version"))
        }
        if let names = raw.cipherSuites {
            var suites: [NIOTLSCipher] = []
            for (index, name) in names.enumerated() {
                guard let suite = Self.ciphers[name] else {
                    throw ConfigIssue("unknown cipher: \(name)", at: at("cipher_suites") + [AnyCodingKey(index: index)])
                }
                suites.append(suite)
            }
            cipherSuites = suites
        }
        if let names = raw.curvePreferences {
            var chosen: [NIOTLSCurve] = []
            for (index, name) in names.enumerated() {
                guard let curve = Self.curveNames[name] else {
                    throw ConfigIssue("unknown curve: \(name)", at: at("curve_preferences") + [AnyCodingKey(index: index)])
                }
                chosen.append(curve)
            }
            curves = chosen
        }
        preferServerCipherSuites = raw.preferServerCipherSuites ?? true

        do {
            certificateChain = try NIOSSLCertificate.fromPEMFile(certFile)
        } catch {
            throw ConfigIssue("cannot load cert_file \(certFile): \(Self.describe(error))", at: at("cert_file"))
        }
        guard !certificateChain.isEmpty else { throw ConfigIssue("cert_file \(certFile) holds no PEM certificate", at: at("cert_file")) }
        do {
            privateKey = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ConfigIssue("cannot load key_file \(keyFile): \(Self.describe(error))", at: at("key_file"))
        }
        if let clientCAFile {
            do {
                clientCAs = try NIOSSLCertificate.fromPEMFile(clientCAFile)
            } catch {
                throw ConfigIssue("cannot load client_ca_file \(clientCAFile): \(Self.describe(error))", at: at("client_ca_file"))
            }
            guard !clientCAs.isEmpty else {
                throw ConfigIssue("client_ca_file \(clientCAFile) holds no PEM certificate", at: at("client_ca_file"))
            }
        } else {
            clientCAs = []
        }
        // A certificate and key that do not belong together would fail every handshake: check them now.
        do {
            var check = TLSConfiguration.makeServerConfiguration(certificateChain: certificateChain.map { .certificate($0) },
                                                                 privateKey: .privateKey(privateKey))
            check.minimumTLSVersion = minVersion
            _ = try NIOSSLContext(configuration: check)
        } catch {
            throw ConfigIssue("cert_file and key_file do not form a usable pair: \(Self.describe(error))", at: at("key_file"))
        }
    }

    private static func order(_ version: NIOSSL.TLSVersion) -> Int {
        switch version {
        case .tlsv1: 0
        case .tlsv11: 1
        case .tlsv12: 2
        case .tlsv13: 3
        }
    }

    /// A file error in words: NIOSSL reports missing files as a bare errno.
    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return "\(io.description)" }
        return "\(error)"
    }
}
