import Hummingbird
import Synchronization

/// QueryGate lets at most `limit` queries run at once (`--query.max-concurrency`); the rest wait their turn in
/// arrival order, as Prometheus's query gate makes them wait.
public final class QueryGate: Sendable {
    public let limit: Int
    private let state: Mutex<(running: Int, waiting: [CheckedContinuation<Void, Never>])>

    public init(limit: Int) {
        precondition(limit > 0, "a query gate needs room for one query")
        self.limit = limit
        state = Mutex((0, []))
    }

    /// Queries running now, for tests.
    public var running: Int { state.withLock { $0.running } }
    /// Queries waiting for a slot, for tests.
    public var waiting: Int { state.withLock { $0.waiting.count } }

    /// Runs `body` once a slot is free.
    public func run<T>(_ body: () async throws -> T) async rethrows -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if state.running < limit {
                    state.running += 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func leave() {
        // A waiter inherits the slot, so `running` stays the same when one is woken.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

/// QueryGateMiddleware passes the PromQL query endpoints through a `QueryGate`.
public struct QueryGateMiddleware<Context: RequestContext>: RouterMiddleware {
    public static var gatedPaths: Set<String> { ["/api/v1/query", "/api/v1/query_range", "/api/v1/query_exemplars"] }
    let gate: QueryGate

    public init(gate: QueryGate) { self.gate = gate }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.gatedPaths.contains(request.uri.path) else { return try await next(request, context) }
        return try await gate.run { try await next(request, context) }
    }
}
