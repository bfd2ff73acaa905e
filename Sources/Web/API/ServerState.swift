import Foundation
import Model

/// Facts about the running server that the status endpoints report and reloads update.
public actor ServerState {
    public let startTime = Date()
    public let flags: [String: String]
    public let storageRetention: String
    public private(set) var configYAML: String
    public private(set) var reloadConfigSuccess = true
    public private(set) var lastConfigTime = Date()
    /// When the last reload was tried, nil before the first; with its error when it failed, for `/status`.
    public private(set) var lastReloadAttempt: Date?
    public private(set) var lastReloadError: String?
    /// Where alerts are sent (`…/api/v2/alerts`), for `/api/v1/alertmanagers`.
    public private(set) var alertmanagerURLs: [String] = []

    public func setAlertmanagerURLs(_ urls: [String]) { alertmanagerURLs = urls }

    /// `global.external_labels`, which federation and remote read add to the series they return.
    public private(set) var externalLabels = Labels()

    public func setExternalLabels(_ labels: Labels) { externalLabels = labels }

    public init(flags: [String: String], storageRetention: String, configYAML: String) {
        self.flags = flags
        self.storageRetention = storageRetention
        self.configYAML = configYAML
    }

    /// Notes a reload attempt; the YAML shown by `/api/v1/status/config` changes only when it succeeded.
    public func recordReload(success: Bool, yaml: String?, error: String? = nil) {
        reloadConfigSuccess = success
        lastReloadAttempt = Date()
        lastReloadError = success ? nil : error
        if success, let yaml {
            configYAML = yaml
            lastConfigTime = Date()
        }
    }
}

enum RFC3339 {
    /// Prometheus's format for times in status and target responses, with nanosecond-style fractions.
    static func string(_ date: Date, fractional: Bool = true) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
