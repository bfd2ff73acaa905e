import Config
import Foundation
import HummingbirdBcrypt
import Testing
@testable import WebSecurity

/// A directory of its own for files a test writes, removed when the value goes away.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-websec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A bcrypt hash at the lowest cost, so tests stay fast; the verifier treats every cost alike.
let cheapHash = Bcrypt.hash("secret", cost: 4)

@Suite struct WebConfigurationTests {
    func loadError(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigError {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("web.yml", yaml)
        do {
            _ = try WebConfiguration.load(path: path)
        } catch {
            #expect(error.file == path, sourceLocation: sourceLocation)
            return error
        }
        Issue.record("the file loaded", sourceLocation: sourceLocation)
        throw ConfigError(code: .invalidValue, file: path, message: "loaded")
    }

    @Test func unknownKeysAreErrorsAtTheirLine() throws {
        let top = try loadError("basic_auth_users: {}\nbasic_auth_user: {}\n")
        #expect(top.line == 2 && top.column == 1)
        #expect(top.message == "field basic_auth_user not found in web configuration (did you mean basic_auth_users?)")
        let nested = try loadError("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_versoin: TLS12\n")
        #expect(nested.line == 4)
        #expect(nested.message.hasPrefix("field min_versoin not found in tls_server_config"))
        let http = try loadError("http_server_config:\n  http3: true\n")
        #expect(http.line == 2 && http.message.hasPrefix("field http3 not found in http_server_config"))
    }

    @Test func invalidBcryptHashesNameTheUserAndLine() throws {
        let error = try loadError("basic_auth_users:\n  alice: \(cheapHash)\n  bob: notahash\n")
        #expect(error.line == 3 && error.column == 8)
        #expect(error.message.hasPrefix("basic_auth_users.bob: invalid bcrypt hash: too short"))
        let cost = try loadError("basic_auth_users:\n  bob: \"$2b$99$" + String(repeating: "a", count: 53) + "\"\n")
        #expect(cost.message.contains("cost 99 is outside the allowed range 4 to 31"))
    }

    @Test func missingTLSFilesAreErrorsAtTheField() throws {
        let missing = try loadError("tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n")
        #expect(missing.line == 2 && missing.column == 14)
        #expect(missing.message.hasPrefix("cannot load cert_file "))
        #expect(missing.message.contains("nope.crt"))
        let noKey = try loadError("tls_server_config:\n  cert_file: a.crt\n")
        #expect(noKey.message == "missing key_file" && noKey.line == 2)
        let caWithoutPolicy = try loadError("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_ca_file: ca.crt\n")
        #expect(caWithoutPolicy.message == "client CAs have been configured without a client_auth_type" && caWithoutPolicy.line == 4)
        let policy = try loadError("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: Sometimes\n")
        #expect(policy.message.hasPrefix("invalid client_auth_type \"Sometimes\"") && policy.line == 4)
        let version = try loadError("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_version: TLS14\n")
        #expect(version.message.hasPrefix("unknown TLS version: TLS14") && version.line == 4)
        let cipher = try loadError("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cipher_suites: [TLS_FAKE]\n")
        #expect(cipher.message == "unknown cipher: TLS_FAKE" && cipher.line == 4)
    }

    @Test func onlyExporterToolkitsHeadersMayBeSet() throws {
        let unknown = try loadError("http_server_config:\n  headers:\n    X-Foo: bar\n")
        #expect(unknown.message == "HTTP header \"X-Foo\" can not be configured" && unknown.line == 3)
        let badValue = try loadError("http_server_config:\n  headers:\n    X-Frame-Options: allow\n")
        #expect(badValue.message == "invalid value for X-Frame-Options. Expected one of: [\"deny\" \"sameorigin\"], but got: \"allow\"")
        let scratch = try ScratchDirectory()
        let path = try scratch.write("web.yml", "http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n")
        let configuration = try WebConfiguration.load(path: path)
        #expect(configuration.http == HTTPServerSettings(headers: ["X-Frame-Options": "deny"], http2: false))
        #expect(configuration.tls == nil && configuration.basicAuthUsers.isEmpty)
    }

    @Test func syntaxErrorsAndUnreadableFilesNameTheFile() throws {
        let syntax = try loadError("basic_auth_users: [\n")
        #expect(syntax.code == .syntax && syntax.line != nil)
        do {
            _ = try WebConfiguration.load(path: "/nonexistent/web.yml")
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.code == .io && error.description.hasPrefix("/nonexistent/web.yml: cannot read web configuration"))
        }
    }

    @Test func wellFormedHashesOfEveryVersionAreAccepted() {
        #expect(BcryptHash.problem(with: cheapHash) == nil)
        let htpasswd = "$2y$" + cheapHash.dropFirst(4)
        #expect(BcryptHash.problem(with: htpasswd) == nil)
        #expect(BcryptHash.verifiable(htpasswd) == cheapHash)
        #expect(BcryptHash.problem(with: "$3b$" + cheapHash.dropFirst(4)) != nil)
        #expect(BcryptHash.problem(with: String(cheapHash.dropLast()) + "!") != nil)
    }
}

@Suite struct SecretRedactionTests {
    @Test func secretsAreShownAsSecretAndFilePathsStay() {
        let yaml = """
            scrape_configs:
              - job_name: a
                basic_auth: {username: u, password: hunter2}
                authorization: {type: Bearer, credentials: tok3n}
                bearer_token_file: /etc/token
                tls_config: {cert_file: c.crt, key: inline-key}
              - job_name: b
                basic_auth: {username: u, password_file: /etc/pass, password: ""}
            """
        let shown = SecretRedaction.redact(yaml: yaml)
        for secret in ["hunter2", "tok3n", "inline-key"] { #expect(!shown.contains(secret), "\(shown)") }
        #expect(shown.components(separatedBy: "<secret>").count - 1 == 3, "\(shown)")
        for visible in ["/etc/token", "/etc/pass", "username: u", "cert_file: c.crt"] { #expect(shown.contains(visible), "\(shown)") }
        #expect(SecretRedaction.redact(yaml: "a: [").contains("could not be parsed"))
    }
}
