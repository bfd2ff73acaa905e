import Foundation

/// FuzzVerdict is what one input did to a surface; only `bug` is a failure.
public enum FuzzVerdict: Sendable, Equatable {
    /// The surface took the input.
    case accepted
    /// The surface refused the input with its own error type, as it should refuse bad input.
    case rejected
    /// The input is outside what the harness runs (e.g. a rule test asking for a billion steps).
    case skipped
    /// A wrong error type, or two readers of the same input disagreeing: a bug that is not a trap.
    case bug(String)
}

/// FuzzTarget is one input surface of Vigil with a harness that feeds it arbitrary bytes.
///
/// The same harness runs under libFuzzer (`bench/fuzz.sh`) and in the test suite's bounded run, so a crash
/// either finds reproduces in the other. A harness returns for every input; a trap in it is the bug being hunted.
public struct FuzzTarget: Sendable {
    /// The target's name, as `bench/fuzz.sh` and `VigilFuzz` take it.
    public let name: String
    /// Inputs longer than this are skipped, so one input cannot take the harness past its time bound.
    public let maxInputBytes: Int
    /// Tokens the mutator splices in, chosen to reach the surface's deeper states.
    public let dictionary: [String]
    let body: @Sendable ([UInt8]) async -> FuzzVerdict

    init(name: String, maxInputBytes: Int = 1 << 20, dictionary: [String], body: @escaping @Sendable ([UInt8]) async -> FuzzVerdict) {
        self.name = name
        self.maxInputBytes = maxInputBytes
        self.dictionary = dictionary
        self.body = body
    }

    /// run feeds one input to the surface.
    public func run(_ input: [UInt8]) async -> FuzzVerdict {
        guard input.count <= maxInputBytes else { return .skipped }
        return await body(input)
    }

    /// runBlocking is `run` for a synchronous caller such as libFuzzer's callback, which is not on Swift's executor.
    public func runBlocking(_ input: [UInt8]) -> FuzzVerdict {
        let box = VerdictBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.verdict = await run(input)
            done.signal()
        }
        done.wait()
        return box.verdict
    }

    /// Every target, in the order `bench/fuzz.sh` runs them.
    public static let all: [FuzzTarget] = [
        promqlParse, promqlEval, apiParameters, expositionText, expositionOpenMetrics,
        configFile, ruleFile, alertTemplate, predictBody, predictBatchBody, predictBodySchema, ruleTests,
    ]

    /// named finds a target by name.
    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }


    /// text reads input bytes as UTF-8, replacing invalid sequences as a server decoding a request would.
    static func text(_ input: [UInt8]) -> String { String(decoding: input, as: UTF8.self) }
}

/// VerdictBox carries a verdict out of the task `runBlocking` waits for; the semaphore orders the accesses.
private final class VerdictBox: @unchecked Sendable {
    var verdict: FuzzVerdict = .skipped
}
