import API
import ArgumentParser
import Foundation

/// `vigil train`: fits the logistic regression on the CSV and writes the JSON artifact.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the diabetes logistic-regression model and write its JSON artifact.",
        discussion: "Deterministic: a fixed seed drives the stratified 80/20 split and the stratified 5-fold cross-validation (repeated over 10 shuffles), so the same data gives the same bytes. The artifact is fitted on the 80 % training split; its hold-out scores describe it."
    )

    @Option(help: "CSV with the eight feature columns and Outcome.")
    var data: String = "data/diabetes.csv"

    @Option(help: "Where to write the model artifact.")
    var out: String = "models/diabetes-logreg.json"

    @Option(help: "Inverse L2 regularisation strength, as scikit-learn's C.")
    var c: Double = 1.0

    @Option(help: "Seed of the split and the folds.")
    var seed: UInt64 = 42

    func validate() throws {
        guard c > 0 else { throw ValidationError("--c must be positive") }
    }

    func run() throws {
        let dataset: DiabetesDataset
        let model: DiabetesModel
        do {
            dataset = try DiabetesDataset(contentsOf: URL(fileURLWithPath: data))
            model = try LogisticRegressionTrainer(regularizationC: c, seed: seed).train(dataset, datasetName: data)
        } catch {
            throw ValidationError(error.message)
        }
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        var bytes = try model.encoded()
        bytes.append(UInt8(ascii: "\n"))
        try bytes.write(to: outURL, options: .atomic)
        let m = model.metrics
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        print("trained \(model.modelVersion) on \(dataset.count) rows (\(model.training.trainRows) train / \(model.training.testRows) hold-out)")
        print("hold-out accuracy \(f(m.holdoutAccuracy))  ROC AUC \(f(m.holdoutROCAUC))")
        print("\(m.cvFolds)-fold CV (mean of \(m.cvRepeats) shuffles) accuracy \(f(m.cvAccuracy)) ± \(f(m.cvAccuracyStd))  ROC AUC \(f(m.cvROCAUC)) ± \(f(m.cvROCAUCStd))")
        print("wrote \(out)")
    }
}
