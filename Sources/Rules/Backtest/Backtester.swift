import Foundation
import PromQL
import TSDB

/// Backtester replays the alerting rules of rule files over stored history and records when each alert was active.
///
/// It steps every group from `from` to `to` at the group's interval (or a fixed step), evaluating it with
/// `RuleGroup.evaluate`, so `for` and `keep_firing_for` behave exactly as they do live. Recording rules are not
/// evaluated and nothing is written back: a rule that reads a recorded series sees whatever history holds, and the
/// `ALERTS` samples an evaluation produces are discarded. History before `from` is not consulted for alert state,
/// so an alert that was already firing at `from` starts out pending there.
public struct Backtester: Sendable {
    /// The rule groups to replay, with only their alerting rules.
    public let groups: [RuleGroup]

    /// The most evaluations one run may make, summed over groups; a guard against a typo such as `--step 1ms`.
    public static let maxEvaluations = 5_000_000

    /// Builds the groups of `files`, keeping only alerting rules; groups with none are dropped.
    ///
    /// `defaultInterval` (ms) is the step of groups that set no `interval`, as `evaluation_interval` is in serving.
    public init(files: [LoadedRuleFile], defaultInterval: Int64 = 60_000) throws(TemplateError) {
        var groups: [RuleGroup] = []
        for file in files {
            for var spec in file.groups {
                spec.rules = spec.rules.filter(\.kind.isAlerting)
                guard !spec.rules.isEmpty else { continue }
                groups.append(try RuleGroup(spec: spec, file: file.path, defaultInterval: defaultInterval))
            }
        }
        self.groups = groups
    }

    /// How many evaluations a run over `[from, to]` makes.
    public func evaluationCount(from: Timestamp, to: Timestamp, step: Int64? = nil) -> Int {
        guard to >= from else { return 0 }
        return groups.reduce(0) { $0 + Int((to - from) / max(step ?? $1.interval, 1)) + 1 }
    }

    /// Replays every group over `[from, to]` (ms), querying history through `query`.
    ///
    /// `step` (ms) replaces each group's interval. Groups are independent, since nothing is written back.
    public func run(from: Timestamp, to: Timestamp, step: Int64? = nil, query: QueryFunc) async -> BacktestReport {
        var report = BacktestReport(from: from, to: to)
        for var group in groups {
            let interval = max(step ?? group.interval, 1)
            var tracker = EpisodeTracker(group: group)
            var time = from
            while time <= to {
                _ = await group.evaluate(at: time, query: query, appendNow: { _, _ in })
                report.evaluations += 1
                tracker.observe(group, at: time)
                time += interval
            }
            report.episodes += tracker.finish(at: to)
            report.rules += tracker.summaries
        }
        report.episodes.sort { a, b in
            if a.pendingSince != b.pendingSince { return a.pendingSince < b.pendingSince }
            if a.rule != b.rule { return a.rule < b.rule }
            return a.labels.pairs.lexicographicallyPrecedes(b.labels.pairs)
        }
        return report
    }

    /// EpisodeTracker turns the alert state after each evaluation into episodes: from pending to no longer active.
    struct EpisodeTracker {
        var summaries: [BacktestReport.RuleSummary]
        /// The open episode of each alert, by rule index and labels.
        var open: [Int: [Labels: BacktestReport.Episode]] = [:]
        var closed: [BacktestReport.Episode] = []

        init(group: RuleGroup) {
            summaries = group.rules.map { BacktestReport.RuleSummary(rule: $0.name, group: group.name, file: group.file) }
        }

