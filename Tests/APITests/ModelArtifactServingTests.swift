import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import API

/// A model with other features is served from its artifact alone: validation, 422s, OpenAPI and docs follow its schema.
@Suite struct ModelArtifactServingTests {
    /// A linear regression of y on two features, one nullable and one with a range, trained by `ModelTrainer`.
    func writeLinearModel(to url: URL) throws {
        var csv = "rooms,area,price\n"
        for i in 0..<60 {
            let rooms = Double(1 + i % 6), area = 30 + Double(i % 11) * 9.5
            csv += "\(Int(rooms)),\(i % 13 == 0 ? "" : String(area)),\(50 * rooms + 2 * area + 10)\n"
        }
        let data = try LabeledDataset(csv: csv, target: "price", source: "houses.csv")
        let schema = try TrainingSchema(yaml: "name: houses\nfeatures:\n  rooms: {minimum: 1, maximum: 12}\n", source: "houses.schema.yml")
        try ModelTrainer().train(data, schema: schema, datasetName: "houses.csv").encoded().write(to: url)
    }

    @Test func otherFeaturesAreServedWithoutCodeChanges() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try writeLinearModel(to: sandbox.modelPath)
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            let ok = try await post(client, "/predict", #"{"rooms": 3, "area": 80}"#)
            #expect(ok.status == .ok)
            let body = try jsonObject(ok)
            let prediction = try #require(body["prediction"] as? Double)
            // Rows with no area were imputed, so the fit is close to, not exactly, 50·rooms + 2·area + 10.
            #expect(abs(prediction - (150 + 160 + 10)) < 5)
            #expect(body["outcome"] == nil)

            // area is nullable (the CSV had empty cells): leaving it out imputes it.
            #expect(try await post(client, "/predict", #"{"rooms": 3}"#).status == .ok)

            let bad = try await post(client, "/predict", #"{"rooms": 13, "area": 80, "Glucose": 1}"#)
            #expect(bad.status == .unprocessableContent)
            let issues = try #require(try jsonObject(bad)["detail"] as? [[String: Any]])
            #expect(issues.map { $0["type"] as? String } == ["out_of_range", "extra_forbidden"])
            #expect(issues.first?["msg"] as? String == "Input should be between 1 and 12")

            // area has no range: a huge value overflows the score, which is refused rather than answered as null.
            let overflow = try await post(client, "/predict", #"{"rooms": 3, "area": 1.7e308}"#)
            #expect(overflow.status == .unprocessableContent)
            #expect(String(buffer: overflow.body).contains("non_finite_prediction"))

            let document = try jsonObject(try await client.execute(uri: "/openapi.json", method: .get))
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let features = try #require(schemas["Features"] as? [String: Any])
            #expect(Set((features["properties"] as? [String: Any] ?? [:]).keys) == ["rooms", "area"])
            #expect(features["required"] as? [String] == ["rooms"])
            let docs = String(buffer: try await client.execute(uri: "/docs", method: .get).body)
            #expect(docs.contains("rooms") && docs.contains("1 – 12") && !docs.contains("Glucose"))

            let metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(sampleValue(metrics, #"predictions_total{outcome="predicted"}"#) == 2)
            #expect(metrics.contains(#"model_info{model="model",version="linreg-"#))
        }
    }

    @Test func reloadFailuresAreCountedAndTheOldModelKeepsServing() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sandbox.modelPath)) as? [String: Any])
            object["kind"] = "random_forest"
            try JSONSerialization.data(withJSONObject: object).write(to: sandbox.modelPath)
            let reload = try await client.execute(uri: "/-/reload", method: .post)
            #expect(reload.status == .internalServerError)
            let detail = try #require(try jsonObject(reload)["detail"] as? [String: Any])
            #expect((detail["message"] as? String)?.contains("kind \"random_forest\" is not supported") == true)
            #expect(try await post(client, "/predict", exampleBody).status == .ok)
            let metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(sampleValue(metrics, "model_reload_failures_total") == 1)
            #expect(sampleValue(metrics, "model_loaded") == 1)
        }
    }
}

@Suite struct DriftTests {
    /// Rows of the committed data set as /predict/batch bodies, with `shift` added to Glucose.
    func batches(shift: Double = 0) throws -> [String] {
        let data = try LabeledDataset(contentsOf: Repository.dataset, target: "Outcome")
        let glucose = try #require(data.featureNames.firstIndex(of: "Glucose"))
        let rows = data.rows.map { row -> String in
            var row = row
            if row[glucose] != 0 { row[glucose] = min(row[glucose] + shift, 300) }
            return "{" + zip(data.featureNames, row).map { "\"\($0)\":\($1)" }.joined(separator: ",") + "}"
        }
        return stride(from: 0, to: rows.count, by: 256).map { "[" + rows[$0..<min($0 + 256, rows.count)].joined(separator: ",") + "]" }
    }

    func psi(_ metrics: String, _ feature: String) -> Double? {
        sampleValue(metrics, "model_feature_drift_psi{feature=\"\(feature)\"}")
    }

    @Test func trainingLikeInputsShowNoDriftAndShiftedOnesDo() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            for body in try batches() { #expect(try await post(client, "/predict/batch", body).status == .ok) }
            var metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            for feature in Repository.diabetesSchema.names {
                let value = try #require(psi(metrics, feature), "no PSI for \(feature)")
                #expect(value < 0.1, "\(feature) drifted on its own training data: \(value)")
            }
            #expect(sampleValue(metrics, "model_prediction_probability_count") == 768)

            // The window holds the last 1,000 rows: 768 shifted ones push most unshifted rows out.
            for body in try batches(shift: 60) { #expect(try await post(client, "/predict/batch", body).status == .ok) }
            metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(try #require(psi(metrics, "Glucose")) > 0.2)
            #expect(try #require(psi(metrics, "BMI")) < 0.1)
        }
    }

    @Test func theWindowForgetsOldRows() throws {
        let model = CompiledModel(try ModelArtifact.load(from: Repository.model))
        let tracker = try #require(DriftTracker(model: model, window: 50))
        let low = FeatureRow(values: [0, 60, 40, 10, 20, 20, 0.1, 21])
        let typical = FeatureRow(values: [3, 117, 72, 29, 125, 32, 0.37, 29])
        for _ in 0..<50 { tracker.record(low, model: model) }
        for _ in 0..<50 { tracker.record(typical, model: model) }
        #expect(tracker.observed == 50)
        // Only the typical rows are left: Glucose's live distribution is all in 117's bucket.
        let glucose = 1
        let distribution = try #require(model.artifact.trainingDistribution)[glucose]
        var oneBucket = [Double](repeating: 0, count: FeatureDistribution.bucketCount)
        oneBucket[distribution.bucket(of: 117)] = 1
        let expected = DriftTracker.populationStabilityIndex(expected: distribution.fractions, actual: oneBucket)
        #expect(abs(tracker.psi()[glucose] - expected) < 1e-12)
        #expect(DriftTracker.populationStabilityIndex(expected: [0.5, 0.5], actual: [0.5, 0.5]) == 0)
        let shifted = DriftTracker.populationStabilityIndex(expected: [0.5, 0.5], actual: [0.9, 0.1])
        #expect(abs(shifted - (0.4 * log(1.8) + -0.4 * log(0.2))) < 1e-12)
    }
}
