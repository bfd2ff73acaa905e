import Foundation

/// HTTPClientConfiguration is Prometheus's common HTTP client settings, written inline in scrape configs,
/// Alertmanager configs and HTTP service discovery: TLS, credentials, redirects and HTTP/2.
///
/// `bearer_token` and `bearer_token_file` are folded into `authorization` with type `Bearer` while decoding, as
/// Prometheus does, so a client only has to honour `basicAuth` and `authorization`. File paths are taken relative
/// to the configuration file's directory once the configuration is loaded from a file.
public struct HTTPClientConfiguration: Sendable, Hashable {
    public var basicAuth: BasicAuth?
    public var authorization: Authorization?
    public var tlsConfig: TLSConfig
    /// Whether 3xx responses are followed; Prometheus's default is true.
    public var followRedirects: Bool
    /// Whether HTTP/2 may be negotiated over TLS; Prometheus 2.42's default is true.
    public var enableHTTP2: Bool

    public init(
        basicAuth: BasicAuth? = nil, authorization: Authorization? = nil, tlsConfig: TLSConfig = TLSConfig(),
        followRedirects: Bool = true, enableHTTP2: Bool = true
    ) {
        self.basicAuth = basicAuth
        self.authorization = authorization
        self.tlsConfig = tlsConfig
        self.followRedirects = followRedirects
        self.enableHTTP2 = enableHTTP2
    }

    /// The keys these settings take in the mapping that holds them inline.
    public static let fieldNames = [
        "basic_auth", "authorization", "bearer_token", "bearer_token_file", "tls_config", "follow_redirects", "enable_http2",
    ]

    /// Prometheus's client settings that Vigil does not implement, rejected by name with the reason.
    public static let unsupportedFields: [String: String] = {
        let reason = "Vigil's HTTP client has no OAuth 2.0 or proxy support"
        let fields = ["oauth2", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header"]
        return Dictionary(uniqueKeysWithValues: fields.map { ($0, reason) })
    }()

    /// Every file the settings read: CA, certificate, key, password and credentials files.
    public var files: [String] {
        [tlsConfig.caFile, tlsConfig.certFile, tlsConfig.keyFile, basicAuth?.passwordFile ?? "",
         authorization?.credentialsFile ?? ""].filter { !$0.isEmpty }
    }

    /// A copy whose relative file paths are taken relative to `directory`.
    public func resolvingPaths(_ resolve: (String) -> String) -> HTTPClientConfiguration {
        func path(_ text: String) -> String { text.isEmpty ? text : resolve(text) }
        var copy = self
        copy.tlsConfig.caFile = path(tlsConfig.caFile)
        copy.tlsConfig.certFile = path(tlsConfig.certFile)
        copy.tlsConfig.keyFile = path(tlsConfig.keyFile)
        copy.basicAuth?.passwordFile = path(basicAuth?.passwordFile ?? "")
        copy.authorization?.credentialsFile = path(authorization?.credentialsFile ?? "")
        return copy
    }

    /// Checks a value built in code the way decoding checks a file.
    public func validate() throws(ConfigIssue) {
        if basicAuth != nil && authorization != nil {
            throw ConfigIssue("at most one of basic_auth, oauth2 & authorization must be configured", at: "authorization")
        }
        if let basicAuth { do { try basicAuth.validate() } catch { throw error.within("basic_auth") } }
        if let authorization { do { try authorization.validate() } catch { throw error.within("authorization") } }
        do { try tlsConfig.validate() } catch { throw error.within("tls_config") }
    }
}

extension HTTPClientConfiguration {
    private enum Key: String, CodingKey {
        case basicAuth = "basic_auth", authorization, bearerToken = "bearer_token", bearerTokenFile = "bearer_token_file"
        case tlsConfig = "tls_config", followRedirects = "follow_redirects", enableHTTP2 = "enable_http2"
    }

