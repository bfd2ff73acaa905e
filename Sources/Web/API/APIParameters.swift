import Foundation
import Hummingbird
import Model
import NIOCore
import PromQL
import TSDB

/// Request parameters from the query string and, for POST, a form-encoded body, as Prometheus accepts both.
struct APIParameters {
    private var values: [String: [String]] = [:]

    /// Parameters from form-encoded text alone, as a query string carries them.
    init(form: String) {
        addForm(form)
    }

    private init() {}

    static func from(_ request: Request, maxBodyBytes: Int = 1 << 20) async throws -> APIParameters {
        var parameters = APIParameters()
        parameters.addForm(request.uri.query ?? "")
        if request.method == .post {
            if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBodyBytes {
                throw APIError.bodyTooLarge(limit: maxBodyBytes)
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch is NIOTooManyBytesError {
                throw APIError.bodyTooLarge(limit: maxBodyBytes)
            } catch {
                throw APIError(.badData, "request body could not be read: \(error)")
            }
            parameters.addForm(String(buffer: body))
        }
        return parameters
    }

    /// Adds `a=1&b=2` pairs, percent-decoding names and values (`+` is a space, as in forms).
    mutating func addForm(_ text: String) {
        for pair in text.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            values[Self.formDecoded(parts[0]), default: []].append(parts.count > 1 ? Self.formDecoded(parts[1]) : "")
        }
    }

