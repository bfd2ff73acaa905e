import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A few dedicated threads, outside Swift's cooperative pool, that run blocking query work.
///
/// Storage reads block in SQLite and evaluations of heavy queries are long CPU loops; on the
/// cooperative pool (as many threads as cores) either would hold up scrapes, rule evaluations and
/// `/predict`. The threads run at a lower scheduling priority (`nice`), so on a busy machine the
/// kernel prefers ingestion and the prediction API over queries.
public final class QueryThreadPool: Sendable {
    /// The process's pool for queries: one thread per core, at least two.
    public static let shared = QueryThreadPool(threads: max(2, ProcessInfo.processInfo.activeProcessorCount), niceness: 10)

    private let jobs: JobQueue

    /// Starts `threads` threads that lower their own priority by `niceness` (Linux: per-thread nice).
    public init(threads: Int, niceness: Int32 = 0) {
        precondition(threads > 0, "a thread pool needs a thread")
        jobs = JobQueue()
        for index in 0..<threads {
            let jobs = self.jobs
            let thread = Thread {
                #if os(Linux)
                // On Linux `nice` is per thread: PRIO_PROCESS with `who` 0 changes the calling thread alone.
                if niceness != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
                #endif
                while let job = jobs.next() { job() }
            }
            thread.name = "vigil-query-\(index)"
            thread.start()
        }
    }

    deinit { jobs.stop() }

    /// Runs `body` on one of the pool's threads and returns its result to the calling task.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            jobs.submit { continuation.resume(returning: Result { () throws(E) -> T in try body() }) }
        }
        return try result.get()
    }
}

/// A first-in, first-out queue of jobs that idle threads wait on.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []
    private var head = 0
    private var stopped = false

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        pending.append(job)
        condition.unlock()
        condition.signal()
    }

    /// The next job, waiting for one; nil once the queue is stopped.
    func next() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while head == pending.count && !stopped { condition.wait() }
        guard head < pending.count else { return nil }
        let job = pending[head]
        head += 1
        if head > 64 && head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
        return job
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.unlock()
        condition.broadcast()
    }
}
