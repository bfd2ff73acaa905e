import TSDB

extension AlertingRuleState {
    /// The metric name of the series recording each alert's state.
    public static let alertsMetric = "ALERTS"
    /// The metric name of the series recording each alert's `activeAt`, read back to restore `for` after a restart.
    public static let alertsForStateMetric = "ALERTS_FOR_STATE"

    /// The `ALERTS{alertname, alertstate, …}` samples of this evaluation: 1 for each pending or firing alert.
    ///
    /// `ruleLabels` are the rule's labels as written; like Prometheus, the alert's own labels override them, so they
    /// only show through where a label template expanded to nothing. Resolved alerts have no sample: their series
    /// go stale. Prometheus writes these only once `for` state has been restored; that decision is the caller's.
    public func alertsSamples(alertName: String, ruleLabels: Labels = Labels()) -> [(labels: Labels, value: Double)] {
        activeAlerts.map { alert in
            let labels = Self.seriesLabels(alert, metric: Self.alertsMetric, alertName: alertName, ruleLabels: ruleLabels)
                .setting("alertstate", to: alert.state.description)
            return (labels, 1)
        }
    }

    /// The `ALERTS_FOR_STATE{alertname, …}` samples of this evaluation: each pending or firing alert's `activeAt`
    /// in whole seconds since the epoch.
    public func alertsForStateSamples(alertName: String, ruleLabels: Labels = Labels()) -> [(labels: Labels, value: Double)] {
        activeAlerts.map { alert in
            (Self.forStateSeriesLabels(alert, alertName: alertName, ruleLabels: ruleLabels), Self.seconds(alert.activeAt))
        }
    }

    /// The labels of an alert's `ALERTS_FOR_STATE` series, the series restoration reads back.
    public static func forStateSeriesLabels(_ alert: AlertState, alertName: String, ruleLabels: Labels = Labels()) -> Labels {
        seriesLabels(alert, metric: alertsForStateMetric, alertName: alertName, ruleLabels: ruleLabels)
    }

    private static func seriesLabels(_ alert: AlertState, metric: String, alertName: String, ruleLabels: Labels) -> Labels {
        var byName: [String: String] = [:]
        for label in ruleLabels { byName[label.name] = label.value }
        for label in alert.labels { byName[label.name] = label.value }
        byName[Labels.metricName] = metric
        byName["alertname"] = alertName
        return Labels(byName)
    }

    /// Milliseconds to whole seconds, rounding down as Go's `Time.Unix` does.
    static func seconds(_ milliseconds: Timestamp) -> Double {
        Double(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
    }
}
