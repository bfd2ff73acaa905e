// Single-row inference of a generated 100-feature logistic regression (and of 8 features, the diabetes model's
// width), timed in a loop, with what drift tracking adds per row; bench/inference.sh runs it from a release build.
import API
import Foundation

/// Median of `runs` timings of `rows.count * passes` predictions, in nanoseconds per row.
func nanosecondsPerRow(_ model: CompiledModel, _ rows: [FeatureRow], passes: Int, runs: Int) -> (median: Double, sum: Double) {
    var timings: [Double] = []
    var sum = 0.0
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<passes {
            for row in rows { sum += model.score(row) }
        }
        timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(passes * rows.count))
    }
    return (timings.sorted()[runs / 2], sum)
}

/// Rows inside each feature's range, a tenth of the values missing (NaN) so imputation runs too.
func rows(for model: CompiledModel, count: Int, seed: UInt64) -> [FeatureRow] {
    var random = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        FeatureRow(values: model.schema.features.map { spec -> Double in
            if Double.random(in: 0..<1, using: &random) < 0.1 { return .nan }
            let value = Double.random(in: (spec.minimum ?? -100)...(spec.maximum ?? 100), using: &random)
            return spec.type == .integer ? value.rounded(.down) : value
        })
    }
}

var checksum = 0.0
for width in [8, 100] {
    let model = CompiledModel(ModelArtifact.synthetic(featureCount: width, seed: 3))
    let sample = rows(for: model, count: 1024, seed: 11)
    let (median, sum) = nanosecondsPerRow(model, sample, passes: 200, runs: 15)
    checksum += sum
    let drift = DriftTracker(model: model, window: 1000)
    var timings: [Double] = []
    for _ in 0..<15 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<20 { for row in sample { drift?.record(row, model: model) } }
        timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(20 * sample.count))
    }
    print(String(format: "%3d features: inference %7.1f ns/row (median of 15 runs), drift record %7.1f ns/row", width, median, timings.sorted()[7]))
}
// Printed so the optimizer cannot drop the predictions.
print(String(format: "checksum %.6g", checksum))
