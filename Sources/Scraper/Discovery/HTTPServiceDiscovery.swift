import AsyncHTTPClient
import Config
import Foundation
import Model
import NIOCore
import OutboundHTTP

/// HTTPServiceDiscovery fetches the target groups of one `http_sd_configs` entry, as Prometheus 2.42's HTTP SD does.
///
/// The endpoint must answer 200 with `Content-Type: application/json` and a JSON list of `{targets, labels}`
/// groups. Every group gets `__meta_url`; a group's source is `url:index`. The scrape manager keeps the last good
/// answer when a refresh fails, so a flapping endpoint does not make targets vanish.
public enum HTTPServiceDiscovery {
    /// The label every target from HTTP SD carries, naming the URL it came from.
    public static let urlLabel = "__meta_url"
    /// The most bytes an answer may have; a discovery document past this is refused rather than buffered.
    static let maximumBodyBytes = 64 << 20

    /// One refresh: the groups the endpoint lists now, or the reason it could not be used.
    static func fetch(_ config: HTTPSDConfig, pool: HTTPClientPool) async throws(ConfigError) -> [TargetGroup] {
        func failure(_ message: String) -> ConfigError { ConfigError(code: .io, file: config.url, message: message) }
        let client: HTTPClient
        var request: HTTPClientRequest
        do {
            (client, request) = try pool.prepare(url: config.url, settings: config.httpClient)
        } catch {
            throw failure(error.message)
        }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: TargetFetcher.userAgent)
        request.headers.add(
            name: "X-Prometheus-Refresh-Interval-Seconds", value: String(format: "%g", Double(config.refreshInterval.milliseconds) / 1000))
        let body: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: .milliseconds(requestTimeoutMillis(config)))
            guard response.status == .ok else {
                throw failure("server returned HTTP status \(response.status.code) \(response.status.reasonPhrase)")
            }
            let contentType = response.headers.first(name: "Content-Type") ?? ""
            guard isJSON(contentType) else { throw failure("unsupported content type \"\(contentType)\"") }
            body = try await response.body.collect(upTo: maximumBodyBytes)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw failure(TargetFetcher.describe(error))
        }
        return try parse(Array(body.readableBytesView), url: config.url)
    }

    /// How long one refresh may take: its interval, from 1 s to 30 s. The HTTP client retries refused connections until
    /// this deadline, so it also bounds how late an unreachable endpoint is counted as a failure.
    static func requestTimeoutMillis(_ config: HTTPSDConfig) -> Int64 {
        min(max(config.refreshInterval.milliseconds, 1000), 30_000)
    }

    /// Whether a Content-Type is `application/json`, parameters allowed, as Prometheus's `^application/json(;.*)?$`.
    static func isJSON(_ contentType: String) -> Bool {
        contentType == "application/json" || contentType.hasPrefix("application/json;")
    }

    /// The groups of an answer body, each labeled with `__meta_url`.
    public static func parse(_ bytes: [UInt8], url: String) throws(ConfigError) -> [TargetGroup] {
        func failure(_ message: String) -> ConfigError { ConfigError(code: .invalidValue, file: url, message: message) }
        let decoded: [HTTPTargetGroup?]
        do {
            decoded = try JSONDecoder().decode([HTTPTargetGroup?].self, from: Data(bytes))
        } catch {
            throw failure("invalid target groups: \(error)")
        }
        var groups: [TargetGroup] = []
        for (index, entry) in decoded.enumerated() {
            guard let entry else { throw failure("nil target group item found") }
            var labels = entry.labels ?? [:]
            if let bad = labels.keys.sorted().first(where: { !LabelName.isValid($0) }) {
                throw failure("\"\(bad)\" is not a valid label name")
            }
            labels[urlLabel] = url
            groups.append(TargetGroup(targets: entry.targets ?? [], labels: labels, source: "\(url):\(index)"))
        }
        return groups
    }
}

/// A group as HTTP SD sends it; unknown fields are ignored, as Prometheus's JSON decoding ignores them.
private struct HTTPTargetGroup: Decodable {
    var targets: [String]?
    var labels: [String: String]?
}
