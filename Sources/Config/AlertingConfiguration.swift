import Model

/// AlertingConfig says where to send alerts and how to relabel them; `vigil` builds the notifier from it.
public struct AlertingConfig: Sendable, Hashable {
    /// Relabeling applied to every alert before it is sent.
    public var alertRelabelConfigs: [RelabelConfig]
    public var alertmanagers: [AlertmanagerConfig]

    public init(alertRelabelConfigs: [RelabelConfig] = [], alertmanagers: [AlertmanagerConfig] = []) {
        self.alertRelabelConfigs = alertRelabelConfigs
        self.alertmanagers = alertmanagers
    }

    func validate() throws(ConfigIssue) {
        try ScrapeConfig.validateRelabeling(alertRelabelConfigs, "alert_relabel_configs")
        for (index, alertmanager) in alertmanagers.enumerated() {
            do { try alertmanager.validate() } catch { throw error.within("alertmanagers", .index(index)) }
        }
    }
}

extension AlertingConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case alertRelabelConfigs = "alert_relabel_configs", alertmanagers
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "alerting config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            alertRelabelConfigs: try container.decode(.alertRelabelConfigs, or: []),
            alertmanagers: try container.decode(.alertmanagers, or: [])
        )
    }
}

/// AlertmanagerConfig is one set of Alertmanagers, found like scrape targets, and how to reach them.
///
/// Only `static_configs` discover Alertmanagers: `file_sd_configs` is rejected by name rather than accepted and
/// ignored, since the notifier has no discovery loop.
public struct AlertmanagerConfig: Sendable, Hashable {
    /// APIVersion is the Alertmanager HTTP API version Prometheus 2.42 can speak; it picks the alerts path.
    public enum APIVersion: String, Sendable, Hashable, CaseIterable { case v1, v2 }

    public var staticConfigs: [TargetGroup]
    /// Relabeling applied to discovered Alertmanagers, as `relabel_configs` is to scrape targets.
    public var relabelConfigs: [RelabelConfig]
    /// Prefix of the path to the Alertmanager API, for Alertmanagers behind a reverse proxy.
    public var pathPrefix: String
    public var timeout: PrometheusDuration
    public var scheme: String
    public var apiVersion: APIVersion
    /// TLS, credentials, redirects and HTTP/2 for posting to these Alertmanagers.
    public var httpClient: HTTPClientConfiguration

    public init(
        staticConfigs: [TargetGroup] = [], relabelConfigs: [RelabelConfig] = [],
        pathPrefix: String = "", timeout: PrometheusDuration = .seconds(10), scheme: String = "http",
        apiVersion: APIVersion = .v2, httpClient: HTTPClientConfiguration = HTTPClientConfiguration()
    ) {
        self.httpClient = httpClient
        self.staticConfigs = staticConfigs
        self.relabelConfigs = relabelConfigs
        self.pathPrefix = pathPrefix
        self.timeout = timeout
        self.scheme = scheme
        self.apiVersion = apiVersion
    }

    func validate() throws(ConfigIssue) {
        guard scheme == "http" || scheme == "https" else {
            throw ConfigIssue("invalid scheme \"\(scheme)\": expected http or https", at: "scheme")
        }
        try httpClient.validate()
        try ScrapeConfig.validateRelabeling(relabelConfigs, "relabel_configs")
        if relabelConfigs.isEmpty { try ScrapeConfig.checkStaticTargets(staticConfigs) }
    }
}

extension AlertmanagerConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case staticConfigs = "static_configs", relabelConfigs = "relabel_configs"
        case pathPrefix = "path_prefix", timeout, scheme, apiVersion = "api_version"
    }

    public init(from decoder: any Decoder) throws {
        var unsupported = HTTPClientConfiguration.unsupportedFields
        unsupported["file_sd_configs"] = "Alertmanagers are found through static_configs only"
        try decoder.rejectUnknownKeys(
            CodingKeys.self, in: "alertmanager config", unsupported: unsupported, alsoKnown: HTTPClientConfiguration.fieldNames)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var apiVersion = APIVersion.v2
        if let text = try container.decodeIfPresent(String.self, forKey: .apiVersion) {
            guard let version = APIVersion(rawValue: text) else {
                throw ConfigIssue(
                    "expected Alertmanager api version to be one of [v1 v2] but got \(text)",
                    at: container.codingPath + [CodingKeys.apiVersion])
            }
            apiVersion = version
        }
        var staticConfigs = try container.decode(.staticConfigs, or: [TargetGroup]())
        for index in staticConfigs.indices { staticConfigs[index].source = String(index) }
        self.init(
            staticConfigs: staticConfigs,
            relabelConfigs: try container.decode(.relabelConfigs, or: []),
            pathPrefix: try container.decode(.pathPrefix, or: ""),
            timeout: try container.decode(.timeout, or: .seconds(10)),
            scheme: try container.decode(.scheme, or: "http"),
            apiVersion: apiVersion,
            httpClient: try HTTPClientConfiguration(inlineFrom: decoder)
        )
    }
}
