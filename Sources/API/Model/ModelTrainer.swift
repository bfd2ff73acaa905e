import Foundation

/// Fits the preprocessing and a linear model on any CSV of numeric features, deterministically.
///
/// A binary 0/1 target trains a logistic regression whose objective matches scikit-learn's
/// `LogisticRegression(C:)`: C times the summed log loss plus half the squared weights, intercept
/// unpenalised, minimised by Newton's method. Any other target trains an ordinary least-squares
/// linear regression. The schema (types, missing values) is inferred from the data and the
/// optional `TrainingSchema`.
public struct ModelTrainer: Sendable {
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
        public var kind: ModelKind
        public var features: [FeatureSpec]
        public var medians: [Double]
        public var means: [Double]
        public var scales: [Double]
        public var coefficients: [Double]
        public var intercept: Double

        func compiled(threshold: Double) -> CompiledModel {
            CompiledModel(ModelArtifact(
                kind: kind, modelVersion: "unversioned", classLabels: kind == .logisticRegression ? ["0", "1"] : nil,
                threshold: kind == .logisticRegression ? threshold : nil, features: features,
                preprocessing: Preprocessing(imputation: medians, means: means, scales: scales),
                coefficients: coefficients, intercept: intercept))
        }
    }

    /// The feature specs for a data set: types and nullability inferred, then the schema's overrides applied.
    public static func featureSpecs(for data: LabeledDataset, schema: TrainingSchema) throws(ModelError) -> [FeatureSpec] {
        for column in schema.featureOrder where !data.featureNames.contains(column) {
            let position = schema.features[column]?.position ?? "schema"
            throw ModelError(code: .invalidData, message: "\(position): feature \(column) is not a column of the data (columns: \(data.featureNames.joined(separator: ", ")))")
        }
        return data.featureNames.enumerated().map { j, name in
            let column = data.column(j)
            let observed = column.filter { !$0.isNaN }
            var spec = FeatureSpec(
                name: name, type: observed.allSatisfy { $0 == $0.rounded() && abs($0) < 1e15 } ? .integer : .number,
                nullable: observed.count < column.count)
            if let entry = schema.features[name] {
                if let type = entry.type { spec.type = type }
                spec.minimum = entry.minimum
                spec.maximum = entry.maximum
                if let markers = entry.missingValues { spec.missingValues = markers }
                if let nullable = entry.nullable { spec.nullable = nullable || spec.nullable }
                spec.description = entry.description
                spec.example = entry.example
            }
            return spec
        }
    }

    /// Trains on a split, scores the hold-out and a k-fold CV (stratified for a classifier), and returns the artifact.
    public func train(_ data: LabeledDataset, schema: TrainingSchema = TrainingSchema(), datasetName: String, datasetSHA256: String? = nil) throws(ModelError) -> ModelArtifact {
        let kind = schema.kind ?? (data.isBinary ? .logisticRegression : .linearRegression)
        if kind == .logisticRegression {
            if let bad = data.targets.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw ModelError(code: .invalidData, message: "\(datasetName): \(data.targetName) must be 0 or 1 for a logistic_regression, got \(JSONText.number(data.targets[bad])) in data row \(bad + 1)")
            }
            guard Set(data.targets).count == 2 else {
                throw ModelError(code: .invalidData, message: "\(datasetName): both outcomes 0 and 1 of \(data.targetName) must occur")
            }
        }
        let features = try Self.featureSpecs(for: data, schema: schema)
        for spec in features {
            let j = data.featureNames.firstIndex(of: spec.name) ?? 0
            if let row = data.rows.firstIndex(where: { !$0[j].isNaN && !spec.accepts($0[j]) }) {
                throw ModelError(code: .invalidData, message: "\(datasetName): data row \(row + 1): \(spec.name) = \(JSONText.number(data.rows[row][j])) is outside its schema (\(PredictionRequest.rangeMessage(spec)))")
            }
        }
        let strata = kind == .logisticRegression ? data.targets.map { $0 == 1 ? 1 : 0 } : [Int](repeating: 0, count: data.count)
        var generator = SeededGenerator(seed: seed)
        let (trainIndices, testIndices) = stratifiedSplit(strata, testFraction: testFraction, using: &generator)
        let trainSet = data.subset(trainIndices)
        let fit = try self.fit(trainSet, features: features, kind: kind)
        let holdout = evaluate(fit, on: data.subset(testIndices))

        var cvScores: [[Double]] = []
        for _ in 0..<repeats {
            var foldScores: [[Double]] = []
            for fold in stratifiedFolds(strata, count: folds, using: &generator) {
                let held = Set(fold)
                let rest = data.targets.indices.filter { !held.contains($0) }
                foldScores.append(evaluate(try self.fit(data.subset(rest), features: features, kind: kind), on: data.subset(fold)))
            }
            cvScores.append((0..<2).map { k in mean(foldScores.map { $0[k] }) })
        }
        let names = kind == .logisticRegression ? ["accuracy", "roc_auc"] : ["rmse", "r2"]
        var metrics: [String: Double] = ["cv_folds": Double(folds), "cv_repeats": Double(repeats)]
        for (k, name) in names.enumerated() {
            metrics["holdout_" + name] = holdout[k]
            metrics["cv_" + name] = mean(cvScores.map { $0[k] })
            metrics["cv_\(name)_std"] = standardDeviation(cvScores.map { $0[k] })
        }
        let compiled = fit.compiled(threshold: threshold)
        var distribution: [FeatureDistribution] = []
        for j in features.indices {
            guard let entry = FeatureDistribution.of(trainSet.rows.map { compiled.effectiveValue($0[j], at: j) }) else {
                throw ModelError(code: .trainingFailed, message: "\(datasetName): the training split is empty")
            }
            distribution.append(entry)
        }
        var artifact = ModelArtifact(
            kind: kind, modelVersion: "", name: schema.name, description: schema.description, target: data.targetName,
            classLabels: kind == .logisticRegression ? (schema.classLabels ?? ["0", "1"]) : nil,
            threshold: kind == .logisticRegression ? threshold : nil,
            features: features,
            preprocessing: Preprocessing(imputation: fit.medians, means: fit.means, scales: fit.scales),
            coefficients: fit.coefficients, intercept: fit.intercept,
            trainingDistribution: distribution,
            training: TrainingInfo(
                dataset: datasetName, datasetSHA256: datasetSHA256, rows: data.count, trainRows: trainIndices.count, testRows: testIndices.count,
                seed: seed, regularizationC: kind == .logisticRegression ? regularizationC : nil,
                solver: kind == .logisticRegression ? "newton" : "normal_equations", tool: "vigil train"),
            metrics: metrics
        )
        artifact.modelVersion = Self.contentVersion(of: artifact)
        return artifact
    }

    /// Fits imputation medians, scaling and weights on the given rows only.
    public func fit(_ data: LabeledDataset, features: [FeatureSpec], kind: ModelKind) throws(ModelError) -> Fit {
        let width = features.count
        func isMissing(_ x: Double, _ j: Int) -> Bool { x.isNaN || features[j].isMissingMarker(x) }
        var medians = [Double](repeating: 0, count: width)
        for j in 0..<width {
            let column = data.column(j)
            let observed = column.filter { !isMissing($0, j) }
            guard !observed.isEmpty else {
                throw ModelError(code: .trainingFailed, message: "feature \(features[j].name) has no observed values to impute from")
            }
            medians[j] = median(observed)
        }
        let imputed: [[Double]] = data.rows.map { row in
            (0..<width).map { j in isMissing(row[j], j) ? medians[j] : row[j] }
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
        let weights = kind == .logisticRegression
            ? try newtonFit(design: design, outcomes: data.targets.map { $0 == 1 ? 1 : 0 })
            : try leastSquaresFit(design: design, targets: data.targets)
        return Fit(kind: kind, features: features, medians: medians, means: means, scales: scales,
                   coefficients: Array(weights.dropFirst()), intercept: weights[0])
    }

    /// Ordinary least squares through the normal equations.
    private func leastSquaresFit(design: [[Double]], targets: [Double]) throws(ModelError) -> [Double] {
        let p = design[0].count
        var gram = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
        var moment = [Double](repeating: 0, count: p)
        for (x, y) in zip(design, targets) {
            for a in 0..<p {
                moment[a] += x[a] * y
                for b in 0..<p { gram[a][b] += x[a] * x[b] }
            }
        }
        guard let w = solve(gram, moment), w.allSatisfy(\.isFinite) else {
            throw ModelError(code: .trainingFailed, message: "the features are linearly dependent; drop a redundant column")
        }
        return w
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

    /// Accuracy and ROC AUC for a classifier; RMSE and R² for a regression.
    func evaluate(_ fit: Fit, on data: LabeledDataset) -> [Double] {
        let compiled = fit.compiled(threshold: threshold)
        let scores = data.rows.map { compiled.score(FeatureRow(values: $0)) }
        if fit.kind == .logisticRegression {
            let actual = data.targets.map { $0 == 1 ? 1 : 0 }
            let predicted = scores.map { $0 >= threshold ? 1 : 0 }
            return [ClassificationMetrics.accuracy(predicted: predicted, actual: actual),
                    ClassificationMetrics.rocAUC(scores: scores, actual: actual)]
        }
        let residual = zip(scores, data.targets).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let centre = mean(data.targets)
        let total = data.targets.reduce(0) { $0 + ($1 - centre) * ($1 - centre) }
        return [(residual / Double(data.count)).squareRoot(), total > 0 ? 1 - residual / total : 0]
    }

    /// A stable identifier derived from the model's parameters: same parameters, same version.
    static func contentVersion(of model: ModelArtifact) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ value: Double) {
            var bits = value.bitPattern
            for _ in 0..<8 {
                hash = (hash ^ (bits & 0xFF)) &* 0x0000_0100_0000_01B3
                bits >>= 8
            }
        }
        let p = model.preprocessing
        for array in [p.imputation, p.means, p.scales, model.coefficients] { array.forEach(mix) }
        mix(model.intercept)
        if let threshold = model.threshold { mix(threshold) }
        let prefix = model.kind == .logisticRegression ? "logreg-" : "linreg-"
        return prefix + String(hash, radix: 16).leftPadded(to: 16)
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

