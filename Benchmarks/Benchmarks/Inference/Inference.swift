import API
import Benchmark
import Foundation

/// Single-row inference of the committed model, and request validation of the seed's example body.
let benchmarks: @Sendable () -> Void = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let model = CompiledModel(try! ModelArtifact.load(from: root.appendingPathComponent("models/diabetes-logreg.json")))
    let patients = (0..<1024).map { (i: Int) -> FeatureRow in
        let d = Double(i)
        let values: [Double] = [
            d.truncatingRemainder(dividingBy: 10), 80 + d.truncatingRemainder(dividingBy: 120),
            60 + d.truncatingRemainder(dividingBy: 40), d.truncatingRemainder(dividingBy: 50),
            d.truncatingRemainder(dividingBy: 3) * 90, 20 + d.truncatingRemainder(dividingBy: 30),
            0.1 + d.truncatingRemainder(dividingBy: 20) / 10, 21 + d.truncatingRemainder(dividingBy: 60),
        ]
        return FeatureRow(values: values)
    }
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .instructions, .mallocCountTotal], maxDuration: .seconds(2))

    Benchmark("predict one row", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var sum = 0.0
        for i in benchmark.scaledIterations {
            sum += model.score(patients[i & 1023])
        }
        blackHole(sum)
    }
}
