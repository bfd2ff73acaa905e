import API
import ArgumentParser
import Foundation

/// `vigil train`: fits a linear model on any CSV of numeric features and writes the self-describing JSON artifact.
struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a logistic or linear regression on a CSV and write its JSON model artifact.",
        discussion: """
            Every column but --target is a numeric feature; an empty cell is a missing value. A 0/1 target trains a \
            logistic regression, any other a linear regression. Types are inferred; ranges, missing-value markers, \
            descriptions and class labels come from --schema (a small YAML; by default DATA.schema.yml beside the CSV \
            when it exists). Deterministic: a fixed seed drives the (stratified) 80/20 split and the 5-fold \
            cross-validation repeated over 10 shuffles, so the same data gives the same bytes.
            """
    )

    @Option(help: "CSV with a header line: feature columns and the target column.")
    var data: String = "data/diabetes.csv"

    @Option(help: "The column to predict.")
    var target: String = "Outcome"

    @Option(help: "YAML with feature ranges, missing values, descriptions, class labels (default: DATA.schema.yml if present).")
    var schema: String?

    @Option(help: "Where to write the model artifact.")
    var out: String = "models/diabetes-logreg.json"

    @Option(help: "Inverse L2 regularisation strength of a logistic regression, as scikit-learn's C.")
    var c: Double = 1.0

    @Option(help: "Seed of the split and the folds.")
    var seed: UInt64 = 42

    @OptionGroup var mlflow: MLflowTrainOptions

    func validate() throws {
        guard c > 0, c.isFinite else { throw ValidationError("--c must be a positive number") }
        try mlflow.validate()
    }

    /// The schema file to use: the flag, or `DATA.schema.yml` when it exists.
    var schemaPath: String? {
        if let schema { return schema }
        let beside = URL(fileURLWithPath: data).deletingPathExtension().appendingPathExtension("schema.yml")
        return FileManager.default.fileExists(atPath: beside.path) ? beside.path : nil
    }

    func run() async throws {
        let dataURL = URL(fileURLWithPath: data)
        let bytes: Data
        do { bytes = try Data(contentsOf: dataURL) } catch { throw ValidationError("cannot read \(data): \(error.localizedDescription)") }
        let digest = DatasetDigest.sha256(bytes)
        let dataset: LabeledDataset
        let model: ModelArtifact
        do {
            dataset = try LabeledDataset(csv: String(decoding: bytes, as: UTF8.self), target: target, source: data)
            let overrides = try schemaPath.map { path throws(ModelError) in try TrainingSchema(contentsOf: URL(fileURLWithPath: path)) } ?? TrainingSchema()
            model = try ModelTrainer(regularizationC: c, seed: seed).train(dataset, schema: overrides, datasetName: data, datasetSHA256: digest)
        } catch {
            throw ValidationError(error.message)
        }
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoded = try model.encoded()
        try encoded.write(to: outURL, options: .atomic)
        let m = model.metrics
        func f(_ key: String) -> String { String(format: "%.4f", m[key] ?? .nan) }
        let training = model.training
        print("trained \(model.kind.rawValue) \(model.modelVersion) on \(dataset.count) rows (\(training?.trainRows ?? 0) train / \(training?.testRows ?? 0) hold-out), \(model.features.count) features")
        if model.kind == .logisticRegression {
            print("hold-out accuracy \(f("holdout_accuracy"))  ROC AUC \(f("holdout_roc_auc"))")
            print("\(Int(m["cv_folds"] ?? 0))-fold CV (mean of \(Int(m["cv_repeats"] ?? 0)) shuffles) accuracy \(f("cv_accuracy")) ± \(f("cv_accuracy_std"))  ROC AUC \(f("cv_roc_auc")) ± \(f("cv_roc_auc_std"))")
        } else {
            print("hold-out RMSE \(f("holdout_rmse"))  R² \(f("holdout_r2"))")
            print("\(Int(m["cv_folds"] ?? 0))-fold CV (mean of \(Int(m["cv_repeats"] ?? 0)) shuffles) RMSE \(f("cv_rmse")) ± \(f("cv_rmse_std"))  R² \(f("cv_r2")) ± \(f("cv_r2_std"))")
        }
        print("wrote \(out)")
        if mlflow.enabled {
            try await mlflow.log(model: model, artifactBytes: encoded, train: self, datasetDigest: digest)
        }
    }
}
