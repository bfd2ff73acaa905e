import Foundation
import Rules
import Scraper

extension Notifier {
    /// The base URLs of the statically configured Alertmanagers: `scheme://address/path_prefix`, one per target.
    ///
    /// Only `static_configs` targets are taken, and only when no `relabel_configs` would rewrite them; Alertmanagers
    /// from `file_sd_configs` need discovery, which the notifier does not do yet.
    static func alertmanagerURLs(from config: AlertingConfig) -> [URL] {
        var urls: [URL] = []
        for alertmanager in config.alertmanagers where alertmanager.relabelConfigs.isEmpty {
            var prefix = alertmanager.pathPrefix
            while prefix.hasSuffix("/") { prefix.removeLast() }
            if !prefix.isEmpty, !prefix.hasPrefix("/") { prefix = "/" + prefix }
            for group in alertmanager.staticConfigs {
                for target in group.targets {
                    if let url = URL(string: "\(alertmanager.scheme)://\(target)\(prefix)") { urls.append(url) }
                }
            }
        }
        return urls
    }

    /// The URL each Alertmanager receives alerts on, as `/api/v1/alertmanagers` lists them.
    static func alertsEndpoints(from config: AlertingConfig) -> [String] {
        alertmanagerURLs(from: config).map { $0.absoluteString + "/api/v2/alerts" }
    }
}
