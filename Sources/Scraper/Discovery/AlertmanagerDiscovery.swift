import Config
import Foundation
import Model
import TSDB

/// AlertmanagerTarget is one Alertmanager to post alerts to, after `relabel_configs`.
public struct AlertmanagerTarget: Sendable, Hashable {
    /// The labels after relabeling: `__address__`, `__scheme__`, `__alerts_path__` and the group's labels.
    public var labels: Labels
    /// Where alerts are posted: `__scheme__://__address____alerts_path__`.
    public var postURL: URL
    /// How long one post may take, from the Alertmanager config the target came from.
    public var timeout: PrometheusDuration
    /// TLS and credentials for posting, from the Alertmanager config the target came from.
    public var httpClient: HTTPClientConfiguration
}

/// AlertmanagerLabel names the labels an Alertmanager target is described by before and after relabeling.
public enum AlertmanagerLabel {
    /// The path alerts are posted to; relabeling can change it, as in Prometheus.
    public static let alertsPath = "__alerts_path__"
}

extension AlertmanagerConfig {
    /// The default `__alerts_path__`: `path_prefix` joined with the API version's alerts endpoint and cleaned,
    /// so `am/`, `/am` and `/am/` all give `/am/api/v2/alerts`.
    public var alertsPath: String {
        var parts: [Substring] = []
        for part in (pathPrefix + "/api/\(apiVersion.rawValue)/alerts").split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The Alertmanagers of `static_configs`, relabeled; dropped ones are left out, unusable ones are failures.
    public var staticAlertmanagers: (targets: [AlertmanagerTarget], failures: [TargetFailure]) {
        alertmanagers(from: staticConfigs)
    }

    /// The Alertmanagers of `groups`: each target's labels are its address, the configured scheme and alerts path,
    /// and its group's labels; then `relabel_configs` runs, and a missing port is filled in from the scheme.
    public func alertmanagers(from groups: [TargetGroup]) -> (targets: [AlertmanagerTarget], failures: [TargetFailure]) {
        var targets: [AlertmanagerTarget] = []
        var failures: [TargetFailure] = []
        for group in groups {
            for address in group.targets {
                var map = group.labels
                map[TargetLabel.address] = address
                map[TargetLabel.scheme] = scheme
                map[AlertmanagerLabel.alertsPath] = alertsPath
                let discovered = Labels(map)
                guard let labels = Relabeling.process(discovered, with: relabelConfigs) else { continue }
                func failure(_ message: String) -> TargetFailure {
                    TargetFailure(discoveredLabels: discovered, message: message)
                }
                guard var host = labels[TargetLabel.address], !host.isEmpty else {
                    failures.append(failure("no address"))
                    continue
                }
                let targetScheme = labels[TargetLabel.scheme] ?? ""
                guard targetScheme == "http" || targetScheme == "https" else {
                    failures.append(failure("invalid scheme: \"\(targetScheme)\""))
                    continue
                }
                if HostPort.needsPort(host) { host += targetScheme == "https" ? ":443" : ":80" }
                if host.contains("/") {
                    failures.append(failure("\"\(host)\" is not a valid hostname"))
                    continue
                }
                var path = labels[AlertmanagerLabel.alertsPath] ?? ""
                if !path.hasPrefix("/") { path = "/" + path }
                guard let url = URL(string: "\(targetScheme)://\(host)\(path)") else {
                    failures.append(failure("invalid Alertmanager URL \(targetScheme)://\(host)\(path)"))
                    continue
                }
                targets.append(AlertmanagerTarget(
                    labels: labels.setting(TargetLabel.address, to: host), postURL: url, timeout: timeout, httpClient: httpClient))
            }
        }
        return (targets, failures)
    }
}

extension AlertingConfig {
    /// Every statically configured Alertmanager, relabeled, in configuration order.
    public var staticAlertmanagers: (targets: [AlertmanagerTarget], failures: [TargetFailure]) {
        var result: (targets: [AlertmanagerTarget], failures: [TargetFailure]) = ([], [])
        for config in alertmanagers {
            let found = config.staticAlertmanagers
            result.targets += found.targets
            result.failures += found.failures
        }
        return result
    }

    /// An alert's labels after `alert_relabel_configs`, or nil when relabeling drops the alert.
    ///
    /// External labels must already be on the alert: Prometheus adds them first, so rules can match on them.
    public func relabelAlert(_ labels: Labels) -> Labels? {
        Relabeling.process(labels, with: alertRelabelConfigs)
    }
}