        mutating func observe(_ group: RuleGroup, at time: Timestamp) {
            for (index, rule) in group.rules.enumerated() {
                if rule.health.status == .err {
                    summaries[index].failedEvaluations += 1
                    if summaries[index].firstError == nil {
                        summaries[index].firstError = "at \(BacktestReport.formatTime(time)): \(rule.health.lastError)"
                    }
                }
                var episodes = open[index] ?? [:]
                var active: Set<Labels> = []
                for alert in rule.alertState.activeAlerts {
                    active.insert(alert.labels)
                    // A changed activeAt means the alert ended and began again between two observations.
                    if let episode = episodes[alert.labels], episode.pendingSince != alert.activeAt {
                        close(episode, at: time, index: index)
                        episodes[alert.labels] = nil
                    }
                    var episode = episodes[alert.labels] ?? BacktestReport.Episode(
                        rule: rule.name, group: group.name, file: group.file, labels: alert.labels.removing([Labels.alertName]),
                        pendingSince: alert.activeAt)
                    if alert.state == .firing && episode.firingFrom == nil { episode.firingFrom = alert.firedAt ?? time }
                    episodes[alert.labels] = episode
                }
                for (labels, episode) in episodes where !active.contains(labels) {
                    close(episode, at: time, index: index)
                    episodes[labels] = nil
                }
                open[index] = episodes
            }
        }

        private mutating func close(_ episode: BacktestReport.Episode, at time: Timestamp, index: Int) {
            var episode = episode
            episode.end = time
            record(episode, index: index, until: time)
        }

        private mutating func record(_ episode: BacktestReport.Episode, index: Int, until end: Timestamp) {
            summaries[index].alerts += 1
            if episode.firingFrom != nil {
                summaries[index].fired += 1
                summaries[index].firingMillis += episode.firingMillis(until: end)
            }
            closed.append(episode)
        }

        /// Every episode, those still active at `to` left open (`end` nil).
        mutating func finish(at to: Timestamp) -> [BacktestReport.Episode] {
            for (index, episodes) in open.sorted(by: { $0.key < $1.key }) {
                for episode in episodes.values { record(episode, index: index, until: to) }
            }
            open = [:]
            return closed
        }
    }
}

/// BacktestReport is what a backtest found: each alert's episodes of being pending and firing, and a count per rule.
public struct BacktestReport: Sendable, Equatable {
    /// Episode is one alert (a label set of a rule) from when it became pending until it was no longer active.
    public struct Episode: Sendable, Equatable {
        public var rule: String
        public var group: String
        public var file: String
        /// The alert's labels without `alertname`.
        public var labels: Labels
        /// When the condition started to hold (`activeAt`).
        public var pendingSince: Timestamp
        /// When the alert fired, once `for` had passed; nil if it never fired.
        public var firingFrom: Timestamp?
        /// The first evaluation at which the alert was neither pending nor firing; nil if it was still active at `to`.
        public var end: Timestamp?

        public init(
            rule: String, group: String, file: String, labels: Labels, pendingSince: Timestamp, firingFrom: Timestamp? = nil,
            end: Timestamp? = nil
        ) {
            self.rule = rule
            self.group = group
            self.file = file
            self.labels = labels
            self.pendingSince = pendingSince
            self.firingFrom = firingFrom
            self.end = end
        }

        /// How long the alert was pending before it fired or went away, with `to` standing in for an open end.
        public func pendingMillis(until to: Timestamp) -> Int64 { (firingFrom ?? end ?? to) - pendingSince }

        /// How long the alert fired, with `to` standing in for an open end; 0 if it never fired.
        public func firingMillis(until to: Timestamp) -> Int64 { firingFrom.map { (end ?? to) - $0 } ?? 0 }
    }

    /// RuleSummary counts one alerting rule's alerts and failed evaluations over the run.
    public struct RuleSummary: Sendable, Equatable {
        public var rule: String
        public var group: String
        public var file: String
        /// Episodes, pending or firing.
        public var alerts = 0
        /// Episodes that reached firing.
        public var fired = 0
        /// Firing time summed over episodes; open episodes count up to the report's end.
        public var firingMillis: Int64 = 0
        public var failedEvaluations = 0
        public var firstError: String?

        public init(rule: String, group: String, file: String) {
            self.rule = rule
            self.group = group
            self.file = file
        }
    }

