import Foundation

/// Loads and validates a Prometheus-format configuration file, resolving relative paths against its directory.
public func loadConfiguration(file: URL) throws(ConfigError) -> PrometheusConfiguration {
    let path = file.path
    let text: String
    do {
        text = try String(contentsOf: file, encoding: .utf8)
    } catch {
        throw ConfigError(code: .io, file: path, message: "cannot read configuration file: \(error.localizedDescription)")
    }
    return try PrometheusConfiguration(yaml: text, file: path)
        .resolvingPaths(relativeTo: file.deletingLastPathComponent().path)
}

extension PrometheusConfiguration {
    /// Parses and validates configuration text; `file` names it in errors. Relative paths are left as written.
    ///
    /// An empty document is the default configuration, as in Prometheus.
    public init(yaml: String, file: String) throws(ConfigError) {
        self = try YAMLLoader.decode(PrometheusConfiguration.self, yaml: yaml, file: file, empty: PrometheusConfiguration()) {
            (config: PrometheusConfiguration) throws(ConfigIssue) in try config.resolved()
        }
    }
}

/// YAMLLoader decodes the YAML files the scraper reads (prometheus.yml, file_sd files) through `YAMLDocument`, so
/// anchors and merge keys work and every error has a line and column.
enum YAMLLoader {
    /// Decodes `yaml` as `T` (or `empty` for an empty document), then runs `finish` for defaults and validation.
    static func decode<T: Decodable>(
        _ type: T.Type, yaml: String, file: String, empty: T,
        finish: (T) throws(ConfigIssue) -> T = { $0 }
    ) throws(ConfigError) -> T {
        try YAMLDocument(yaml: yaml, file: file).decode(T.self, empty: empty, finish: finish)
    }
}
