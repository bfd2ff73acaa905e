import Hummingbird
import NIOCore

/// A request that cannot be served, with its HTTP status and a bounded `error_type` for metrics.
public struct APIError: Error, Sendable {
    /// Every value `api_errors_total{error_type}` can take.
    public enum Kind: String, Sendable, CaseIterable {
        case validationError = "validation_error"
        case invalidJSON = "invalid_json"
        case payloadTooLarge = "payload_too_large"
        case unsupportedMediaType = "unsupported_media_type"
        case modelNotLoaded = "model_not_loaded"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case reloadFailed = "reload_failed"
        case badRequest = "bad_request"
        case internalError = "internal_error"
        /// Answered on purpose by demo fault injection (`error_share`), never by a real failure.
        case demoFault = "demo_fault"
    }

    public var kind: Kind
    public var status: HTTPResponse.Status
    /// The `detail` member: a JSON string, or FastAPI's list of field issues for 422.
    var detailJSON: String

    init(_ kind: Kind, _ status: HTTPResponse.Status, _ message: String) {
        self.kind = kind
        self.status = status
        self.detailJSON = JSONText.quoted(message)
    }

    static func validation(_ issues: [ValidationIssue]) -> APIError {
        var error = APIError(.validationError, .unprocessableContent, "")
        error.detailJSON = "[" + issues.map(\.jsonText).joined(separator: ",") + "]"
        return error
    }

    /// Maps any error thrown below the routes, including the router's own 404 and the body limit, to an APIError.
    static func from(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if error is NIOTooManyBytesError {
            return APIError(.payloadTooLarge, .contentTooLarge, "Request body is larger than the limit")
        }
        if let error = error as? any HTTPResponseError {
            switch error.status {
            case .notFound: return APIError(.notFound, .notFound, "Not Found")
            case .methodNotAllowed: return APIError(.methodNotAllowed, .methodNotAllowed, "Method Not Allowed")
            case .contentTooLarge: return APIError(.payloadTooLarge, .contentTooLarge, "Request body is larger than the limit")
            case .unsupportedMediaType: return APIError(.unsupportedMediaType, .unsupportedMediaType, "Unsupported media type")
            case let status where status.code < 500: return APIError(.badRequest, status, status.reasonPhrase)
            default: return APIError(.internalError, .internalServerError, "Internal Server Error")
            }
        }
        return APIError(.internalError, .internalServerError, "Internal Server Error")
    }

    var response: Response {
        let body = "{\"detail\":\(detailJSON),\"error_type\":\"\(kind.rawValue)\"}"
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
