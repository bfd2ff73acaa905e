import Config
import Testing

/// The HTTP client settings of prometheus.yml: how they decode, what they fold together, and that secrets stay hidden.
@Suite struct HTTPClientConfigurationTests {
    private func load(_ yaml: String) throws -> PrometheusConfiguration {
        try PrometheusConfiguration(yaml: yaml, file: "prometheus.yml")
    }

    @Test func bearerTokensBecomeBearerAuthorization() throws {
        let config = try load("""
            scrape_configs:
              - {job_name: inline, bearer_token: abc}
              - {job_name: file, bearer_token_file: token.txt}
              - {job_name: typed, authorization: {type: "  Token ", credentials_file: creds}}
            """)
        let jobs = config.scrapeConfigs.map(\.httpClient.authorization)
        #expect(jobs[0] == Authorization(type: "Bearer", credentials: "abc"))
        #expect(jobs[1] == Authorization(type: "Bearer", credentialsFile: "token.txt"))
        #expect(jobs[2] == Authorization(type: "Token", credentialsFile: "creds"), "the type is trimmed")
    }

    @Test func defaultsAreThoseOfPrometheus() throws {
        let client = try #require(try load("scrape_configs: [{job_name: a}]").scrapeConfigs.first?.httpClient)
        #expect(client == HTTPClientConfiguration())
        #expect(client.followRedirects && client.enableHTTP2 && client.basicAuth == nil && client.authorization == nil)
    }

    @Test func filePathsAreTakenRelativeToTheConfigurationDirectory() throws {
        let config = try load("""
            scrape_configs:
              - job_name: a
                tls_config: {ca_file: ca.crt, cert_file: /abs/client.crt, key_file: client.key}
                basic_auth: {username: u, password_file: secrets/pw}
                http_sd_configs: [{url: "http://sd/", bearer_token_file: sd-token}]
            alerting:
              alertmanagers: [{authorization: {credentials_file: am-token}, static_configs: [{targets: [am:9093]}]}]
            """).resolvingPaths(relativeTo: "/etc/vigil")
        let client = config.scrapeConfigs[0].httpClient
        #expect(client.files == ["/etc/vigil/ca.crt", "/abs/client.crt", "/etc/vigil/client.key", "/etc/vigil/secrets/pw"])
        #expect(config.scrapeConfigs[0].httpSDConfigs[0].httpClient.authorization?.credentialsFile == "/etc/vigil/sd-token")
        #expect(config.alerting.alertmanagers[0].httpClient.authorization?.credentialsFile == "/etc/vigil/am-token")
    }

    @Test func secretsPrintRedacted() throws {
        let config = try load("scrape_configs: [{job_name: a, basic_auth: {username: u, password: hunter2}}]")
        let password = try #require(config.scrapeConfigs.first?.httpClient.basicAuth?.password)
        #expect("\(password)" == "<secret>" && String(reflecting: password) == "<secret>")
        #expect(!"\(config)".contains("hunter2"), "printing the whole configuration does not reveal the password")
        #expect(password.exposedValue == "hunter2")
    }

    @Test func shownConfigurationHidesEverySecretButKeepsFilePaths() {
        let shown = SecretRedaction.redact(yaml: """
            scrape_configs:
              - job_name: a
                basic_auth: {username: u, password: hunter2}
                tls_config: {key: "-----BEGIN PRIVATE KEY-----", cert_file: c.crt}
                http_sd_configs: [{url: "http://sd/", bearer_token: sd-token}]
            alerting:
              alertmanagers:
                - authorization: {credentials: am-token, credentials_file: ""}
                  basic_auth: {username: x, password_file: /run/pw}
            """)
        for secret in ["hunter2", "BEGIN PRIVATE KEY", "sd-token", "am-token"] {
            #expect(!shown.contains(secret), "\(secret) is shown: \(shown)")
        }
        #expect(shown.components(separatedBy: "<secret>").count - 1 == 4)
        #expect(shown.contains("/run/pw") && shown.contains("c.crt") && shown.contains("username: u"))
        #expect(SecretRedaction.redact(yaml: "a: [") .hasPrefix("#"), "unparseable text is withheld, not shown raw")
    }

    @Test(arguments: [
        ("basic_auth: {username: u, password: p}\n    bearer_token: t",
         "3:17: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"),
        ("authorization: {credentials: a, credentials_file: b}",
         "3:20: at most one of authorization credentials & credentials_file must be configured"),
        ("tls_config: {key_file: k}", "3:28: client key file \"k\" specified without client cert file"),
        ("tls_config: {ca: x, ca_file: y}", "3:34: at most one of ca and ca_file must be configured"),
        ("basic_auth: {username: u, pasword: p}", "3:31: field pasword not found in basic_auth (did you mean password?)"),
        ("proxy_url: http://proxy:3128/",
         "3:5: field proxy_url in scrape config is not supported: Vigil's HTTP client has no OAuth 2.0 or proxy support"),
    ])
    func mistakesAreErrorsWithPositions(fields: String, expected: String) {
        let yaml = "scrape_configs:\n  - job_name: a\n    \(fields)\n"
        do {
            _ = try load(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)" == "prometheus.yml:\(expected)")
        }
    }
}
