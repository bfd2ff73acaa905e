import Config
import Foundation
import Model
import TSDB

/// DiscoveredTarget is one target of a job, with its labels before and after relabeling.
public struct DiscoveredTarget: Sendable, Hashable {
    /// What discovery found plus the job's defaults (`__address__`, `__scheme__`, `job`, …), before relabeling:
    /// Prometheus's "Discovered Labels".
    public var discoveredLabels: Labels
    /// The labels every scraped sample gets, with `__`-prefixed labels removed; nil when relabeling dropped the target.
    public var labels: Labels?
    /// Where to scrape, nil when dropped.
    public var scrapeURL: URL?
    /// The interval and timeout after relabeling, which may change them through `__scrape_interval__`/`__scrape_timeout__`.
    public var scrapeInterval: PrometheusDuration
    public var scrapeTimeout: PrometheusDuration

    public init(
        discoveredLabels: Labels, labels: Labels?, scrapeURL: URL?, scrapeInterval: PrometheusDuration,
        scrapeTimeout: PrometheusDuration
    ) {
        self.discoveredLabels = discoveredLabels
        self.labels = labels
        self.scrapeURL = scrapeURL
        self.scrapeInterval = scrapeInterval
        self.scrapeTimeout = scrapeTimeout
    }

    public var isDropped: Bool { labels == nil }
}

/// TargetFailure is a target that relabeling left unusable, such as one without an address; it is not scraped.
public struct TargetFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var discoveredLabels: Labels
    public var message: String

    public var description: String { "\(message) (discovered labels \(discoveredLabels))" }
}

/// TargetDiscoveryResult is the targets of a job's groups, in group order, and the ones that failed.
public struct TargetDiscoveryResult: Sendable, Hashable {
    public var targets: [DiscoveredTarget]
    public var failures: [TargetFailure]

    /// The targets relabeling kept.
    public var active: [DiscoveredTarget] { targets.filter { !$0.isDropped } }
}

/// Label names Prometheus gives special meaning in target relabeling.
public enum TargetLabel {
    public static let address = "__address__"
    public static let scheme = "__scheme__"
    public static let metricsPath = "__metrics_path__"
    public static let scrapeInterval = "__scrape_interval__"
    public static let scrapeTimeout = "__scrape_timeout__"
    public static let paramPrefix = "__param_"
    public static let metaPrefix = "__meta_"
    public static let reservedPrefix = "__"
    public static let job = "job"
    public static let instance = "instance"
}

extension ScrapeConfig {
    /// The targets of `static_configs`.
    public var staticTargets: TargetDiscoveryResult { targets(from: staticConfigs) }

    /// The targets of `groups` (static configs and groups from file discovery), relabeled.
    public func targets(from groups: [TargetGroup]) -> TargetDiscoveryResult {
        var result = TargetDiscoveryResult(targets: [], failures: [])
        for group in groups {
            for address in group.targets {
                let discovered = discoveredLabels(address: address, group: group)
                do {
                    result.targets.append(try target(discoveredLabels: discovered))
                } catch {
                    result.failures.append(error)
                }
            }
        }
        return result
    }

    /// A target's labels before relabeling: its address, its group's labels, then the job's defaults for any
    /// label not already set, so discovery can override the scheme, path or job.
    public func discoveredLabels(address: String, group: TargetGroup) -> Labels {
        var labels = group.labels
        labels[TargetLabel.address] = address
        let defaults = [
            (TargetLabel.job, jobName), (TargetLabel.scrapeInterval, scrapeInterval.description),
            (TargetLabel.scrapeTimeout, scrapeTimeout.description), (TargetLabel.metricsPath, metricsPath),
            (TargetLabel.scheme, scheme),
        ]
        for (name, value) in defaults where (labels[name] ?? "").isEmpty { labels[name] = value }
        for (name, values) in params {
            let label = TargetLabel.paramPrefix + name
            if let first = values.first, (labels[label] ?? "").isEmpty { labels[label] = first }
        }
        return Labels(labels)
    }

