import Foundation
import Logging
import Rules
import Config
import Scraper

extension Notifier {
    /// A notifier for the configuration's `alerting` section: every static Alertmanager after `relabel_configs`,
    /// each with its own timeout and alerts path, and `alert_relabel_configs` applied to every alert.
    ///
    /// Alertmanagers whose relabeled labels cannot be posted to (no address, an unsupported scheme) are logged and
    /// left out, as Prometheus leaves them out of its active Alertmanagers.
    static func configured(by configuration: PrometheusConfiguration, logger: Logger) -> Notifier {
        let (endpoints, relabel) = settings(configuration, logger: logger)
        return Notifier(
            endpoints: endpoints, externalLabels: configuration.global.externalLabels, relabel: relabel, logger: logger)
    }

    /// Applies a reloaded configuration's `alerting` section and external labels.
    func apply(_ configuration: PrometheusConfiguration, logger: Logger) {
        let (endpoints, relabel) = Self.settings(configuration, logger: logger)
        apply(endpoints: endpoints, externalLabels: configuration.global.externalLabels, relabel: relabel)
    }

    private static func settings(
        _ configuration: PrometheusConfiguration, logger: Logger
    ) -> (endpoints: [Endpoint], relabel: AlertRelabeling?) {
        let alerting = configuration.alerting
        let (targets, failures) = alerting.staticAlertmanagers
        for failure in failures {
            logger.warning("Alertmanager dropped", metadata: ["error": .string(failure.description)])
        }
        let endpoints = targets.map { Endpoint(url: $0.postURL, timeout: $0.timeout.duration, httpClient: $0.httpClient) }
        var relabel: AlertRelabeling?
        if !alerting.alertRelabelConfigs.isEmpty { relabel = { @Sendable labels in alerting.relabelAlert(labels) } }
        return (endpoints, relabel)
    }

    /// The URL each Alertmanager receives alerts on, as `/api/v1/alertmanagers` lists them.
    static func alertsEndpoints(from config: AlertingConfig) -> [String] {
        config.staticAlertmanagers.targets.map { $0.postURL.absoluteString }
    }
}
