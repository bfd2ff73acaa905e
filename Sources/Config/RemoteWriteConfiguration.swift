import Foundation
import Model

/// RemoteWriteConfig is one `remote_write` entry: where to send samples, how to batch and retry, which to drop.
///
/// Defaults are Prometheus 2.42's. Exemplars and native histograms are not sent, so `send_exemplars` and
/// `send_native_histograms` may only be false; HTTP client settings (TLS, authentication) are rejected by name.
public struct RemoteWriteConfig: Sendable, Hashable {
    public var url: String
    /// Names the queue in metrics and logs; when empty, a hash of the entry does.
    public var name: String = ""
    public var remoteTimeout: PrometheusDuration = .seconds(30)
    public var headers: [String: String] = [:]
    public var writeRelabelConfigs: [RelabelConfig] = []
    public var queueConfig = QueueConfig()
    public var metadataConfig = MetadataConfig()
    /// TLS, basic auth, authorization and bearer tokens, as for scrape jobs.
    public var httpClient = HTTPClientConfiguration()

    /// QueueConfig sizes the sending shards and their retries.
    public struct QueueConfig: Sendable, Hashable {
        /// Samples each shard buffers: a round reads at most shards × capacity samples from the log.
        public var capacity = 2500
        public var maxShards = 200
        public var minShards = 1
        public var maxSamplesPerSend = 500
        /// Longest time a sample waits for a batch to fill before a partial batch is sent.
        public var batchSendDeadline: PrometheusDuration = .seconds(5)
        public var minBackoff = PrometheusDuration(milliseconds: 30)
        public var maxBackoff: PrometheusDuration = .seconds(5)
        public var retryOnHTTP429 = true

        public init() {}
    }

    /// MetadataConfig says whether and how often HELP/TYPE/UNIT are sent.
    public struct MetadataConfig: Sendable, Hashable {
        public var send = true
        public var sendInterval: PrometheusDuration = .minutes(1)
        public var maxSamplesPerSend = 500

        public init() {}
    }

    public init(url: String) {
        self.url = url
    }

    /// The name in metrics and the head-log position: `name`, or six hex digits of a hash of the entry, as Prometheus does.
    public var queueName: String {
        if !name.isEmpty { return name }
        let digest = MD5.digest(Array("\(url)|\(headers.sorted { $0.key < $1.key })|\(remoteTimeout)|\(queueConfig)".utf8))
        return digest.prefix(3).map { String(format: "%02x", $0) }.joined()
    }

    /// Headers Prometheus sets itself and refuses in `headers`.
    static let reservedHeaders: Set<String> = [
        "host", "authorization", "content-encoding", "content-type", "x-prometheus-remote-write-version", "user-agent",
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "www-authenticate", "accept-encoding",
        "x-prometheus-remote-read-version", "x-prometheus-scrape-timeout-seconds", "upgrade", "te", "trailer", "transfer-encoding",
    ]

    func validate() throws(ConfigIssue) {
        guard !url.isEmpty else { throw ConfigIssue("url for remote_write is empty", at: "url") }
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
            throw ConfigIssue("invalid remote_write url \"\(url)\": expected http:// or https:// with a host", at: "url")
        }
        try httpClient.validate()
        for name in headers.keys.sorted() where Self.reservedHeaders.contains(name.lowercased()) {
            throw ConfigIssue("\(name) is a reserved header. It must not be changed", at: "headers", .field(name))
        }
        let positive: [(String, Int)] = [
            ("capacity", queueConfig.capacity), ("max_shards", queueConfig.maxShards), ("min_shards", queueConfig.minShards),
            ("max_samples_per_send", queueConfig.maxSamplesPerSend),
        ]
        for (field, value) in positive where value <= 0 {
            throw ConfigIssue("\(field) must be positive, got \(value)", at: "queue_config", .field(field))
        }
        if queueConfig.minShards > queueConfig.maxShards {
            throw ConfigIssue("min_shards (\(queueConfig.minShards)) must not exceed max_shards (\(queueConfig.maxShards))", at: "queue_config", "min_shards")
        }
        if queueConfig.batchSendDeadline == .zero {
            throw ConfigIssue("batch_send_deadline must be positive", at: "queue_config", "batch_send_deadline")
        }
        if queueConfig.minBackoff > queueConfig.maxBackoff {
            throw ConfigIssue("min_backoff must not exceed max_backoff", at: "queue_config", "min_backoff")
        }
        if remoteTimeout == .zero { throw ConfigIssue("remote_timeout must be positive", at: "remote_timeout") }
        if metadataConfig.maxSamplesPerSend <= 0 {
            throw ConfigIssue("max_samples_per_send must be positive, got \(metadataConfig.maxSamplesPerSend)", at: "metadata_config", "max_samples_per_send")
        }
        if metadataConfig.send && metadataConfig.sendInterval == .zero {
            throw ConfigIssue("send_interval must be positive", at: "metadata_config", "send_interval")
        }
        try ScrapeConfig.validateRelabeling(writeRelabelConfigs, "write_relabel_configs")
    }
}

