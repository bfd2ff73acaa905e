import Foundation
import TSDB

/// Whether a target's last scrape worked, as `/api/v1/targets` reports it.
public enum TargetHealth: String, Sendable, Codable {
    case up, down, unknown
}

/// What the `/targets` views show about one target.
public struct TargetStatus: Sendable, Equatable {
    public var job: String
    public var scrapeURL: String
    public var labels: Labels
    public var discoveredLabels: Labels
    public var health: TargetHealth
    public var lastError: String
    public var lastScrape: Date?
    public var lastScrapeDuration: Double
    public var scrapeInterval: Int64
    public var scrapeTimeout: Int64
    public var samplesScraped: Int

    public init(job: String, scrapeURL: String, labels: Labels, discoveredLabels: Labels, scrapeInterval: Int64, scrapeTimeout: Int64) {
        self.job = job
        self.scrapeURL = scrapeURL
        self.labels = labels
        self.discoveredLabels = discoveredLabels
        self.health = .unknown
        self.lastError = ""
        self.lastScrape = nil
        self.lastScrapeDuration = 0
        self.scrapeInterval = scrapeInterval
        self.scrapeTimeout = scrapeTimeout
        self.samplesScraped = 0
    }
}

/// A target that is not scraped: relabeling dropped it (kept for `droppedTargets`), or its labels after relabeling
/// are unusable, such as an address with a path.
public struct DroppedTarget: Sendable, Equatable {
    public var job: String
    public var discoveredLabels: Labels
    /// Why it is not scraped, for `/service-discovery`: the relabeling step that dropped it, or what is wrong with it.
    public var reason: String

    public init(job: String, discoveredLabels: Labels, reason: String) {
        self.job = job
        self.discoveredLabels = discoveredLabels
        self.reason = reason
    }
}

/// The outcome of one scrape, for Vigil's own metrics.
public struct ScrapeReport: Sendable {
    public var job: String
    public var success: Bool
    public var durationSeconds: Double
    public var samplesScraped: Int
    public var samplesStored: Int
    public var outOfOrder: Int
    public var duplicateTimestamp: Int
    public var seriesAdded: Int
}
