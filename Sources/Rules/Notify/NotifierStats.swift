import Foundation

/// NotifierStats is a snapshot of the notifier's counters, named after Prometheus's `prometheus_notifications_*` metrics.
public struct NotifierStats: Sendable, Equatable {
    /// AlertmanagerStats counts the alerts posted to one Alertmanager.
    public struct AlertmanagerStats: Sendable, Equatable {
        public var url: URL
        /// Alerts posted, successfully or not, as `prometheus_notifications_sent_total` counts them.
        public var sentTotal: Int
        /// Alerts in posts that failed, as `prometheus_notifications_errors_total` counts them.
        public var errorsTotal: Int
        /// How long the last post took, in seconds; nil before the first.
        public var lastLatencySeconds: Double?

        public init(url: URL, sentTotal: Int = 0, errorsTotal: Int = 0, lastLatencySeconds: Double? = nil) {
            self.url = url
            self.sentTotal = sentTotal
            self.errorsTotal = errorsTotal
            self.lastLatencySeconds = lastLatencySeconds
        }
    }

    /// Alerts waiting to be sent.
    public var queueLength: Int
    public var queueCapacity: Int
    /// Alerts lost: pushed out of a full queue, or in a batch that no Alertmanager accepted.
    public var droppedTotal: Int
    public var alertmanagers: [AlertmanagerStats]

    public init(queueLength: Int, queueCapacity: Int, droppedTotal: Int, alertmanagers: [AlertmanagerStats]) {
        self.queueLength = queueLength
        self.queueCapacity = queueCapacity
        self.droppedTotal = droppedTotal
        self.alertmanagers = alertmanagers
    }
}
