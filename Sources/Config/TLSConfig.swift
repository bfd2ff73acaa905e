/// TLSConfig is the `tls_config` block of an HTTP client: which CA to trust, which client certificate to present,
/// the name to verify, and the protocol versions allowed.
///
/// Each piece of material is given inline (`ca`, `cert`, `key`, as later Prometheus versions accept) or as a file
/// (`ca_file`, `cert_file`, `key_file`); files are re-read when they change, so certificates can be rotated.
public struct TLSConfig: Sendable, Hashable {
    /// PEM text of the CA certificates to trust instead of the system's.
    public var ca: String = ""
    public var caFile: String = ""
    /// PEM text of the client certificate chain.
    public var cert: String = ""
    public var certFile: String = ""
    /// PEM text of the client certificate's private key.
    public var key: Secret = Secret("")
    public var keyFile: String = ""
    /// The name to send in SNI and to verify the server's certificate against, instead of the target's host.
    public var serverName: String = ""
    /// Skips verifying the server's certificate entirely.
    public var insecureSkipVerify: Bool = false
    public var minVersion: TLSVersion?
    public var maxVersion: TLSVersion?

    public init() {}

    /// Whether a client certificate is configured.
    public var hasClientCertificate: Bool { !cert.isEmpty || !certFile.isEmpty }

    func validate() throws(ConfigIssue) {
        let pairs: [(String, String, String, String)] = [
            ("ca", ca, "ca_file", caFile), ("cert", cert, "cert_file", certFile), ("key", key.exposedValue, "key_file", keyFile),
        ]
        for (inline, inlineValue, file, fileValue) in pairs where !inlineValue.isEmpty && !fileValue.isEmpty {
            throw ConfigIssue("at most one of \(inline) and \(file) must be configured", at: .field(file))
        }
        let hasKey = !key.isEmpty || !keyFile.isEmpty
        if hasClientCertificate && !hasKey {
            let name = certFile.isEmpty ? "client cert" : "client cert file \"\(certFile)\""
            throw ConfigIssue("\(name) specified without client key file", at: certFile.isEmpty ? "cert" : "cert_file")
        }
        if hasKey && !hasClientCertificate {
            let name = keyFile.isEmpty ? "client key" : "client key file \"\(keyFile)\""
            throw ConfigIssue("\(name) specified without client cert file", at: keyFile.isEmpty ? "key" : "key_file")
        }
    }
}

/// TLSVersion is a protocol version as `min_version` and `max_version` spell it.
public enum TLSVersion: String, Sendable, Hashable, CaseIterable, Comparable {
    case tls10 = "TLS10", tls11 = "TLS11", tls12 = "TLS12", tls13 = "TLS13"

    /// The version's order among TLS versions, oldest first.
    var rank: Int {
        switch self {
        case .tls10: 0
        case .tls11: 1
        case .tls12: 2
        case .tls13: 3
        }
    }

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.rank < rhs.rank }
}

extension TLSVersion: Decodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = TLSVersion(rawValue: text) else {
            throw ConfigIssue("unknown TLS version: \(text)", at: decoder.codingPath)
        }
        self = version
    }
}

extension TLSConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case ca, caFile = "ca_file", cert, certFile = "cert_file", key, keyFile = "key_file", serverName = "server_name"
        case insecureSkipVerify = "insecure_skip_verify", minVersion = "min_version", maxVersion = "max_version"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "tls_config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        ca = try container.decode(.ca, or: "")
        caFile = try container.decode(.caFile, or: "")
        cert = try container.decode(.cert, or: "")
        certFile = try container.decode(.certFile, or: "")
        key = try container.decode(.key, or: Secret(""))
        keyFile = try container.decode(.keyFile, or: "")
        serverName = try container.decode(.serverName, or: "")
        insecureSkipVerify = try container.decode(.insecureSkipVerify, or: false)
        minVersion = try container.decodeIfPresent(TLSVersion.self, forKey: .minVersion)
        maxVersion = try container.decodeIfPresent(TLSVersion.self, forKey: .maxVersion)
    }
}
