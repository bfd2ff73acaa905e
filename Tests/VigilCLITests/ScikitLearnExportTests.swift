import Foundation
import Testing

/// tools/export_sklearn.py against a real scikit-learn from PyPI: Vigil's predictions equal scikit-learn's on every row.
@Suite(.serialized) struct ScikitLearnExportTests {
    @Test func exportedPipelinesPredictLikeScikitLearn() async throws {
        guard PythonVenv.requireOrSkip() else { return }
        let python = try await onOwnThread { try PythonVenv.python(for: "requirements-sklearn.txt") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sklearn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let trained = try await onOwnThread {
            try PythonVenv.run(python, [Repository.root.appendingPathComponent("tools/sklearn_parity.py").path,
                                        Repository.root.appendingPathComponent("data/diabetes.csv").path, "Outcome", directory.path])
        }
        try #require(trained.status == 0, "sklearn_parity.py failed: \(trained.stderr)")
        for model in ["logistic", "linear"] {
            let result = try await runVigil(["predict", "--model", directory.appendingPathComponent("\(model).json").path,
                                             "--data", directory.appendingPathComponent("data.csv").path])
            try #require(result.status == 0, "vigil predict failed: \(result.stderr)")
            let ours = result.stdout.split(separator: "\n").compactMap { Double($0) }
            let theirs = try String(contentsOf: directory.appendingPathComponent("\(model).expected"), encoding: .utf8)
                .split(separator: "\n").compactMap { Double($0) }
            #expect(ours.count == 768 && theirs.count == 768)
            let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-9, "\(model): largest difference \(worst)")
        }
        // The exported artifact is served: schema from scikit-learn's imputer (nullable features).
        let artifact = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("logistic.json"))) as? [String: Any]
        let features = try #require(artifact?["features"] as? [[String: Any]])
        #expect(features.count == 8 && features.allSatisfy { $0["nullable"] as? Bool == true })
    }

    @Test func unsupportedPipelinesAreRefusedWithTheReason() async throws {
        guard PythonVenv.requireOrSkip() else { return }
        let python = try await onOwnThread { try PythonVenv.python(for: "requirements-sklearn.txt") }
        let script = """
            import sys; sys.path.insert(0, "\(Repository.root.appendingPathComponent("tools").path)")
            import numpy as np
            from export_sklearn import export, ExportError
            from sklearn.tree import DecisionTreeClassifier
            X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
            try:
                export(DecisionTreeClassifier().fit(X, y), X, ["x"])
            except ExportError as e:
                print(e)
            """
        let result = try await onOwnThread { try PythonVenv.run(python, ["-c", script]) }
        #expect(result.stdout.contains("unsupported estimator DecisionTreeClassifier"), "\(result.stdout) \(result.stderr)")
    }
}
