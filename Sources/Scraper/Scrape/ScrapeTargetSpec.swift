import Config
import Foundation
import TSDB

/// Everything a scrape loop needs to know about its target; two specs that are equal share one loop.
public struct ScrapeTargetSpec: Sendable, Hashable {
    public var config: ScrapeConfig
    public var scrapeURL: String
    public var labels: Labels
    public var discoveredLabels: Labels

    public init(config: ScrapeConfig, target: DiscoveredTarget) {
        var config = config
        config.scrapeInterval = target.scrapeInterval
        config.scrapeTimeout = target.scrapeTimeout
        self.config = config
        self.scrapeURL = target.scrapeURL?.absoluteString ?? ""
        self.labels = target.labels ?? Labels()
        self.discoveredLabels = target.discoveredLabels
    }

    var initialStatus: TargetStatus {
        TargetStatus(job: config.jobName, scrapeURL: scrapeURL, labels: labels, discoveredLabels: discoveredLabels,
                     scrapeInterval: config.scrapeInterval.milliseconds, scrapeTimeout: config.scrapeTimeout.milliseconds)
    }

    /// Spreads targets over the interval by a hash of their identity, as Prometheus does, so scrapes do not bunch up.
    func offset(now: Timestamp) -> Int64 {
        let interval = config.scrapeInterval.milliseconds
        guard interval > 0 else { return 0 }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in (scrapeURL + labels.description).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let slot = Int64(hash % UInt64(interval))
        // The next time t ≥ now with t ≡ slot (mod interval).
        return ((slot - now % interval) % interval + interval) % interval
    }
}
