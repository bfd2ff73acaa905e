import Model

/// TargetGroup is targets that share labels: one entry of `static_configs` or of a file_sd file.
public struct TargetGroup: Sendable, Hashable {
    /// Addresses, `host:port`, each becoming a target's `__address__`.
    public var targets: [String]
    public var labels: [String: String]
    /// Where the group came from: its index in `static_configs`, or `path:index` for a file.
    public var source: String

    public init(targets: [String], labels: [String: String] = [:], source: String = "") {
        self.targets = targets
        self.labels = labels
        self.source = source
    }
}

extension TargetGroup: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case targets, labels
    }

    /// Decodes strictly, as Prometheus reads static configs and YAML files.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "target group")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(targets: try container.decode(.targets, or: []), labels: try container.decodeLabelMap(.labels))
    }
}

/// FileSDConfig is one `file_sd_configs` entry: files of target groups that Vigil re-reads while running.
public struct FileSDConfig: Sendable, Hashable {
    /// Paths whose last element may contain a `*`; they must end in `.json`, `.yml` or `.yaml`.
    public var files: [String]
    public var refreshInterval: PrometheusDuration

    public init(files: [String], refreshInterval: PrometheusDuration = .minutes(5)) {
        self.files = files
        self.refreshInterval = refreshInterval
    }

    public func validate() throws(ConfigIssue) {
        if files.isEmpty { throw ConfigIssue("file service discovery config must contain at least one path name", at: "files") }
        for (index, pattern) in files.enumerated() {
            let hasExtension = [".json", ".yml", ".yaml", ".JSON", ".YML", ".YAML"].contains { pattern.hasSuffix($0) }
            if !hasExtension || !Self.isValidGlob(pattern) {
                throw ConfigIssue("path name \"\(pattern)\" is not valid for file discovery", at: "files", .index(index))
            }
        }
    }

    /// Prometheus's rule for file globs: at most one `*`, and only in the last path element.
    public static func isValidGlob(_ pattern: String) -> Bool {
        guard let star = pattern.firstIndex(of: "*") else { return true }
        return !pattern[pattern.index(after: star)...].contains { $0 == "*" || $0 == "/" }
    }
}

extension FileSDConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case files, refreshInterval = "refresh_interval"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "file_sd config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var refresh = try container.decode(.refreshInterval, or: PrometheusDuration.minutes(5))
        if refresh == .zero { refresh = .minutes(5) }
        self.init(files: try container.decode(.files, or: []), refreshInterval: refresh)
    }
}
