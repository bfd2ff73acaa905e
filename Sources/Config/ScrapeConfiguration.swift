import Model

/// PrometheusConfiguration is Vigil's configuration file, in the format of Prometheus's `prometheus.yml`.
///
/// Loading decodes, then `resolved()` fills defaults from `global` and validates, as Prometheus does; a value
/// built in code should go through `validate()` before use.
public struct PrometheusConfiguration: Sendable, Hashable {
    public var global: GlobalConfig
    /// Rule file globs, kept for the rules module; relative paths are resolved against the config file's directory.
    public var ruleFiles: [String]
    public var scrapeConfigs: [ScrapeConfig]
    public var alerting: AlertingConfig
    public var remoteWriteConfigs: [RemoteWriteConfig]

    public init(
        global: GlobalConfig = GlobalConfig(), ruleFiles: [String] = [], scrapeConfigs: [ScrapeConfig] = [],
        alerting: AlertingConfig = AlertingConfig(), remoteWriteConfigs: [RemoteWriteConfig] = []
    ) {
        self.global = global
        self.ruleFiles = ruleFiles
        self.scrapeConfigs = scrapeConfigs
        self.alerting = alerting
        self.remoteWriteConfigs = remoteWriteConfigs
    }

    /// Checks a configuration built in code the way loading checks a file; errors name the path, not a line.
    public func validate(file: String = "<configuration>") throws(ConfigError) {
        do {
            _ = try resolved()
        } catch {
            throw ConfigError(code: error.code, file: file, message: "\(error.pathDescription): \(error.message)")
        }
    }

    /// A copy with per-job defaults taken from `global`, after every check Prometheus makes at load time.
    func resolved() throws(ConfigIssue) -> PrometheusConfiguration {
        var config = self
        do { config.global = try global.resolved() } catch { throw error.within("global") }
        for (index, pattern) in ruleFiles.enumerated() where !FileSDConfig.isValidGlob(pattern) {
            throw ConfigIssue("invalid rule file path \"\(pattern)\"", at: "rule_files", .index(index))
        }
        var jobs: Set<String> = []
        for index in config.scrapeConfigs.indices {
            do {
                config.scrapeConfigs[index] = try scrapeConfigs[index].resolved(global: config.global)
            } catch {
                throw error.within("scrape_configs", .index(index))
            }
            let name = config.scrapeConfigs[index].jobName
            guard jobs.insert(name).inserted else {
                throw ConfigIssue(
                    "found multiple scrape configs with job name \"\(name)\"", at: "scrape_configs", .index(index), "job_name")
            }
        }
        do { try alerting.validate() } catch { throw error.within("alerting") }
        try validateRemoteWrite()
        return config
    }

    /// A copy whose relative file paths (rule files, file_sd files, TLS and credentials files) are taken relative to `directory`.
    ///
    /// Prometheus resolves them against the directory of the configuration file, not the working directory.
    public func resolvingPaths(relativeTo directory: String) -> PrometheusConfiguration {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || directory.isEmpty ? path : (directory.hasSuffix("/") ? directory : directory + "/") + path
        }
        var copy = self
        copy.ruleFiles = ruleFiles.map(resolve)
        for index in copy.scrapeConfigs.indices {
            for sd in copy.scrapeConfigs[index].fileSDConfigs.indices {
                copy.scrapeConfigs[index].fileSDConfigs[sd].files = copy.scrapeConfigs[index].fileSDConfigs[sd].files.map(resolve)
            }
            copy.scrapeConfigs[index].httpClient = copy.scrapeConfigs[index].httpClient.resolvingPaths(resolve)
            for sd in copy.scrapeConfigs[index].httpSDConfigs.indices {
                copy.scrapeConfigs[index].httpSDConfigs[sd].httpClient =
                    copy.scrapeConfigs[index].httpSDConfigs[sd].httpClient.resolvingPaths(resolve)
            }
        }
        for index in copy.alerting.alertmanagers.indices {
            copy.alerting.alertmanagers[index].httpClient = copy.alerting.alertmanagers[index].httpClient.resolvingPaths(resolve)
        }
        for index in copy.remoteWriteConfigs.indices {
            copy.remoteWriteConfigs[index].httpClient = copy.remoteWriteConfigs[index].httpClient.resolvingPaths(resolve)
        }
        return copy
    }
}

extension PrometheusConfiguration: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case global, ruleFiles = "rule_files", scrapeConfigs = "scrape_configs", alerting
        case remoteWriteConfigs = "remote_write"
    }

    private static let unsupported = [
        "remote_read": "Vigil serves remote read at /api/v1/read but does not read from other stores",
        "storage": "Vigil has no exemplar or TSDB settings in the configuration file",
        "tracing": "Vigil does not export traces", "scrape_config_files": "list scrape configs in scrape_configs",
    ]

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "configuration", unsupported: Self.unsupported)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            global: try container.decode(.global, or: GlobalConfig()),
            ruleFiles: try container.decode(.ruleFiles, or: []),
            scrapeConfigs: try container.decode(.scrapeConfigs, or: []),
            alerting: try container.decode(.alerting, or: AlertingConfig()),
            remoteWriteConfigs: try container.decode(.remoteWriteConfigs, or: [])
        )
    }
}