    /// Reads the settings from the mapping that holds them inline, checking them with Prometheus's messages.
    ///
    /// The caller rejects unknown keys of that mapping, listing `fieldNames` as known.
    public init(inlineFrom decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let path = container.codingPath
        let bearerToken = try container.decodeIfPresent(Secret.self, forKey: .bearerToken) ?? Secret("")
        let bearerTokenFile = try container.decodeIfPresent(String.self, forKey: .bearerTokenFile) ?? ""
        self.init(
            basicAuth: try container.decodeIfPresent(BasicAuth.self, forKey: .basicAuth),
            authorization: try container.decodeIfPresent(Authorization.self, forKey: .authorization),
            tlsConfig: try container.decode(.tlsConfig, or: TLSConfig()),
            followRedirects: try container.decode(.followRedirects, or: true),
            enableHTTP2: try container.decode(.enableHTTP2, or: true))
        let hasBearer = !bearerToken.isEmpty || !bearerTokenFile.isEmpty
        if !bearerToken.isEmpty && !bearerTokenFile.isEmpty {
            throw ConfigIssue("at most one of bearer_token & bearer_token_file must be configured", at: path + [Key.bearerToken])
        }
        if basicAuth != nil && hasBearer {
            throw ConfigIssue(
                "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
                at: path + [Key.basicAuth])
        }
        if let basicAuth {
            do { try basicAuth.validate() } catch { throw error.within(path + [Key.basicAuth]) }
        }
        if let authorization {
            if hasBearer {
                throw ConfigIssue("authorization is not compatible with bearer_token & bearer_token_file", at: path + [Key.authorization])
            }
            do { try authorization.validate() } catch { throw error.within(path + [Key.authorization]) }
            if basicAuth != nil {
                throw ConfigIssue("at most one of basic_auth, oauth2 & authorization must be configured", at: path + [Key.authorization])
            }
        } else if hasBearer {
            authorization = Authorization(type: "Bearer", credentials: bearerToken, credentialsFile: bearerTokenFile)
        }
        do { try tlsConfig.validate() } catch { throw error.within(path + [Key.tlsConfig]) }
    }
}

/// BasicAuth is the `basic_auth` block: a username and a password given inline or in a file.
public struct BasicAuth: Sendable, Hashable {
    public var username: String
    public var password: Secret
    /// Read on every request, so a rotated password takes effect without a reload.
    public var passwordFile: String

    public init(username: String, password: Secret = Secret(""), passwordFile: String = "") {
        self.username = username
        self.password = password
        self.passwordFile = passwordFile
    }

    func validate() throws(ConfigIssue) {
        if !password.isEmpty && !passwordFile.isEmpty {
            throw ConfigIssue("at most one of basic_auth password & password_file must be configured")
        }
    }
}

extension BasicAuth: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case username, password, passwordFile = "password_file"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "basic_auth")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            username: try container.decode(.username, or: ""), password: try container.decode(.password, or: Secret("")),
            passwordFile: try container.decode(.passwordFile, or: ""))
    }
}

/// Authorization is the `authorization` block: an `Authorization: <type> <credentials>` header, the credentials
/// given inline or in a file.
public struct Authorization: Sendable, Hashable {
    /// The scheme word, `Bearer` unless set.
    public var type: String
    public var credentials: Secret
    /// Read on every request, so a rotated token takes effect without a reload.
    public var credentialsFile: String

    public init(type: String = "Bearer", credentials: Secret = Secret(""), credentialsFile: String = "") {
        self.type = type
        self.credentials = credentials
        self.credentialsFile = credentialsFile
    }

    func validate() throws(ConfigIssue) {
        if !credentials.isEmpty && !credentialsFile.isEmpty {
            throw ConfigIssue("at most one of authorization credentials & credentials_file must be configured")
        }
        if type.lowercased() == "basic" {
            throw ConfigIssue("authorization type cannot be set to \"basic\", use \"basic_auth\" instead", at: "type")
        }
    }
}

extension Authorization: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, credentials, credentialsFile = "credentials_file"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "authorization")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var type = try container.decode(.type, or: "").trimmingCharacters(in: .whitespaces)
        if type.isEmpty { type = "Bearer" }
        self.init(
            type: type, credentials: try container.decode(.credentials, or: Secret("")),
            credentialsFile: try container.decode(.credentialsFile, or: ""))
    }
}
