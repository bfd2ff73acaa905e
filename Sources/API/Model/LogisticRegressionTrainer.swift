import Foundation

/// Fits the preprocessing and an L2-regularised logistic regression, deterministically.
///
/// The objective matches scikit-learn's `LogisticRegression(C:)`: C times the summed log loss
/// plus half the squared weights, intercept unpenalised. It is minimised by Newton's method,
/// which for nine parameters converges in a handful of exact steps.
public struct LogisticRegressionTrainer: Sendable {
    public var regularizationC: Double
    public var seed: UInt64
    public var testFraction: Double
    public var folds: Int
    /// Cross-validation is repeated over this many shuffles and averaged, which steadies the estimate.
    public var repeats: Int
    public var threshold: Double

    public init(regularizationC: Double = 1.0, seed: UInt64 = 42, testFraction: Double = 0.2, folds: Int = 5, repeats: Int = 10, threshold: Double = 0.5) {
        self.regularizationC = regularizationC
        self.seed = seed
        self.testFraction = testFraction
        self.folds = folds
        self.repeats = repeats
        self.threshold = threshold
    }

    /// Fitted parameters before they become an artifact.
    public struct Fit: Sendable {
        public var medians: [Double]
        public var means: [Double]
        public var scales: [Double]
        public var coefficients: [Double]
        public var intercept: Double

        var compiled: CompiledModel {
            CompiledModel(DiabetesModel.placeholder(medians: medians, means: means, scales: scales, coefficients: coefficients, intercept: intercept))
        }
    }

    /// Trains on a stratified split, scores the hold-out and a stratified k-fold CV, and returns the artifact.
    public func train(_ data: DiabetesDataset, datasetName: String) throws(ModelError) -> DiabetesModel {
        var generator = SeededGenerator(seed: seed)
        let (trainIndices, testIndices) = stratifiedSplit(data.outcomes, testFraction: testFraction, using: &generator)
        let fit = try self.fit(data.subset(trainIndices))
        let test = data.subset(testIndices)
        let holdout = evaluate(fit, on: test)

        var cvAccuracies: [Double] = []
        var cvAUCs: [Double] = []
        for _ in 0..<repeats {
            var accuracies: [Double] = [], aucs: [Double] = []
            for fold in stratifiedFolds(data.outcomes, count: folds, using: &generator) {
                let held = Set(fold)
                let rest = data.outcomes.indices.filter { !held.contains($0) }
                let scores = evaluate(try self.fit(data.subset(rest)), on: data.subset(fold))
                accuracies.append(scores.accuracy)
                aucs.append(scores.auc)
            }
            cvAccuracies.append(mean(accuracies))
            cvAUCs.append(mean(aucs))
        }

        var model = DiabetesModel(
            formatVersion: DiabetesModel.currentFormatVersion,
            modelVersion: "",
            modelType: "logistic_regression",
            featureOrder: PatientFeatures.names,
            zeroAsMissing: PatientFeatures.names.filter { PatientFeatures.zeroMeansMissing.contains($0) },
            medians: fit.medians, means: fit.means, scales: fit.scales,
            coefficients: fit.coefficients, intercept: fit.intercept,
            threshold: threshold,
            training: .init(
                dataset: datasetName, rows: data.count, trainRows: trainIndices.count, testRows: testIndices.count,
                seed: seed, regularizationC: regularizationC, solver: "newton"
            ),
            metrics: .init(
                holdoutAccuracy: holdout.accuracy, holdoutROCAUC: holdout.auc, cvFolds: folds, cvRepeats: repeats,
                cvAccuracy: mean(cvAccuracies), cvROCAUC: mean(cvAUCs),
                cvAccuracyStd: standardDeviation(cvAccuracies), cvROCAUCStd: standardDeviation(cvAUCs)
            )
        )
        model.modelVersion = Self.contentVersion(of: model)
        return model
    }

    /// Fits imputation medians, scaling and weights on the given rows only.
    public func fit(_ data: DiabetesDataset) throws(ModelError) -> Fit {
        let width = PatientFeatures.names.count
        let impute = PatientFeatures.names.map { PatientFeatures.zeroMeansMissing.contains($0) }
        var medians = [Double](repeating: 0, count: width)
        for j in 0..<width {
            let column = data.features.map { $0.values[j] }
            let observed = impute[j] ? column.filter { $0 != 0 } : column
            medians[j] = median(observed.isEmpty ? column : observed)
        }
        let imputed: [[Double]] = data.features.map { row in
            (0..<width).map { j in impute[j] && row.values[j] == 0 ? medians[j] : row.values[j] }
        }
        var means = [Double](repeating: 0, count: width)
        var scales = [Double](repeating: 1, count: width)
        for j in 0..<width {
            let column = imputed.map { $0[j] }
            means[j] = mean(column)
            let std = populationStandardDeviation(column, mean: means[j])
            scales[j] = std > 0 ? std : 1
        }
        // Design matrix: a leading 1 for the intercept, then standardised features.
        let design: [[Double]] = imputed.map { row in [1.0] + (0..<width).map { (row[$0] - means[$0]) / scales[$0] } }
        let weights = try newtonFit(design: design, outcomes: data.outcomes)
        return Fit(medians: medians, means: means, scales: scales, coefficients: Array(weights.dropFirst()), intercept: weights[0])
    }

