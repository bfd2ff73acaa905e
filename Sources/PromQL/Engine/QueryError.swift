import TSDB

/// QueryError is why a PromQL query produced no result.
///
/// `kind` decides the `errorType` of Prometheus's HTTP envelope; `message` is the text
/// Prometheus would print, so that clients and people see the same words as with Prometheus.
public struct QueryError: Error, Sendable, CustomStringConvertible {
    /// Kind classifies a failure the way Prometheus's API does.
    public enum Kind: Sendable, Hashable {
        /// The request itself is invalid: a parse error, a bad step, a too fine resolution.
        case badData
        /// The query ran longer than `QueryOptions.timeout`.
        case timeout
        /// The caller's task was cancelled.
        case canceled
        /// Evaluation failed, e.g. "many-to-many matching not allowed".
        case execution
        /// The query needed more samples in memory than `QueryOptions.maxSamples`.
        case tooManySamples
        /// The storage could not be read.
        case storage
    }

    public var kind: Kind
    public var message: String
    /// The underlying error, e.g. the `PromQLParseError` of a query that did not parse.
    public var cause: (any Error & Sendable)?

    public init(_ kind: Kind, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.kind = kind
        self.message = message
        self.cause = cause
    }

    /// errorType is the `errorType` string of Prometheus's `{status, errorType, error}` envelope.
    ///
    /// Too many samples is an "execution" error in Prometheus, not a kind of its own.
    public var errorType: String {
        switch kind {
        case .badData: "bad_data"
        case .timeout: "timeout"
        case .canceled: "canceled"
        case .execution, .tooManySamples: "execution"
        case .storage: "internal"
        }
    }

    public var description: String { message }

    static func execution(_ message: String) -> QueryError { QueryError(.execution, message) }

    static func badData(_ message: String) -> QueryError { QueryError(.badData, message) }

    /// timeout reads like Prometheus's `ErrQueryTimeout`.
    static func timeout(in stage: String) -> QueryError { QueryError(.timeout, "query timed out in \(stage)") }

    /// canceled reads like Prometheus's `ErrQueryCanceled`.
    static func canceled(in stage: String) -> QueryError { QueryError(.canceled, "query was canceled in \(stage)") }

    /// tooManySamples reads like Prometheus's `ErrTooManySamples`.
    static func tooManySamples(in stage: String) -> QueryError {
        QueryError(.tooManySamples, "query processing would load too many samples into memory in \(stage)")
    }

    static func storage(_ error: StorageError) -> QueryError {
        QueryError(.storage, "error selecting series: \(error.message)", cause: error)
    }

    /// sameLabelset is the error of a vector whose elements would be indistinguishable.
    static let sameLabelset = QueryError.execution("vector cannot contain metrics with the same labelset")
}
