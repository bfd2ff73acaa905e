import Config
import Foundation

/// WebConfiguration is one `--web.config.file` in Prometheus's exporter-toolkit format: TLS for the listener,
/// HTTP options, and the users allowed in with basic authentication.
///
/// Relative paths (`cert_file`, `key_file`, `client_ca_file`) are resolved against the file's directory, as
/// exporter-toolkit does. Loading reads and checks the TLS material and every bcrypt hash, so a file that loads
/// is one the listener can serve with.
public struct WebConfiguration: Sendable {
    /// The file it was read from, for messages.
    public var file: String
    /// TLS settings and material; nil serves plain HTTP.
    public var tls: TLSServerSettings?
    public var http: HTTPServerSettings
    /// User name → bcrypt hash; empty lets every request in.
    public var basicAuthUsers: [String: String]

    /// A configuration that changes nothing: plain HTTP, no users, no extra headers.
    public static let open = WebConfiguration(file: "", tls: nil, http: HTTPServerSettings(), basicAuthUsers: [:])

    public init(file: String, tls: TLSServerSettings?, http: HTTPServerSettings, basicAuthUsers: [String: String]) {
        self.file = file
        self.tls = tls
        self.http = http
        self.basicAuthUsers = basicAuthUsers
    }

    /// Reads and checks `path`; every problem is a `ConfigError` naming the file and, when there is one, the line.
    public static func load(path: String) throws(ConfigError) -> WebConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(code: .io, file: path, message: "cannot read web configuration: \(error.localizedDescription)")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses web-configuration YAML; relative paths in it are resolved against `file`'s directory.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> WebConfiguration {
        let document = try YAMLDocument(yaml: yaml, file: file)
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        let raw = try document.decode(RawWebConfiguration.self, empty: RawWebConfiguration())
        do {
            let users = try raw.validatedUsers()
            let tls = try raw.tls.flatMap { tls throws(ConfigIssue) in try TLSServerSettings(tls, directory: directory) }
            let http = try HTTPServerSettings(raw.http ?? RawHTTPServerConfig(), tls: tls != nil)
            return WebConfiguration(file: file, tls: tls, http: http, basicAuthUsers: users)
        } catch {
            throw document.located(error)
        }
    }
}

/// HTTPServerSettings is `http_server_config`: extra response headers and whether TLS connections may use HTTP/2.
public struct HTTPServerSettings: Sendable, Equatable {
    /// Headers added to every response, in the file's spelling.
    public var headers: [String: String] = [:]
    /// Offer HTTP/2 through ALPN on TLS connections (exporter-toolkit's default); HTTP/2 needs TLS.
    public var http2 = true

    public init(headers: [String: String] = [:], http2: Bool = true) {
        self.headers = headers
        self.http2 = http2
    }

    /// The headers exporter-toolkit lets a web configuration set, with the values each may take (nil: any).
    static let configurableHeaders: [String: [String]?] = [
        "Strict-Transport-Security": nil,
        "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"],
        "X-XSS-Protection": nil,
        "Content-Security-Policy": nil,
    ]

    init(_ raw: RawHTTPServerConfig, tls: Bool) throws(ConfigIssue) {
        for (name, value) in (raw.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path: [any CodingKey] = [AnyCodingKey("http_server_config"), AnyCodingKey("headers"), AnyCodingKey(name)]
            guard let allowed = Self.configurableHeaders[name] else {
                throw ConfigIssue("HTTP header \"\(name)\" can not be configured", at: path, pointsAtKey: true)
            }
            if let allowed, !allowed.contains(value) {
                let choices = allowed.map { "\"\($0)\"" }.joined(separator: " ")
                throw ConfigIssue("invalid value for \(name). Expected one of: [\(choices)], but got: \"\(value)\"", at: path)
            }
        }
        headers = raw.headers ?? [:]
        http2 = raw.http2 ?? true
    }
}

// MARK: - The file's shape

/// The file as written, before paths are resolved and material is loaded.
struct RawWebConfiguration: Decodable {
    var tls: RawTLSServerConfig?
    var http: RawHTTPServerConfig?
    var users: [String: String]?