    private func newtonFit(design: [[Double]], outcomes: [Int]) throws(ModelError) -> [Double] {
        let p = design[0].count
        let lambda = 1 / regularizationC
        var w = [Double](repeating: 0, count: p)
        for _ in 0..<100 {
            var gradient = [Double](repeating: 0, count: p)
            var hessian = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
            for (x, y) in zip(design, outcomes) {
                var z = 0.0
                for k in 0..<p { z += w[k] * x[k] }
                let prob = 1 / (1 + exp(-z))
                let residual = prob - Double(y)
                let weight = prob * (1 - prob)
                for a in 0..<p {
                    gradient[a] += residual * x[a]
                    for b in a..<p { hessian[a][b] += weight * x[a] * x[b] }
                }
            }
            for a in 0..<p {
                for b in 0..<a { hessian[a][b] = hessian[b][a] }
                if a > 0 {
                    gradient[a] += lambda * w[a]
                    hessian[a][a] += lambda
                }
            }
            guard let step = solve(hessian, gradient) else {
                throw ModelError(code: .trainingFailed, message: "the Hessian is singular; the data may be degenerate")
            }
            var largest = 0.0
            for k in 0..<p {
                w[k] -= step[k]
                largest = max(largest, abs(step[k]))
            }
            if largest < 1e-12 { return w }
        }
        return w
    }

    func evaluate(_ fit: Fit, on data: DiabetesDataset) -> (accuracy: Double, auc: Double) {
        let compiled = fit.compiled
        let scores = data.features.map(compiled.probability)
        let predicted = scores.map { $0 >= threshold ? 1 : 0 }
        return (ClassificationMetrics.accuracy(predicted: predicted, actual: data.outcomes),
                ClassificationMetrics.rocAUC(scores: scores, actual: data.outcomes))
    }

    /// A stable identifier derived from the model's parameters: same parameters, same version.
    static func contentVersion(of model: DiabetesModel) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ value: Double) {
            var bits = value.bitPattern
            for _ in 0..<8 {
                hash = (hash ^ (bits & 0xFF)) &* 0x0000_0100_0000_01B3
                bits >>= 8
            }
        }
        for array in [model.medians, model.means, model.scales, model.coefficients] { array.forEach(mix) }
        mix(model.intercept)
        mix(model.threshold)
        return "logreg-" + String(hash, radix: 16).leftPadded(to: 16)
    }
}

// MARK: - Splits

/// Stratified shuffle split: each class contributes its share of test rows.
func stratifiedSplit(_ outcomes: [Int], testFraction: Double, using generator: inout SeededGenerator) -> (train: [Int], test: [Int]) {
    var train: [Int] = [], test: [Int] = []
    for label in [0, 1] {
        var members = outcomes.indices.filter { outcomes[$0] == label }
        members.shuffle(using: &generator)
        let testCount = Int((Double(members.count) * testFraction).rounded())
        test += members.prefix(testCount)
        train += members.dropFirst(testCount)
    }
    return (train.sorted(), test.sorted())
}

/// Stratified k folds: each class is shuffled and dealt round-robin across the folds.
func stratifiedFolds(_ outcomes: [Int], count: Int, using generator: inout SeededGenerator) -> [[Int]] {
    var folds = [[Int]](repeating: [], count: count)
    var next = 0
    for label in [0, 1] {
        var members = outcomes.indices.filter { outcomes[$0] == label }
        members.shuffle(using: &generator)
        for index in members {
            folds[next % count].append(index)
            next += 1
        }
    }
    return folds.map { $0.sorted() }
}

// MARK: - Small numerics

func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

func populationStandardDeviation(_ values: [Double], mean m: Double) -> Double {
    (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)).squareRoot()
}

func standardDeviation(_ values: [Double]) -> Double { populationStandardDeviation(values, mean: mean(values)) }

/// Solves A x = b by Gaussian elimination with partial pivoting; nil when A is singular.
func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
    let n = b.count
    var m = a
    var rhs = b
    for col in 0..<n {
        let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
        guard abs(m[pivot][col]) > 1e-300 else { return nil }
        m.swapAt(col, pivot)
        rhs.swapAt(col, pivot)
        for row in (col + 1)..<n where m[row][col] != 0 {
            let factor = m[row][col] / m[col][col]
            for k in col..<n { m[row][k] -= factor * m[col][k] }
            rhs[row] -= factor * rhs[col]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for row in stride(from: n - 1, through: 0, by: -1) {
        var sum = rhs[row]
        for k in (row + 1)..<n { sum -= m[row][k] * x[k] }
        x[row] = sum / m[row][row]
    }
    return x
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

extension DiabetesModel {
    /// A model with default metadata around the given parameters, used to score fits during training.
    static func placeholder(medians: [Double], means: [Double], scales: [Double], coefficients: [Double], intercept: Double) -> DiabetesModel {
        DiabetesModel(
            formatVersion: currentFormatVersion, modelVersion: "unversioned", modelType: "logistic_regression",
            featureOrder: PatientFeatures.names,
            zeroAsMissing: PatientFeatures.names.filter { PatientFeatures.zeroMeansMissing.contains($0) },
            medians: medians, means: means, scales: scales, coefficients: coefficients, intercept: intercept, threshold: 0.5,
            training: .init(dataset: "", rows: 0, trainRows: 0, testRows: 0, seed: 0, regularizationC: 0, solver: ""),
            metrics: .init(holdoutAccuracy: 0, holdoutROCAUC: 0, cvFolds: 0, cvRepeats: 0, cvAccuracy: 0, cvROCAUC: 0, cvAccuracyStd: 0, cvROCAUCStd: 0)
        )
    }
}
