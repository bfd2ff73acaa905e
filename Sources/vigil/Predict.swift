import API
import ArgumentParser
import Foundation

/// `vigil predict`: scores every row of a CSV with a model artifact and prints one full-precision value per line.
struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Score a CSV with a model artifact: one probability (or predicted value) per row, full precision.",
        discussion: "Columns are matched to the model's features by name; other columns are ignored; an empty cell is a missing value, imputed as the model was trained. Values are not range-checked, so training data can be scored as is."
    )

    @Option(help: "Model artifact (JSON), or an MLflow reference: models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH.")
    var model: String

    @Option(name: .customLong("mlflow.tracking-uri"), help: "MLflow tracking server for an MLflow --model reference.")
    var mlflowTrackingURI: String = ProcessInfo.processInfo.environment["MLFLOW_TRACKING_URI"] ?? ""

    @Option(help: "CSV with a header line naming the model's features.")
    var data: String

    func run() async throws {
        let artifact: ModelArtifact
        do {
            if let reference = MLflowModelURI(model) {
                guard let tracking = URL(string: mlflowTrackingURI), tracking.host != nil else {
                    throw ValidationError("--model \(model) needs --mlflow.tracking-uri")
                }
                let cache = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-predict-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: cache) }
                let fetched = try await MLflowModelSource(uri: reference, client: MLflowClient(trackingURI: tracking), cacheDirectory: cache).fetch()
                artifact = try ModelArtifact.decode(fetched.data, source: fetched.source)
            } else {
                artifact = try ModelArtifact.load(from: URL(fileURLWithPath: model))
            }
        } catch let error as ModelError {
            throw ValidationError(error.message)
        }
        let compiled = CompiledModel(artifact)
        let text: String
        do { text = try String(contentsOf: URL(fileURLWithPath: data), encoding: .utf8) } catch { throw ValidationError("cannot read \(data): \(error.localizedDescription)") }
        let lines = text.split(whereSeparator: \.isNewline)
        guard let header = lines.first else { throw ValidationError("\(data):1: empty file, expected a header line") }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var positions: [Int] = []
        for name in artifact.featureNames {
            guard let index = columns.firstIndex(of: name) else { throw ValidationError("\(data):1: header has no column \(name), a feature of the model") }
            positions.append(index)
        }
        var output = ""
        for (offset, line) in lines.enumerated().dropFirst() where !line.allSatisfy(\.isWhitespace) {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == columns.count else { throw ValidationError("\(data):\(offset + 1): expected \(columns.count) cells, got \(cells.count)") }
            var values: [Double] = []
            for (name, position) in zip(artifact.featureNames, positions) {
                let cell = cells[position]
                if cell.isEmpty || cell.lowercased() == "nan" { values.append(.nan); continue }
                guard let value = Double(cell), value.isFinite else { throw ValidationError("\(data):\(offset + 1): \(name) is not a number: \"\(cell)\"") }
                values.append(value)
            }
            output += "\(compiled.score(FeatureRow(values: values)))\n"
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
