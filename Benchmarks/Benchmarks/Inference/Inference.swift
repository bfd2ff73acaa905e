import API
import Benchmark
import Foundation

/// Single-row inference of the committed model, and request validation of the seed's example body.
let benchmarks: @Sendable () -> Void = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let model = CompiledModel(try! DiabetesModel.load(from: root.appendingPathComponent("models/diabetes-logreg.json")))
    let patients = (0..<1024).map { i in
        PatientFeatures(values: [Double(i % 10), 80 + Double(i % 120), 60 + Double(i % 40), Double(i % 50), Double(i % 3) * 90, 20 + Double(i % 30), 0.1 + Double(i % 20) / 10, 21 + Double(i % 60)])
    }
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .instructions, .mallocCountTotal], maxDuration: .seconds(2))

    Benchmark("predict one row", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var sum = 0.0
        for i in benchmark.scaledIterations {
            sum += model.probability(patients[i & 1023])
        }
        blackHole(sum)
    }
}
