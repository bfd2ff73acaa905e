import AsyncHTTPClient
import Config
import Foundation
import NIOCore
import NIOHTTP1
import OutboundHTTP

/// Why a scrape failed, as `lastError` shows it.
public struct ScrapeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A scrape response body and how to parse it.
struct ScrapeBody {
    var bytes: [UInt8]
    var contentType: String?
}

/// Fetches `/metrics` bodies over HTTP or HTTPS the way Prometheus asks for them, with the job's client settings.
struct TargetFetcher: Sendable {
    let pool: HTTPClientPool

    /// What Prometheus 2.42 sends: OpenMetrics preferred, the 0.0.4 text format accepted.
    static let acceptHeader = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    static let userAgent = "Vigil/0.1"

    /// The most a body may hold when the scrape config sets no `body_size_limit`, decompressed.
    ///
    /// Prometheus sets no default limit; without one, a target streaming forever or a gzip bomb
    /// would grow memory until the process dies. No real exposition comes near this size.
    static let defaultBodySizeLimit = 256 << 20

    /// One GET bounded by the scrape timeout from the first byte sent to the body's last; a body past
    /// `bodySizeLimit` bytes (after gunzip) fails the scrape.
    ///
    /// Credentials and TLS files are read here, so a missing or unreadable one fails this scrape with its reason.
    func fetch(
        url: String, settings: HTTPClientConfiguration, timeoutMillis: Int64, bodySizeLimit: Int64
    ) async throws(ScrapeError) -> ScrapeBody {
        let client: HTTPClient
        var request: HTTPClientRequest
        do {
            (client, request) = try pool.prepare(url: url, settings: settings)
        } catch {
            throw ScrapeError(error.message)
        }
        request.headers.add(name: "Accept", value: Self.acceptHeader)
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        request.headers.add(name: "User-Agent", value: Self.userAgent)
        request.headers.add(name: "X-Prometheus-Scrape-Timeout-Seconds", value: String(format: "%g", Double(timeoutMillis) / 1000))
        let limit = bodySizeLimit > 0 ? Int(clamping: bodySizeLimit) : Self.defaultBodySizeLimit
        let timeoutMillis = max(timeoutMillis, 1)
        let prepared = request
        do {
            return try await withThrowingTaskGroup(of: ScrapeBody?.self) { group in
                group.addTask {
                    try await Self.get(prepared, client: client, timeoutMillis: timeoutMillis, limit: limit)
                }
                group.addTask {
                    // The response head has its own deadline in the client; this one covers the body too.
                    try await Task.sleep(for: .milliseconds(timeoutMillis))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let body = first else {
                    throw ScrapeError("context deadline exceeded")
                }
                return body
            }
        } catch let error as ScrapeError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw ScrapeError("context deadline exceeded")
        } catch {
            throw ScrapeError(Self.describe(error))
        }
    }

    private static func get(_ request: HTTPClientRequest, client: HTTPClient, timeoutMillis: Int64, limit: Int) async throws -> ScrapeBody {
        let response = try await client.execute(request, timeout: .milliseconds(timeoutMillis))
        guard response.status == .ok else {
            throw ScrapeError("server returned HTTP status \(response.status.code) \(response.status.reasonPhrase)")
        }
        if let declared = response.headers.first(name: "Content-Length").flatMap(Int.init), declared > limit,
           response.headers.first(name: "Content-Encoding") == nil {
            throw ScrapeError("body size limit exceeded: \(declared) bytes > \(limit)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw ScrapeError("body size limit exceeded: more than \(limit) bytes")
        }
        return ScrapeBody(bytes: Array(buffer.readableBytesView), contentType: response.headers.first(name: "Content-Type"))
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if String(reflecting: type(of: error)).contains("DecompressionError") {
            return "body size limit exceeded: the body decompresses to more than 100 times its compressed size (\(error))"
        }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }
}