extension RemoteWriteConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, name, remoteTimeout = "remote_timeout", headers, writeRelabelConfigs = "write_relabel_configs"
        case sendExemplars = "send_exemplars", sendNativeHistograms = "send_native_histograms"
        case queueConfig = "queue_config", metadataConfig = "metadata_config"
    }

    static let unsupportedFields: [String: String] = HTTPClientConfiguration.unsupportedFields.merging([
        "sigv4": "Vigil's remote write does not sign requests for AWS",
        "azuread": "Vigil's remote write does not authenticate with Azure AD",
    ]) { $1 }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "remote write config", unsupported: Self.unsupportedFields,
                                      alsoKnown: HTTPClientConfiguration.fieldNames)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(url: try container.decode(.url, or: ""))
        name = try container.decode(.name, or: "")
        remoteTimeout = try container.decode(.remoteTimeout, or: remoteTimeout)
        headers = try container.decode(.headers, or: [:])
        writeRelabelConfigs = try container.decode(.writeRelabelConfigs, or: [])
        for key in [CodingKeys.sendExemplars, .sendNativeHistograms] where try container.decode(key, or: false) {
            throw ConfigIssue("\(key.stringValue): true is not supported: Vigil stores no exemplars or native histograms to send",
                              at: container.codingPath + [key])
        }
        queueConfig = try container.decode(.queueConfig, or: QueueConfig())
        metadataConfig = try container.decode(.metadataConfig, or: MetadataConfig())
        httpClient = try HTTPClientConfiguration(inlineFrom: decoder)
    }
}

extension RemoteWriteConfig.QueueConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case capacity, maxShards = "max_shards", minShards = "min_shards", maxSamplesPerSend = "max_samples_per_send"
        case batchSendDeadline = "batch_send_deadline", minBackoff = "min_backoff", maxBackoff = "max_backoff"
        case retryOnHTTP429 = "retry_on_http_429"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "queue config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        capacity = try container.decode(.capacity, or: capacity)
        maxShards = try container.decode(.maxShards, or: maxShards)
        minShards = try container.decode(.minShards, or: minShards)
        maxSamplesPerSend = try container.decode(.maxSamplesPerSend, or: maxSamplesPerSend)
        batchSendDeadline = try container.decode(.batchSendDeadline, or: batchSendDeadline)
        minBackoff = try container.decode(.minBackoff, or: minBackoff)
        maxBackoff = try container.decode(.maxBackoff, or: maxBackoff)
        retryOnHTTP429 = try container.decode(.retryOnHTTP429, or: retryOnHTTP429)
    }
}

extension RemoteWriteConfig.MetadataConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case send, sendInterval = "send_interval", maxSamplesPerSend = "max_samples_per_send"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "metadata config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        send = try container.decode(.send, or: send)
        sendInterval = try container.decode(.sendInterval, or: sendInterval)
        maxSamplesPerSend = try container.decode(.maxSamplesPerSend, or: maxSamplesPerSend)
    }
}

extension PrometheusConfiguration {
    /// Checks each `remote_write` entry and that queue names are unique, as Prometheus requires.
    func validateRemoteWrite() throws(ConfigIssue) {
        var names: Set<String> = []
        for (index, config) in remoteWriteConfigs.enumerated() {
            do { try config.validate() } catch { throw error.within("remote_write", .index(index)) }
            guard names.insert(config.queueName).inserted else {
                let message = config.name.isEmpty
                    ? "duplicate remote write configs are not allowed, found duplicate for URL: \(config.url)"
                    : "found multiple remote write configs with job name \"\(config.name)\""
                throw ConfigIssue(message, at: "remote_write", .index(index))
            }
        }
    }
}