    public var from: Timestamp
    public var to: Timestamp
    public var evaluations = 0
    /// Episodes ordered by when they became pending.
    public var episodes: [Episode] = []
    /// One summary per alerting rule, in file order.
    public var rules: [RuleSummary] = []

    public init(from: Timestamp, to: Timestamp) {
        self.from = from
        self.to = to
    }

    /// The episodes as an aligned table, then the per-rule summary.
    ///
    /// ```
    /// ALERTNAME  LABELS                PENDING SINCE         FIRING FROM → TO                             FIRING
    /// APIDown    {instance="api:8000"} 2026-01-01T10:00:00Z  2026-01-01T10:01:00Z → 2026-01-01T10:09:00Z  8m
    /// ```
    public var text: String {
        var rows: [[String]] = [["ALERTNAME", "LABELS", "PENDING SINCE", "FIRING FROM → TO", "FIRING"]]
        for episode in episodes {
            let firing: String
            if let firingFrom = episode.firingFrom {
                firing = "\(Self.formatTime(firingFrom)) → \(episode.end.map(Self.formatTime) ?? "(still firing)")"
            } else {
                firing = "(never fired; \(episode.end == nil ? "still pending" : "pending \(formatDuration(episode.pendingMillis(until: to)))"))"
            }
            rows.append([
                episode.rule, Self.formatLabels(episode.labels), Self.formatTime(episode.pendingSince), firing,
                episode.firingFrom == nil ? "-" : formatDuration(episode.firingMillis(until: to)),
            ])
        }
        var out = "Backtest from \(Self.formatTime(from)) to \(Self.formatTime(to)): \(evaluations) evaluations\n\n"
        out += episodes.isEmpty ? "No alert was pending or firing.\n" : Self.table(rows)
        var summary: [[String]] = [["RULE", "GROUP", "ALERTS", "FIRED", "FIRING TIME", "FAILED EVALUATIONS"]]
        for rule in rules {
            summary.append([rule.rule, rule.group, "\(rule.alerts)", "\(rule.fired)", formatDuration(rule.firingMillis), "\(rule.failedEvaluations)"])
        }
        out += "\n" + Self.table(summary)
        for rule in rules {
            if let error = rule.firstError { out += "\n\(rule.rule): \(rule.failedEvaluations) failed evaluations, first \(error)" }
        }
        if rules.contains(where: { $0.firstError != nil }) { out += "\n" }
        return out
    }

    static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() {
                line += index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }
            return line
        }.joined(separator: "\n") + "\n"
    }

    /// Labels as `{a="b", c="d"}`, or `{}`.
    static func formatLabels(_ labels: Labels) -> String {
        "{" + labels.map { "\($0.name)=\(quoted($0.value))" }.joined(separator: ", ") + "}"
    }

    /// A time in milliseconds as RFC 3339 in UTC, with milliseconds only when there are any.
    static func formatTime(_ time: Timestamp) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        if time % 1000 != 0 { formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }
        return formatter.string(from: Date(timeIntervalSince1970: Double(time) / 1000))
    }
}

/// BacktestTime reads the times `backtest` accepts: RFC 3339, Unix seconds, `now`, or a duration before now.
public enum BacktestTime {
    /// Milliseconds since the epoch for `text`, given the current time `now` (ms); nil when it is none of the forms.
    ///
    /// Relative times are `-24h` or `now-24h` (any Prometheus duration, such as `1h30m`); `now` alone is `now`.
    public static func parse(_ text: String, now: Timestamp) -> Timestamp? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "now" { return now }
        var relative: Substring?
        if text.hasPrefix("now-") { relative = text.dropFirst(4) } else if text.hasPrefix("-") { relative = text.dropFirst() }
        if let relative, let duration = try? parseDuration(String(relative)) { return now - duration }
        if let seconds = Double(text), seconds.isFinite { return Timestamp((seconds * 1000).rounded()) }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Timestamp((date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Timestamp((date.timeIntervalSince1970 * 1000).rounded()) }
        return nil
    }
}
