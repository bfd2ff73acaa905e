import Foundation
import Model

/// HTTPSDConfig is one `http_sd_configs` entry: a URL answering with a JSON list of target groups, polled every
/// `refreshInterval` with the HTTP client settings given beside it.
public struct HTTPSDConfig: Sendable, Hashable {
    public var url: String
    public var refreshInterval: PrometheusDuration
    public var httpClient: HTTPClientConfiguration

    public static let defaultRefreshInterval = PrometheusDuration.minutes(1)

    public init(
        url: String, refreshInterval: PrometheusDuration = defaultRefreshInterval,
        httpClient: HTTPClientConfiguration = HTTPClientConfiguration()
    ) {
        self.url = url
        self.refreshInterval = refreshInterval
        self.httpClient = httpClient
    }

    /// Prometheus's checks of the URL, with its messages.
    public func validate() throws(ConfigIssue) {
        if url.isEmpty { throw ConfigIssue("URL is missing", at: "url") }
        guard let components = URLComponents(string: url) else {
            throw ConfigIssue("parse \"\(url)\": invalid URL", at: "url")
        }
        guard components.scheme == "http" || components.scheme == "https" else {
            throw ConfigIssue("URL scheme must be 'http' or 'https'", at: "url")
        }
        if (components.host ?? "").isEmpty { throw ConfigIssue("host is missing in URL", at: "url") }
        try httpClient.validate()
    }
}

extension HTTPSDConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, refreshInterval = "refresh_interval"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(
            CodingKeys.self, in: "http_sd config", unsupported: HTTPClientConfiguration.unsupportedFields,
            alsoKnown: HTTPClientConfiguration.fieldNames)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // A zero interval would poll without pause; like file_sd_configs, it means the default.
        var refresh = try container.decode(.refreshInterval, or: Self.defaultRefreshInterval)
        if refresh == .zero { refresh = Self.defaultRefreshInterval }
        self.init(
            url: try container.decode(.url, or: ""),
            refreshInterval: refresh,
            httpClient: try HTTPClientConfiguration(inlineFrom: decoder))
        do { try validate() } catch { throw error.within(container.codingPath) }
    }
}