    /// Decodes a path segment's `%XX` escapes (a `+` stays a `+`, as in any URL path).
    static func pathDecoded(_ segment: String) -> String {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return segment }
        return formDecoded(segment.replacingOccurrences(of: "+", with: "%2B")[...].utf8)
    }

    /// Decodes `+` and `%XX` escapes; a `%` without two hex digits stays as it is, and invalid
    /// UTF-8 becomes U+FFFD, so a malformed parameter reaches the parser instead of vanishing.
    static func formDecoded(_ part: Substring.UTF8View) -> String {
        guard part.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(Substring(part)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.count)
        var index = part.startIndex
        while index < part.endIndex {
            let byte = part[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"),
                      let first = part.index(index, offsetBy: 1, limitedBy: part.endIndex), first < part.endIndex,
                      let second = part.index(first, offsetBy: 1, limitedBy: part.endIndex), second < part.endIndex,
                      let high = hexValue(part[first]), let low = hexValue(part[second]) {
                bytes.append(high << 4 | low)
                index = second
            } else {
                bytes.append(byte)
            }
            index = part.index(after: index)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    subscript(name: String) -> String? { values[name]?.first }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// A time parameter: RFC 3339 or Unix seconds with a fraction.
    func time(_ name: String, default fallback: Timestamp? = nil) throws(APIError) -> Timestamp? {
        guard let text = self[name], !text.isEmpty else { return fallback }
        guard let t = Self.parseTime(text) else {
            throw APIError(.badData, "invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid timestamp")
        }
        return t
    }

    /// An optional time parameter of the endpoints that default it: `time` of /query, `start` and `end` of
    /// /series, /labels, /label/…/values and /query_exemplars.
    ///
    /// Prometheus reads these through a helper that adds `Invalid time value for 'start': ` to the error;
    /// /query_range's required `start` and `end` (``time(_:default:)``) go without it.
    func optionalTime(_ name: String) throws(APIError) -> Timestamp? {
        guard let text = self[name], !text.isEmpty else { return nil }
        guard let t = Self.parseTime(text) else {
            throw APIError(.badData, "invalid parameter \"\(name)\": Invalid time value for '\(name)': cannot parse \"\(text)\" to a valid timestamp")
        }
        return t
    }

    /// The largest magnitude, in seconds, whose millisecond form fits in a `Timestamp`.
    ///
    /// Prometheus's own bounds (its `minTime`/`maxTime`) lie just inside this, so every time it
    /// can represent is accepted; beyond it a timestamp would overflow, and the request is refused.
    static let maxTimestampSeconds = 9_223_309_901_257_974.0

    /// The boundary times Prometheus's own clients send for "since the beginning" and "until the end"; Go's
    /// RFC 3339 parser cannot read their years, so Prometheus accepts these two spellings by name.
    static let minTimeFormatted = "-292273086-05-16T16:47:06Z"
    static let maxTimeFormatted = "292277025-08-18T07:12:54.999999999Z"

    /// A time as Prometheus reads it: Go's float syntax (seconds, rounded to the millisecond as Go rounds the
    /// fraction), Go's RFC 3339, or one of the two boundary spellings; nil for anything else and for times
    /// whose milliseconds overflow (Prometheus wraps those; Vigil refuses them).
    static func parseTime(_ text: String) -> Timestamp? {
        if let seconds = GoParse.parseFloat(text) {
            return timestamp(seconds: seconds)
        }
        if let (seconds, nanoseconds) = GoParse.parseRFC3339(text) {
            return millis(seconds: seconds, nanoseconds: nanoseconds)
        }
        switch text {
        case minTimeFormatted: return millis(seconds: -9_223_309_901_257_974, nanoseconds: 0)
        case maxTimeFormatted: return millis(seconds: 9_223_309_901_257_974, nanoseconds: 999_999_999)
        default: return nil
        }
    }

    /// Seconds to milliseconds as Prometheus converts them (`math.Modf`, the fraction rounded to milliseconds
    /// half away from zero, then truncated to nanoseconds), or nil when not finite or out of range.
    static func timestamp(seconds: Double) -> Timestamp? {
        guard seconds.isFinite, abs(seconds) <= maxTimestampSeconds else { return nil }
        let whole = seconds.rounded(.towardZero)
        let fraction = ((seconds - whole) * 1000).rounded(.toNearestOrAwayFromZero) / 1000
        return millis(seconds: Int64(whole), nanoseconds: Int64((fraction * 1e9).rounded(.towardZero)))
    }

    /// Go's `time.Unix(seconds, nanoseconds)` in milliseconds (the nanoseconds normalised into [0, 1e9) first), or
    /// nil on overflow.
    static func millis(seconds: Int64, nanoseconds: Int64) -> Timestamp? {
        var seconds = seconds, nanoseconds = nanoseconds
        if nanoseconds < 0 || nanoseconds >= 1_000_000_000 {
            seconds += nanoseconds / 1_000_000_000
            nanoseconds %= 1_000_000_000
            if nanoseconds < 0 { nanoseconds += 1_000_000_000; seconds -= 1 }
        }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return nil }
        let (sum, overflowAgain) = scaled.addingReportingOverflow(nanoseconds / 1_000_000)
        return overflowAgain ? nil : sum
    }

    /// A duration parameter: seconds as a float, or a PromQL duration such as `15s`.
    ///
    /// Fractions below a millisecond are truncated, as Prometheus truncates to its millisecond step.
    func duration(_ name: String) throws(APIError) -> Int64? {
        guard let text = self[name], !text.isEmpty else { return nil }
        if let seconds = GoParse.parseFloat(text) {
            let nanoseconds = seconds * 1e9
            // Go's bounds check compares against 2^63 rounded to a double, so 2^63 itself and NaN pass it; Go's
            // conversion then yields the most negative duration for both.
            if nanoseconds > 9.223372036854775807e18 || nanoseconds < -9.223372036854775808e18 {
                throw APIError(.badData, "invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid duration. It overflows int64")
            }
            guard nanoseconds < 9.223372036854775808e18 else { return Int64.min / 1_000_000 }
            return Int64(nanoseconds) / 1_000_000
        }
        do {
            return try parseDuration(text)
        } catch {
            throw APIError(.badData, "invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid duration")
        }
    }

    /// The `match[]` selectors as matcher lists, each needing a matcher that rejects the empty value.
    ///
    /// /series words a bad selector `invalid parameter "match[]": …` (`wrapped`); /labels and
    /// /label/…/values answer with the bare parse error, as Prometheus 2.42 does.
    func matcherSets(required: Bool, wrapped: Bool = true) throws(APIError) -> [[Matcher]] {
        let selectors = all("match[]")
        if required && selectors.isEmpty { throw APIError(.badData, "no match[] parameter provided") }
        func failure(_ message: String) -> APIError {
            APIError(.badData, wrapped ? "invalid parameter \"match[]\": \(message)" : message)
        }
        var sets: [[Matcher]] = []
        for selector in selectors {
            do { sets.append(try parseMetricSelector(selector)) } catch { throw failure("\(error)") }
        }
        for matchers in sets where matchers.allSatisfy(\.matchesEmpty) {
            throw failure("match[] must contain at least one non-empty matcher")
        }
        return sets
    }

    /// The `limit` parameter; absent or empty is no limit (-1).
    func limit() throws(APIError) -> Int {
        guard let text = self["limit"], !text.isEmpty else { return -1 }
        guard let value = Int(text) else { throw APIError(.badData, "limit must be a number") }
        return value
    }
}

/// An API failure in Prometheus's envelope: `{"status":"error","errorType":…,"error":…}`.
public struct APIError: Error, Sendable {
    public enum Kind: String, Sendable {
        case badData = "bad_data"
        case execution
        case timeout
        case canceled
        case `internal`
        case unavailable
        case notFound = "not_found"
    }

    public var kind: Kind
    public var message: String
    /// A status other than the kind's usual one, for the few answers that need it (413).
    var statusOverride: HTTPResponse.Status?

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// A request body over the API's limit: 413, in the usual envelope.
    static func bodyTooLarge(limit: Int) -> APIError {
        var error = APIError(.badData, "request body is larger than the limit of \(limit) bytes")
        error.statusOverride = .contentTooLarge
        return error
    }

    /// The HTTP status Prometheus answers each kind with.
    var status: HTTPResponse.Status {
        if let statusOverride { return statusOverride }
        switch kind {
        case .badData: return .badRequest
        case .execution: return .unprocessableContent
        case .timeout: return .serviceUnavailable
        case .canceled: return .init(code: 499, reasonPhrase: "Client Closed Request")
        case .internal: return .internalServerError
        case .unavailable: return .serviceUnavailable
        case .notFound: return .notFound
        }
    }

    var response: Response {
        var json = JSONWriter()
        json.object { json in
            json.key("status"); json.string("error")
            json.key("errorType"); json.string(kind.rawValue)
            json.key("error"); json.string(message)
        }
        return jsonResponse(json.bytes, status: status)
    }
}

func jsonResponse(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// `{"status":"success","data":…}` around what `data` writes.
func successResponse(capacity: Int = 256, _ data: (inout JSONWriter) -> Void) -> Response {
    var json = JSONWriter(capacity: capacity)
    json.object { json in
        json.key("status"); json.string("success")
        json.key("data")
        data(&json)
    }
    return jsonResponse(json.bytes)
}
