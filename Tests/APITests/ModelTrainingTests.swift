import Foundation
import Testing
@testable import API

@Suite struct ModelTrainingTests {
    let dataset = try! LabeledDataset(contentsOf: Repository.dataset, target: "Outcome")
    let schema = try! TrainingSchema(contentsOf: Repository.schema)

    @Test func readsAllRowsIncludingTheLastLineWithoutNewline() {
        #expect(dataset.count == 768)
        #expect(dataset.targets.reduce(0, +) == 268)
        #expect(dataset.featureNames == Repository.diabetesSchema.names)
        #expect(dataset.rows[0] == [6, 148, 72, 35, 0, 33.6, 0.627, 50])
        #expect(dataset.rows[767] == [1, 93, 70, 31, 0, 30.4, 0.315, 23])
    }

    @Test func trainingIsDeterministicAndMatchesTheCommittedArtifact() throws {
        let first = try ModelTrainer().train(dataset, schema: schema, datasetName: "data/diabetes.csv")
        let second = try ModelTrainer().train(dataset, schema: schema, datasetName: "data/diabetes.csv")
        #expect(try first.encoded() == second.encoded())
        let committed = try ModelArtifact.load(from: Repository.model)
        #expect(committed.modelVersion == first.modelVersion)
        #expect(committed.features == first.features)
        #expect(committed.classLabels == ["non_diabetic", "diabetic"])
    }

    @Test func modelIsAtLeastAsGoodAsScikitLearnsBaseline() throws {
        let metrics = try ModelTrainer().train(dataset, schema: schema, datasetName: "x").metrics
        // scikit-learn's LogisticRegression with the same preprocessing reaches about 0.77 accuracy and 0.83 AUC.
        #expect(try #require(metrics["cv_accuracy"]) >= 0.765)
        #expect(try #require(metrics["cv_roc_auc"]) >= 0.83)
        #expect(try #require(metrics["holdout_accuracy"]) >= 0.75)
        #expect(try #require(metrics["holdout_roc_auc"]) >= 0.82)
        #expect(metrics["cv_folds"] == 5 && metrics["cv_repeats"] == 10)
    }

    @Test func differentSeedChangesTheSplitButNotTheQuality() throws {
        let model = try ModelTrainer(seed: 7).train(dataset, schema: schema, datasetName: "x")
        let reference = try ModelTrainer().train(dataset, schema: schema, datasetName: "x")
        #expect(model.modelVersion != reference.modelVersion)
        #expect(try #require(model.metrics["cv_roc_auc"]) > 0.8)
    }

    @Test func imputationMediansIgnoreMissingZeros() throws {
        let features = try ModelTrainer.featureSpecs(for: dataset, schema: schema)
        let fit = try ModelTrainer().fit(dataset, features: features, kind: .logisticRegression)
        let insulin = try #require(dataset.featureNames.firstIndex(of: "Insulin"))
        // 374 of 768 Insulin values are 0; counting them would pull the median to about 30.
        #expect(fit.medians[insulin] > 100)
        let pregnancies = try #require(dataset.featureNames.firstIndex(of: "Pregnancies"))
        #expect(fit.medians[pregnancies] == 3)
    }

    @Test func schemaIsInferredWithoutAYAMLFile() throws {
        let csv = "a,b,label\n1,0.5,0\n2,,1\n3,1.5,0\n4,2.5,1\n5,3.5,0\n6,4.5,1\n7,5.5,0\n8,6.5,1\n9,7.5,0\n10,8.5,1\n11,9.5,1\n12,10.5,0"
        let data = try LabeledDataset(csv: csv, target: "label", source: "t.csv")
        let model = try ModelTrainer(folds: 2, repeats: 1).train(data, datasetName: "t.csv")
        #expect(model.kind == .logisticRegression)
        #expect(model.features.map(\.type) == [.integer, .number])
        #expect(model.features.map(\.nullable) == [false, true])
        #expect(model.classLabels == ["0", "1"])
        #expect(model.trainingDistribution?.count == 2)
        try model.validate(source: "trained")
    }

    @Test func nonBinaryTargetTrainsALinearRegression() throws {
        // y = 2a - b + 3, exactly: least squares must find it.
        var csv = "a,b,y\n"
        for i in 0..<40 { let a = Double(i % 7), b = Double(i % 5) * 1.5; csv += "\(a),\(b),\(2 * a - b + 3)\n" }
        let data = try LabeledDataset(csv: csv, target: "y", source: "lin.csv")
        let model = try ModelTrainer().train(data, datasetName: "lin.csv")
        #expect(model.kind == .linearRegression)
        #expect(model.modelVersion.hasPrefix("linreg-"))
        let compiled = CompiledModel(model)
        #expect(abs(compiled.score(FeatureRow(values: [4, 3])) - 8) < 1e-9)
        #expect(try #require(model.metrics["holdout_rmse"]) < 1e-9)
    }

    @Test func aucCountsTiesAsHalf() {
        #expect(ClassificationMetrics.rocAUC(scores: [0.1, 0.4, 0.35, 0.8], actual: [0, 0, 1, 1]) == 0.75)
        #expect(ClassificationMetrics.rocAUC(scores: [0.5, 0.5], actual: [0, 1]) == 0.5)
        #expect(ClassificationMetrics.rocAUC(scores: [0.1, 0.9], actual: [0, 1]) == 1)
    }

