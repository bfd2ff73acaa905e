import Foundation
import FuzzTargets

/// VigilFuzz runs one fuzz target: under libFuzzer when built by `bench/fuzz.sh` (`-DFUZZING`), otherwise as a
/// plain program that writes seed corpora and replays inputs, e.g. a crash file libFuzzer saved.
///
/// Environment, in both builds: `VIGIL_FUZZ_TARGET` names the target; `VIGIL_REPO` and `VIGIL_SHARED` locate
/// the seed sources (default: the current directory and `../shared`).
enum VigilFuzz {
    static func target(named name: String?) -> FuzzTarget {
        guard let name, let target = FuzzTarget.named(name) else {
            let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("unknown fuzz target \"\(name ?? "")\"; one of: \(names)\n".utf8))
            exit(2)
        }
        return target
    }

    static var seeds: FuzzSeeds {
        let environment = ProcessInfo.processInfo.environment
        let repository = URL(fileURLWithPath: environment["VIGIL_REPO"] ?? FileManager.default.currentDirectoryPath)
        let shared = environment["VIGIL_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? repository.deletingLastPathComponent().appendingPathComponent("shared")
        return FuzzSeeds(repository: repository, shared: shared, limit: 2_000)
    }

    /// writeSeeds writes the target's seed corpus as numbered files into `directory`.
    static func writeSeeds(_ target: FuzzTarget, to directory: String) -> Int32 {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let corpus = seeds.corpus(for: target.name)
        for (index, seed) in corpus.enumerated() {
            _ = FileManager.default.createFile(atPath: "\(directory)/seed-\(index)", contents: Data(seed))
        }
        print("\(target.name): \(corpus.count) seeds in \(directory)")
        return 0
    }

    /// check runs one input and turns a non-trap bug into a crash, so libFuzzer saves the input.
    static func check(_ target: FuzzTarget, _ input: [UInt8]) {
        if case .bug(let message) = target.runBlocking(input) {
            FileHandle.standardError.write(Data("\(target.name): \(message)\n".utf8))
            abort()
        }
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The fuzz target, chosen once before libFuzzer starts calling back.
nonisolated(unsafe) private var selectedTarget: FuzzTarget?

/// VigilFuzz_main is the entry point SwiftPM links as `main`; libFuzzer's driver takes over from here.
@_cdecl("VigilFuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    let target = VigilFuzz.target(named: ProcessInfo.processInfo.environment["VIGIL_FUZZ_TARGET"])
    if let directory = ProcessInfo.processInfo.environment["VIGIL_FUZZ_WRITE_SEEDS"] {
        return VigilFuzz.writeSeeds(target, to: directory)
    }
    selectedTarget = target
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        VigilFuzz.check(selectedTarget!, input)
        return 0
    }
}
#else
@main
struct VigilFuzzMain {
    /// `VigilFuzz seeds TARGET DIR`, `VigilFuzz run TARGET FILE…`, `VigilFuzz list`.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "list":
            for target in FuzzTarget.all { print(target.name) }
        case "seeds" where arguments.count == 3:
            exit(VigilFuzz.writeSeeds(VigilFuzz.target(named: arguments[1]), to: arguments[2]))
        case "run" where arguments.count >= 3:
            let target = VigilFuzz.target(named: arguments[1])
            for path in arguments.dropFirst(2) {
                guard let data = FileManager.default.contents(atPath: path) else {
                    print("\(path): cannot read")
                    exit(1)
                }
                print("\(path): \(target.runBlocking(Array(data)))")
            }
        default:
            print("usage: VigilFuzz list | seeds TARGET DIR | run TARGET FILE...")
            exit(2)
        }
    }
}
#endif
