import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct CLITests {
    @Test func trainReproducesTheCommittedArtifactAndPrintsCVScores() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-train-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try await runVigil(["train", "--data", "data/diabetes.csv", "--out", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("5-fold CV (mean of 10 shuffles) accuracy 0."))
        #expect(result.stdout.contains("ROC AUC 0."))
        let committed = try Data(contentsOf: Repository.root.appendingPathComponent("models/diabetes-logreg.json"))
        #expect(try Data(contentsOf: out) == committed, "the committed model is not what `vigil train` produces")
    }

    @Test func trainFitsAnyCSVAndPredictScoresIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-any-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var csv = "width,height,heavy\n"
        for i in 0..<80 { csv += "\(i % 9),\(Double(i % 7) * 1.5),\((i % 9) + (i % 7) > 7 ? 1 : 0)\n" }
        try Data(csv.utf8).write(to: directory.appendingPathComponent("boxes.csv"))
        try Data("class_labels: [light, heavy]\nfeatures:\n  width: {minimum: 0, maximum: 20}\n".utf8)
            .write(to: directory.appendingPathComponent("boxes.schema.yml"))
        let out = directory.appendingPathComponent("boxes.json")
        let trained = try await runVigil(["train", "--data", directory.appendingPathComponent("boxes.csv").path, "--target", "heavy", "--out", out.path])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("trained logistic_regression") && trained.stdout.contains("2 features"))
        let artifact = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        #expect(artifact["class_labels"] as? [String] == ["light", "heavy"])
        let scored = try await runVigil(["predict", "--model", out.path, "--data", directory.appendingPathComponent("boxes.csv").path])
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.stdout.split(separator: "\n").compactMap { Double($0) }.filter { (0...1).contains($0) }.count == 80)

        let missing = try await runVigil(["train", "--data", directory.appendingPathComponent("boxes.csv").path, "--target", "weight", "--out", out.path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("header has no column weight"))
    }

    @Test func trainReportsABadDataFileWithItsLine() async throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: csv) }
        try Data("Pregnancies,Glucose,BloodPressure,SkinThickness,Insulin,BMI,DiabetesPedigreeFunction,Age,Outcome\n1,2,3,4,5,6,7,8\n".utf8).write(to: csv)
        let result = try await runVigil(["train", "--data", csv.path, "--out", "/dev/null"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(csv.path):2: expected 9 cells, got 8"))
    }

    @Test func serveRejectsABadListenAddress() async throws {
        let result = try await runVigil(["serve", "--api.listen-address", "localhost"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--api.listen-address must be HOST:PORT"))
    }

    @Test func serveReloadsOnSIGHUPAndDrainsOnSIGTERM() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("model.json")
        // The model path comes from the environment variable, as a container deployment would set it.
        let server = try ServerProcess(arguments: [], environment: ["VIGIL_MODEL_PATH": model.path])
        try await server.waitUntilListening()

        let before = try await server.get("/health")
        #expect(before.status == 503)
        // Requests are validated against the loaded model's schema, so without a model even a bad body is 503.
        #expect(try await server.request("/predict", method: "POST", body: #"{"Pregnancies":6}"#).status == 503)

        try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("models/diabetes-logreg.json"), to: model)
        server.signal(SIGHUP)
        var after = try await server.get("/health")
        for _ in 0..<100 where after.status != 200 {
            try await Task.sleep(for: .milliseconds(50))
            after = try await server.get("/health")
        }
        #expect(after.status == 200)
        #expect(after.body.contains(#""model_loaded":true"#))
        let metrics = try await server.get("/metrics")
        #expect(metrics.body.contains("\nmodel_loaded 1"))

        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        let log = server.log
        #expect(log.contains("msg=\"SIGHUP received, reloading\""))
        #expect(log.contains("level=error") && log.contains("msg=\"model load failed\""))
        #expect(log.contains("msg=stopped"))
    }
}
