import Dispatch
import Hummingbird
import Prometheus

/// Counts and times every request under its route template, and turns errors into JSON answers.
///
/// Unknown paths all count under `unmatched`, so a scanner cannot grow the label set.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIMetrics

    static var unmatchedEndpoint: String { "unmatched" }

    /// The route template, or `unmatched` when no route took the request (the router then says "NotFound").
    static func endpoint(of context: Context) -> String {
        guard let path = context.endpointPath, path.hasPrefix("/") else { return unmatchedEndpoint }
        return path
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        metrics.activeRequests.increment()
        defer { metrics.activeRequests.decrement() }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            metrics.recordError(endpoint: Self.endpoint(of: context), errorType: apiError.kind)
            response = apiError.response
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        metrics.recordRequest(
            method: request.method.rawValue, endpoint: Self.endpoint(of: context),
            status: response.status.code, seconds: seconds
        )
        return response
    }
}
