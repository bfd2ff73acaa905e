import Foundation
import Logging
import Synchronization

/// DemoFaults are the faults a demo injects into the prediction API so that every alert can be shown firing live.
///
/// All zero means off. Set at start by `--demo.fault-injection` and at run time by `POST /-/demo`, both with the
/// same `name=value` parameters; only `/predict` and `/predict/batch` are affected, so scrapes and `/health` stay honest.
public struct DemoFaults: Sendable, Equatable {
    /// Added to every prediction request before it is handled, in milliseconds (HighLatency).
    public var requestLatencyMillis: Int64 = 0
    /// Added to the timed inference of every prediction request, in milliseconds (SlowInference).
    public var inferenceMillis: Int64 = 0
    /// Prediction requests held open, unanswered, until this is lowered (HighConcurrentRequests).
    public var heldOpenRequests = 0
    /// Share (0…1) of prediction requests answered 500 `demo_fault` (HighErrorRate).
    public var errorShare: Double = 0

    public init() {}

    public var isOn: Bool { requestLatencyMillis > 0 || inferenceMillis > 0 || heldOpenRequests > 0 || errorShare > 0 }

    /// The parameter names, in the order they are documented.
    public static let parameterNames = ["request_latency", "inference_time", "held_open_requests", "error_share", "reset"]
    static let maxDelayMillis: Int64 = 60_000
    static let maxHeldOpen = 1000

    /// These faults with `parameters` applied: each named fault is set, the others kept; `reset=true` first clears all.
    public func applying(_ parameters: [(name: String, value: String)]) throws -> DemoFaults {
        var result = self
        if let reset = parameters.last(where: { $0.name == "reset" }) {
            guard let flag = Bool(reset.value) else { throw DemoFaultError("reset must be true or false, got \"\(reset.value)\"") }
            if flag { result = DemoFaults() }
        }
        for (name, value) in parameters {
            switch name {
            case "reset": continue
            case "request_latency": result.requestLatencyMillis = try Self.delay(name, value)
            case "inference_time": result.inferenceMillis = try Self.delay(name, value)
            case "held_open_requests":
                guard let count = Int(value), (0...Self.maxHeldOpen).contains(count) else {
                    throw DemoFaultError("held_open_requests must be a whole number from 0 to \(Self.maxHeldOpen), got \"\(value)\"")
                }
                result.heldOpenRequests = count
            case "error_share":
                guard let share = Double(value), share.isFinite, (0...1).contains(share) else {
                    throw DemoFaultError("error_share must be a number from 0 to 1, got \"\(value)\"")
                }
                result.errorShare = share
            default:
                throw DemoFaultError("unknown fault \"\(name)\"; the faults are \(Self.parameterNames.joined(separator: ", "))")
            }
        }
        return result
    }

    /// Parses `a=1,b=2` as `--demo.fault-injection` spells it.
    public static func parameters(fromFlag text: String) throws -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw DemoFaultError("expected NAME=VALUE, e.g. error_share=0.5, got \"\(item)\"")
            }
            result.append((parts[0], parts[1]))
        }
        return result
    }

    /// A delay such as `1.5s`, `600ms` or `2m` (a bare number is seconds), from 0 to 60 s, in milliseconds.
    static func delay(_ name: String, _ text: String) throws -> Int64 {
        let units: [(suffix: String, millis: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        var number = text
        var factor = 1000.0
        for unit in units where text.hasSuffix(unit.suffix) {
            number = String(text.dropLast(unit.suffix.count))
            factor = unit.millis
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0, value * factor <= Double(maxDelayMillis) else {
            throw DemoFaultError("\(name) must be a duration from 0 to 60s such as 1.5s or 600ms, got \"\(text)\"")
        }
        return Int64((value * factor).rounded())
    }

    /// The faults as the JSON object `/health` and `/-/demo` show.
    public var jsonText: String {
        "{\"request_latency_seconds\":\(JSONText.number(Double(requestLatencyMillis) / 1000)),"
            + "\"inference_time_seconds\":\(JSONText.number(Double(inferenceMillis) / 1000)),"
            + "\"held_open_requests\":\(heldOpenRequests),\"error_share\":\(JSONText.number(errorShare))}"
    }

    /// Logger metadata naming each fault.
    var metadata: Logger.Metadata {
        ["request_latency": "\(requestLatencyMillis)ms", "inference_time": "\(inferenceMillis)ms",
         "held_open_requests": "\(heldOpenRequests)", "error_share": "\(errorShare)"]
    }
}

/// A fault setting that cannot be applied; the message names the parameter.
public struct DemoFaultError: Error, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// DemoFaultInjector holds the current faults and applies them to prediction requests.
///
/// When every fault is off a request pays one relaxed atomic load (`isActive`), so the /predict fast path is unchanged.
public final class DemoFaultInjector: Sendable {
    private let faults = Mutex(DemoFaults())
    private let active = Atomic<Bool>(false)
    /// Requests being held open now.
    private let held = Mutex(0)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Whether any fault is on: the one check a request makes when they are all off.
    @inline(__always) var isActive: Bool { active.load(ordering: .relaxed) }

    public var current: DemoFaults { faults.withLock { $0 } }

    /// Replaces the faults and logs the change; held requests beyond a lowered limit are released.
    @discardableResult
    public func set(_ new: DemoFaults) -> DemoFaults {
        let old = faults.withLock { state in
            let old = state
            state = new
            return old
        }
        active.store(new.isOn, ordering: .relaxed)
        if old != new {
            if new.isOn {
                logger.warning("demo fault injection on: prediction requests are slowed, held or failed on purpose", metadata: new.metadata)
            } else {
                logger.warning("demo fault injection off")
            }
        }
        return new
    }

    /// Applies the request faults: holds the request open while a slot is free, adds the request latency, and
    /// throws an injected error for `errorShare` of requests.
    func beforePrediction() async throws {
        let faults = current
        if faults.heldOpenRequests > 0, takeHoldSlot(limit: faults.heldOpenRequests) {
            await holdOpen()
        }
        if faults.requestLatencyMillis > 0 { try? await Task.sleep(for: .milliseconds(faults.requestLatencyMillis)) }
        if faults.errorShare > 0, Double.random(in: 0..<1) < faults.errorShare {
            throw APIError(.demoFault, .internalServerError, "Injected by demo fault injection (error_share \(faults.errorShare)); POST /-/demo?reset=true turns it off")
        }
    }

    /// The added inference time, spent inside the timed inference.
    func duringInference() async {
        let millis = current.inferenceMillis
        if millis > 0 { try? await Task.sleep(for: .milliseconds(millis)) }
    }

    private func takeHoldSlot(limit: Int) -> Bool {
        held.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Waits until the held-open limit drops below the requests held (or the task is cancelled), then frees the slot.
    ///
    /// Polls every 50 ms rather than keeping continuations: a handful of parked requests cost nothing, and a
    /// lowered limit, `reset`, cancellation and shutdown all release them the same way.
    private func holdOpen() async {
        while !Task.isCancelled {
            if (try? await Task.sleep(for: .milliseconds(50))) == nil { break }
            let limit = current.heldOpenRequests
            let release = held.withLock { count in
                guard count > limit else { return false }
                count -= 1
                return true
            }
            if release { return }
        }
        held.withLock { $0 -= 1 }
    }

    /// Requests held open now, for tests and `/health`.
    public var heldNow: Int { held.withLock { $0 } }
}
