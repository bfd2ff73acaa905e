import Foundation
import Model
import TSDB

/// AlertHistory counts how often each alerting rule fired over the last 24 hours, from the stored
/// `ALERTS{alertstate="firing"}` series, for `/alerts` and `/rules`.
///
/// The count is of firing episodes: a series' run of samples that a staleness marker, or a gap longer than
/// `episodeGap`, ends. Results are cached for `cacheSeconds`, since the pages refresh often and the range is long.
public actor AlertHistory {
    /// The window counted, in milliseconds.
    public static let window: Int64 = 24 * 3_600_000
    let querier: any Querier
    let cacheSeconds: Double
    /// Samples further apart than this start a new episode even without a staleness marker (a restart, say).
    let episodeGap: Int64
    private var cached: (at: Date, episodes: [(labels: Labels, count: Int)])?

    public init(querier: any Querier, cacheSeconds: Double = 60, episodeGap: Int64 = 5 * 60_000) {
        self.querier = querier
        self.cacheSeconds = cacheSeconds
        self.episodeGap = episodeGap
    }

    /// Firing episodes per `ALERTS` series in the 24 hours before `now`, from the cache when it is fresh enough.
    public func firingEpisodes(now: Date) async -> [(labels: Labels, count: Int)] {
        if let cached, now.timeIntervalSince(cached.at) >= 0, now.timeIntervalSince(cached.at) < cacheSeconds {
            return cached.episodes
        }
        let end = Timestamp((now.timeIntervalSince1970 * 1000).rounded())
        var episodes: [(labels: Labels, count: Int)] = []
        do {
            let matchers = [try Matcher(.equal, Labels.metricName, "ALERTS"), try Matcher(.equal, "alertstate", "firing")]
            for series in try await querier.select(matchers, mint: end &- Self.window, maxt: end) {
                let count = Self.countEpisodes(series.samples, gap: episodeGap)
                if count > 0 { episodes.append((series.labels, count)) }
            }
        } catch {
            // A failed read shows no counts rather than failing the page; the next request tries again.
            return []
        }
        cached = (now, episodes)
        return episodes
    }

    /// Sets `firedLast24h` on every alerting rule of `groups`.
    public func annotate(_ groups: [RuleGroupView], now: Date) async -> [RuleGroupView] {
        let episodes = await firingEpisodes(now: now)
        return groups.map { group in
            var group = group
            group.rules = group.rules.map { rule in
                guard rule.isAlerting else { return rule }
                var rule = rule
                rule.firedLast24h = Self.count(episodes, for: rule)
                return rule
            }
            return group
        }
    }

    /// Episodes of the series a rule writes: its name as `alertname` and its fixed labels (templated ones can vary).
    static func count(_ episodes: [(labels: Labels, count: Int)], for rule: RuleView) -> Int {
        let fixed = rule.labels.filter { !$0.value.contains("{{") }
        return episodes.reduce(0) { total, entry in
            guard entry.labels["alertname"] == rule.name, fixed.allSatisfy({ entry.labels[$0.name] == $0.value }) else { return total }
            return total + entry.count
        }
    }

    /// Runs of samples in time order, each started by the first sample, one after a staleness marker, or one more
    /// than `gap` milliseconds after the previous sample.
    static func countEpisodes(_ samples: [Sample], gap: Int64) -> Int {
        var episodes = 0
        var previous: Sample?
        for sample in samples {
            defer { previous = sample }
            if StaleNaN.isStale(sample.v) { continue }
            guard let before = previous, !StaleNaN.isStale(before.v), sample.t &- before.t <= gap else {
                episodes += 1
                continue
            }
        }
        return episodes
    }
}