/// GlobalConfig holds the defaults every job and rule group inherits.
public struct GlobalConfig: Sendable, Hashable {
    public var scrapeInterval: PrometheusDuration
    public var scrapeTimeout: PrometheusDuration
    public var evaluationInterval: PrometheusDuration
    /// Labels added to alerts and federation; Vigil keeps them for the alerting module.
    public var externalLabels: Labels

    public static let defaultScrapeInterval = PrometheusDuration.minutes(1)
    public static let defaultScrapeTimeout = PrometheusDuration.seconds(10)
    public static let defaultEvaluationInterval = PrometheusDuration.minutes(1)

    /// Zero durations mean "unset" and become the defaults on resolution, as in Prometheus.
    public init(
        scrapeInterval: PrometheusDuration = defaultScrapeInterval, scrapeTimeout: PrometheusDuration = defaultScrapeTimeout,
        evaluationInterval: PrometheusDuration = defaultEvaluationInterval, externalLabels: Labels = Labels()
    ) {
        self.scrapeInterval = scrapeInterval
        self.scrapeTimeout = scrapeTimeout
        self.evaluationInterval = evaluationInterval
        self.externalLabels = externalLabels
    }

    /// Fills unset durations; an unset timeout is 10s, or the interval when that is shorter.
    func resolved() throws(ConfigIssue) -> GlobalConfig {
        var copy = self
        if copy.scrapeInterval == .zero { copy.scrapeInterval = Self.defaultScrapeInterval }
        if copy.scrapeTimeout > copy.scrapeInterval {
            throw ConfigIssue("global scrape timeout greater than scrape interval", at: "scrape_timeout")
        }
        if copy.scrapeTimeout == .zero { copy.scrapeTimeout = min(Self.defaultScrapeTimeout, copy.scrapeInterval) }
        if copy.evaluationInterval == .zero { copy.evaluationInterval = Self.defaultEvaluationInterval }
        return copy
    }
}

extension GlobalConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case scrapeInterval = "scrape_interval", scrapeTimeout = "scrape_timeout"
        case evaluationInterval = "evaluation_interval", externalLabels = "external_labels"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(
            CodingKeys.self, in: "global config", unsupported: ["query_log_file": "Vigil does not log queries to a file"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            scrapeInterval: try container.decode(.scrapeInterval, or: .zero),
            scrapeTimeout: try container.decode(.scrapeTimeout, or: .zero),
            evaluationInterval: try container.decode(.evaluationInterval, or: .zero),
            externalLabels: Labels(try container.decodeLabelMap(.externalLabels))
        )
    }
}

/// ScrapeConfig is one job: which targets to scrape, how, and how to relabel them and their samples.
///
/// Limits are 0 for "no limit". A zero `scrapeInterval` or `scrapeTimeout` means "inherit from global" until the
/// configuration is resolved.
public struct ScrapeConfig: Sendable, Hashable {
    public var jobName: String
    public var scrapeInterval: PrometheusDuration = .zero
    public var scrapeTimeout: PrometheusDuration = .zero
    public var metricsPath = "/metrics"
    public var scheme = "http"
    /// URL query parameters; `__param_<name>` target labels override the first value.
    public var params: [String: [String]] = [:]
    public var honorLabels = false
    public var honorTimestamps = true
    public var sampleLimit = 0
    public var labelLimit = 0
    public var labelNameLengthLimit = 0
    public var labelValueLengthLimit = 0
    public var bodySizeLimit = ByteSize.zero
    public var staticConfigs: [TargetGroup] = []
    public var fileSDConfigs: [FileSDConfig] = []
    public var httpSDConfigs: [HTTPSDConfig] = []
    public var relabelConfigs: [RelabelConfig] = []
    public var metricRelabelConfigs: [RelabelConfig] = []
    /// TLS, credentials, redirects and HTTP/2 for scraping this job's targets.
    public var httpClient = HTTPClientConfiguration()

    public init(jobName: String) {
        self.jobName = jobName
    }

    /// The job with unset intervals taken from `global`, after the checks Prometheus makes.
    func resolved(global: GlobalConfig) throws(ConfigIssue) -> ScrapeConfig {
        try validate()
        var copy = self
        if copy.scrapeInterval == .zero { copy.scrapeInterval = global.scrapeInterval }
        if copy.scrapeTimeout > copy.scrapeInterval {
            throw ConfigIssue(
                "scrape timeout greater than scrape interval for scrape config with job name \"\(jobName)\"", at: "scrape_timeout")
        }
        if copy.scrapeTimeout == .zero { copy.scrapeTimeout = min(global.scrapeTimeout, copy.scrapeInterval) }
        return copy
    }