    @Test func csvErrorsNameTheLine() throws {
        let header = "Pregnancies,Glucose,BloodPressure,SkinThickness,Insulin,BMI,DiabetesPedigreeFunction,Age,Outcome"
        #expect(throws: ModelError.self) { try LabeledDataset(csv: "Glucose,Result\n1,0", target: "Outcome", source: "d.csv") }
        do {
            _ = try LabeledDataset(csv: header + "\n6,148,72,35,0,33.6,0.627,50,1\n1,abc,66,29,0,26.6,0.351,31,0", target: "Outcome", source: "d.csv")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "d.csv:3: Glucose is not a number: \"abc\"")
        }
        var rows = header
        for _ in 0..<12 { rows += "\n6,148,72,35,0,33.6,0.627,50,1" }
        let data = try LabeledDataset(csv: rows + "\n6,148,72,35,0,33.6,0.627,50,2", target: "Outcome", source: "d.csv")
        var logistic = schema
        logistic.kind = .logisticRegression
        do {
            _ = try ModelTrainer().train(data, schema: logistic, datasetName: "d.csv")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "d.csv: Outcome must be 0 or 1 for a logistic_regression, got 2 in data row 13")
        }
    }

    @Test func schemaErrorsCarryPositions() {
        #expect(throws: ModelError.self) { try TrainingSchema(yaml: "features:\n  Age: {typo: 1}\n", source: "s.yml") }
        do {
            _ = try TrainingSchema(yaml: "name: x\nfeatures:\n  Age: {type: text}\n", source: "s.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "s.yml:3:15: type must be integer or number, got text")
        }
        do {
            _ = try TrainingSchema(yaml: "colour: red\n", source: "s.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("s.yml:1:1: unknown key colour"))
        }
    }

    @Test func inferenceFoldsPreprocessingExactly() throws {
        let model = try ModelArtifact.load(from: Repository.model)
        let compiled = CompiledModel(model)
        let row = FeatureRow(values: [6, 148, 72, 35, 0, 33.6, 0.627, 50])
        // The unfolded pipeline: impute, standardise, dot product, logistic.
        var z = model.intercept
        for i in 0..<8 {
            var x = row.values[i]
            if model.features[i].missingValues.contains(x) { x = model.preprocessing.imputation[i] }
            z += model.coefficients[i] * (x - model.preprocessing.means[i]) / model.preprocessing.scales[i]
        }
        let expected = 1 / (1 + exp(-z))
        #expect(abs(compiled.score(row) - expected) < 1e-12)
        #expect(compiled.score(row) > 0.5)
        // A value left out (NaN) is imputed exactly like the marker.
        #expect(compiled.score(FeatureRow(values: [6, 148, 72, 35, .nan, 33.6, 0.627, 50])) == compiled.score(row))
    }
}

@Suite struct ModelArtifactValidationTests {
    func committedJSON() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Repository.model)) as? [String: Any])
    }

    func refusal(_ edit: (inout [String: Any]) -> Void) throws -> String {
        var object = try committedJSON()
        edit(&object)
        let data = try JSONSerialization.data(withJSONObject: object)
        do {
            _ = try ModelArtifact.decode(data, source: "m.json")
            return "accepted"
        } catch {
            return error.message
        }
    }

    @Test func committedArtifactLoads() throws {
        let model = try ModelArtifact.load(from: Repository.model)
        #expect(model.kind == .logisticRegression)
        #expect(model.features.count == 8)
    }

    @Test func unknownKindIsRefusedWithTheReason() throws {
        #expect(try refusal { $0["kind"] = "random_forest" } == "model file m.json: kind \"random_forest\" is not supported (this build serves logistic_regression, linear_regression)")
    }

    @Test func coefficientCountMustMatchTheFeatures() throws {
        #expect(try refusal { $0["coefficients"] = [1.0, 2.0] } == "model file m.json: coefficients has 2 values for 8 features")
    }

    @Test func zeroScaleIsRefused() throws {
        let message = try refusal { object in
            var preprocessing = object["preprocessing"] as! [String: Any]
            var scales = preprocessing["scales"] as! [Double]
            scales[2] = 0
            preprocessing["scales"] = scales
            object["preprocessing"] = preprocessing
        }
        #expect(message == "model file m.json: preprocessing.scales[2] (BloodPressure) is 0.0; scales must be positive")
    }

    @Test func nonFiniteNumbersAreRefused() throws {
        var text = try String(contentsOf: Repository.model, encoding: .utf8)
        let intercept = try #require(text.range(of: #""intercept" : "#))
        text.insert(contentsOf: "1e999, \"x\": ", at: intercept.upperBound)
        #expect(throws: ModelError.self) { try ModelArtifact.decode(Data(text.utf8), source: "m.json") }
    }

    @Test func oldFormatAndUnknownFieldsAreRefused() throws {
        #expect(try refusal { $0["format_version"] = 1 }.contains("format_version 1 is not supported"))
        #expect(try refusal { $0["colour"] = "red" } == "model file m.json: unknown field colour")
        #expect(try refusal { $0["threshold"] = 1.5 } == "model file m.json: threshold must lie strictly between 0 and 1")
    }
}