    init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tls = "tls_server_config", http = "http_server_config", users = "basic_auth_users"
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "web configuration")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tls = try container.decodeIfPresent(RawTLSServerConfig.self, forKey: .tls)
        http = try container.decodeIfPresent(RawHTTPServerConfig.self, forKey: .http)
        users = try container.decodeIfPresent([String: String].self, forKey: .users)
    }

    /// The users, each hash checked as a bcrypt hash so a typo fails at load rather than locking everyone out.
    func validatedUsers() throws(ConfigIssue) -> [String: String] {
        let users = self.users ?? [:]
        for (user, hash) in users.sorted(by: { $0.key < $1.key }) {
            if let problem = BcryptHash.problem(with: hash) {
                throw ConfigIssue("basic_auth_users.\(user): invalid bcrypt hash: \(problem)",
                                  at: [AnyCodingKey("basic_auth_users"), AnyCodingKey(user)])
            }
        }
        return users
    }
}

struct RawTLSServerConfig: Decodable {
    var certFile: String?
    var keyFile: String?
    var clientAuthType: String?
    var clientCAFile: String?
    var cipherSuites: [String]?
    var curvePreferences: [String]?
    var minVersion: String?
    var maxVersion: String?
    var preferServerCipherSuites: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case certFile = "cert_file", keyFile = "key_file", clientAuthType = "client_auth_type", clientCAFile = "client_ca_file"
        case cipherSuites = "cipher_suites", curvePreferences = "curve_preferences", minVersion = "min_version"
        case maxVersion = "max_version", preferServerCipherSuites = "prefer_server_cipher_suites"
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "tls_server_config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        certFile = try container.decodeIfPresent(String.self, forKey: .certFile)
        keyFile = try container.decodeIfPresent(String.self, forKey: .keyFile)
        clientAuthType = try container.decodeIfPresent(String.self, forKey: .clientAuthType)
        clientCAFile = try container.decodeIfPresent(String.self, forKey: .clientCAFile)
        cipherSuites = try container.decodeIfPresent([String].self, forKey: .cipherSuites)
        curvePreferences = try container.decodeIfPresent([String].self, forKey: .curvePreferences)
        minVersion = try container.decodeIfPresent(String.self, forKey: .minVersion)
        maxVersion = try container.decodeIfPresent(String.self, forKey: .maxVersion)
        preferServerCipherSuites = try container.decodeIfPresent(Bool.self, forKey: .preferServerCipherSuites)
    }

    /// Whether the section sets nothing: exporter-toolkit then serves plain HTTP.
    var isEmpty: Bool {
        certFile == nil && keyFile == nil && clientAuthType == nil && clientCAFile == nil && cipherSuites == nil
            && curvePreferences == nil && minVersion == nil && maxVersion == nil && preferServerCipherSuites == nil
    }
}

struct RawHTTPServerConfig: Decodable {
    var headers: [String: String]?
    var http2: Bool?

    init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case headers, http2
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "http_server_config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        headers = try container.decodeIfPresent([String: String].self, forKey: .headers)
        http2 = try container.decodeIfPresent(Bool.self, forKey: .http2)
    }
}

/// BcryptHash checks the form of a bcrypt hash (`$2b$10$` + 53 characters) without computing anything.
enum BcryptHash {
    static let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// What is wrong with `hash`, or nil when it is a well-formed bcrypt hash of a supported version.
    static func problem(with hash: String) -> String? {
        let bytes = Array(hash.utf8)
        guard bytes.count >= 59 else { return "too short to be a bcrypt hash (\(bytes.count) characters, want 60)" }
        guard bytes[0] == UInt8(ascii: "$") else { return "a bcrypt hash starts with '$'" }
        guard bytes[1] == UInt8(ascii: "2"), [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$")
        else { return "unsupported bcrypt version (want $2a$, $2b$ or $2y$)" }
        guard let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), bytes[6] == UInt8(ascii: "$") else {
            return "the cost after the version must be two digits"
        }
        guard (4...31).contains(cost) else { return "cost \(cost) is outside the allowed range 4 to 31" }
        guard bytes.count == 60 else { return "a bcrypt hash has 60 characters, this one \(bytes.count)" }
        guard bytes[7...].allSatisfy(alphabet.contains) else { return "salt and digest hold a character outside bcrypt's alphabet" }
        return nil
    }

    /// The hash in a version the bcrypt library verifies: `$2y$` (htpasswd's label) is the same algorithm as `$2b$`.
    static func verifiable(_ hash: String) -> String {
        hash.hasPrefix("$2y$") ? "$2b$" + hash.dropFirst(4) : hash
    }
}