    /// Applies `relabel_configs` and Prometheus's post-processing to one target's discovered labels.
    ///
    /// After relabeling: a port is added to the address if it has none (80 for http, 443 for https), `__meta_` labels are
    /// removed, `instance` defaults to the address, and the interval and timeout are read back from their labels.
    public func target(discoveredLabels: Labels) throws(TargetFailure) -> DiscoveredTarget {
        func failure(_ message: String) -> TargetFailure {
            TargetFailure(discoveredLabels: discoveredLabels, message: message)
        }
        guard var labels = Relabeling.process(discoveredLabels, with: relabelConfigs) else {
            return DiscoveredTarget(
                discoveredLabels: discoveredLabels, labels: nil, scrapeURL: nil, scrapeInterval: scrapeInterval,
                scrapeTimeout: scrapeTimeout)
        }
        guard var address = labels[TargetLabel.address] else { throw failure("no address") }
        let scheme = labels[TargetLabel.scheme] ?? ""
        guard scheme == "http" || scheme == "https" || scheme.isEmpty else {
            throw failure("invalid scheme: \"\(scheme)\"")
        }
        if HostPort.needsPort(address) {
            address += scheme == "https" ? ":443" : ":80"
            labels = labels.setting(TargetLabel.address, to: address)
        }
        if address.contains("/") { throw failure("\"\(address)\" is not a valid hostname") }

        let intervalText = labels[TargetLabel.scrapeInterval] ?? ""
        let timeoutText = labels[TargetLabel.scrapeTimeout] ?? ""
        let interval: PrometheusDuration
        let timeout: PrometheusDuration
        do { interval = try PrometheusDuration(parsing: intervalText) } catch {
            throw failure("error parsing scrape interval: \(error)")
        }
        do { timeout = try PrometheusDuration(parsing: timeoutText) } catch {
            throw failure("error parsing scrape timeout: \(error)")
        }
        if interval == .zero { throw failure("scrape interval cannot be 0") }
        if timeout == .zero { throw failure("scrape timeout cannot be 0") }
        if timeout > interval {
            throw failure("scrape timeout cannot be greater than scrape interval (\"\(timeoutText)\" > \"\(intervalText)\")")
        }

        labels = Labels(labels.filter { !$0.name.hasPrefix(TargetLabel.metaPrefix) })
        if labels[TargetLabel.instance] == nil { labels = labels.setting(TargetLabel.instance, to: address) }
        guard let url = scrapeURL(scheme: scheme.isEmpty ? "http" : scheme, address: address, labels: labels) else {
            throw failure("cannot build a scrape URL from address \"\(address)\"")
        }
        return DiscoveredTarget(
            discoveredLabels: discoveredLabels, labels: Labels(labels.filter { !$0.name.hasPrefix(TargetLabel.reservedPrefix) }),
            scrapeURL: url, scrapeInterval: interval, scrapeTimeout: timeout)
    }

    /// `scheme://address/path?query`, where `__param_<name>` labels replace the first value of parameter `name`.
    private func scrapeURL(scheme: String, address: String, labels: Labels) -> URL? {
        var query = params
        for label in labels where label.name.hasPrefix(TargetLabel.paramPrefix) {
            let name = String(label.name.dropFirst(TargetLabel.paramPrefix.count))
            if query[name]?.isEmpty == false { query[name]![0] = label.value } else { query[name] = [label.value] }
        }
        var path = labels[TargetLabel.metricsPath] ?? ""
        if !path.isEmpty && !path.hasPrefix("/") { path = "/" + path }
        var text = scheme + "://" + address + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path)
        if !query.isEmpty {
            text += "?" + query.keys.sorted().flatMap { name in
                query[name]!.map { Self.queryEscape(name) + "=" + Self.queryEscape($0) }
            }.joined(separator: "&")
        }
        return URL(string: text)
    }

    /// Escapes a query component as Go's `url.QueryEscape` does: space as `+`, only `A-Za-z0-9-_.~` left bare.
    static func queryEscape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: " "): out += "+"
            case _ where LabelName.isWordByte(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

/// HostPort holds Go's `net.SplitHostPort` rules, which decide whether Prometheus adds a default port.
enum HostPort {
    /// Whether `address` has no port but would be valid with one, so a default port should be appended.
    static func needsPort(_ address: String) -> Bool {
        !canSplit(address) && canSplit(address + ":1234")
    }

    /// Whether `address` splits into host and port: `host:port` or `[ipv6]:port`.
    static func canSplit(_ address: String) -> Bool {
        guard let colon = address.lastIndex(of: ":") else { return false }
        let host = address[..<colon]
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count >= 2 else { return false }
            let inner = host.dropFirst().dropLast()
            return !inner.contains("[") && !inner.contains("]")
        }
        return !host.contains(":") && !host.contains("[") && !host.contains("]")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