    func validate() throws(ConfigIssue) {
        if jobName.isEmpty { throw ConfigIssue("job_name is empty", at: "job_name") }
        guard scheme == "http" || scheme == "https" else {
            throw ConfigIssue("invalid scheme \"\(scheme)\": expected http or https", at: "scheme")
        }
        try httpClient.validate()
        let limits: [(String, Int)] = [
            ("sample_limit", sampleLimit), ("label_limit", labelLimit),
            ("label_name_length_limit", labelNameLengthLimit), ("label_value_length_limit", labelValueLengthLimit),
        ]
        for (field, value) in limits where value < 0 {
            throw ConfigIssue("\(field) must not be negative, got \(value)", at: .field(field))
        }
        if bodySizeLimit.bytes < 0 { throw ConfigIssue("body_size_limit must not be negative", at: "body_size_limit") }
        for (index, config) in fileSDConfigs.enumerated() {
            do { try config.validate() } catch { throw error.within("file_sd_configs", .index(index)) }
        }
        for (index, config) in httpSDConfigs.enumerated() {
            do { try config.validate() } catch { throw error.within("http_sd_configs", .index(index)) }
        }
        try Self.validateRelabeling(relabelConfigs, "relabel_configs")
        try Self.validateRelabeling(metricRelabelConfigs, "metric_relabel_configs")
        if relabelConfigs.isEmpty { try Self.checkStaticTargets(staticConfigs) }
    }

    static func validateRelabeling(_ configs: [RelabelConfig], _ field: String) throws(ConfigIssue) {
        for (index, config) in configs.enumerated() {
            do { try config.validate() } catch { throw error.within(.field(field), .index(index)) }
        }
    }

    /// Rejects URLs given as targets, a common mistake; skipped when relabeling could still rewrite the address.
    static func checkStaticTargets(_ groups: [TargetGroup]) throws(ConfigIssue) {
        for (groupIndex, group) in groups.enumerated() {
            for (index, target) in group.targets.enumerated() where target.contains("/") {
                throw ConfigIssue(
                    "\"\(target)\" is not a valid hostname", at: "static_configs", .index(groupIndex), "targets", .index(index))
            }
        }
    }
}

extension ScrapeConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case jobName = "job_name", scrapeInterval = "scrape_interval", scrapeTimeout = "scrape_timeout"
        case metricsPath = "metrics_path", scheme, params, honorLabels = "honor_labels", honorTimestamps = "honor_timestamps"
        case sampleLimit = "sample_limit", labelLimit = "label_limit"
        case labelNameLengthLimit = "label_name_length_limit", labelValueLengthLimit = "label_value_length_limit"
        case bodySizeLimit = "body_size_limit", staticConfigs = "static_configs", fileSDConfigs = "file_sd_configs"
        case httpSDConfigs = "http_sd_configs"
        case relabelConfigs = "relabel_configs", metricRelabelConfigs = "metric_relabel_configs"
    }

    /// Scrape-config fields Prometheus has that the scrape manager does not apply, rejected by name.
    static let unsupportedScrapeFields: [String: String] = HTTPClientConfiguration.unsupportedFields.merging([
        "target_limit": "Vigil does not limit the number of targets per job",
    ]) { $1 }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(
            CodingKeys.self, in: "scrape config", unsupported: Self.unsupportedScrapeFields,
            alsoKnown: HTTPClientConfiguration.fieldNames)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(jobName: try container.decode(.jobName, or: ""))
        scrapeInterval = try container.decode(.scrapeInterval, or: .zero)
        scrapeTimeout = try container.decode(.scrapeTimeout, or: .zero)
        metricsPath = try container.decode(.metricsPath, or: "/metrics")
        scheme = try container.decode(.scheme, or: "http")
        params = try container.decode(.params, or: [:])
        honorLabels = try container.decode(.honorLabels, or: false)
        honorTimestamps = try container.decode(.honorTimestamps, or: true)
        sampleLimit = try container.decode(.sampleLimit, or: 0)
        labelLimit = try container.decode(.labelLimit, or: 0)
        labelNameLengthLimit = try container.decode(.labelNameLengthLimit, or: 0)
        labelValueLengthLimit = try container.decode(.labelValueLengthLimit, or: 0)
        bodySizeLimit = try container.decode(.bodySizeLimit, or: .zero)
        staticConfigs = try container.decode(.staticConfigs, or: [])
        for index in staticConfigs.indices { staticConfigs[index].source = String(index) }
        fileSDConfigs = try container.decode(.fileSDConfigs, or: [])
        httpSDConfigs = try container.decode(.httpSDConfigs, or: [])
        relabelConfigs = try container.decode(.relabelConfigs, or: [])
        metricRelabelConfigs = try container.decode(.metricRelabelConfigs, or: [])
        httpClient = try HTTPClientConfiguration(inlineFrom: decoder)
    }
}
