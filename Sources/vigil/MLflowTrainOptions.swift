import API
import ArgumentParser
import Foundation

/// `vigil train`'s MLflow flags: log the run and register the artifact as a model version.
struct MLflowTrainOptions: ParsableArguments {
    @Option(name: .customLong("mlflow.tracking-uri"), help: "MLflow tracking server, e.g. http://127.0.0.1:5000; logs the run there.")
    var trackingURI: String?

    @Option(name: .customLong("mlflow.experiment"), help: "Experiment to log the run in (created when missing).")
    var experiment: String = "vigil"

    @Option(name: .customLong("mlflow.register-as"), help: "Register the artifact as a new version of this model.")
    var registerAs: String?

    @Option(name: .customLong("mlflow.alias"), help: "Point this alias (e.g. champion) at the new version; needs --mlflow.register-as.")
    var alias: String?

    var enabled: Bool { trackingURI != nil }

    func validate() throws {
        if let trackingURI {
            guard let url = URL(string: trackingURI), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--mlflow.tracking-uri must be an http:// or https:// URL, got \(trackingURI)")
            }
        } else if registerAs != nil || alias != nil {
            throw ValidationError("--mlflow.register-as and --mlflow.alias need --mlflow.tracking-uri")
        }
        if alias != nil && registerAs == nil { throw ValidationError("--mlflow.alias needs --mlflow.register-as") }
    }

    /// Logs the run (parameters, metrics, data set, artifact), then registers the version and moves the alias.
    func log(model: ModelArtifact, artifactBytes: Data, train: Train, datasetDigest: String) async throws {
        guard let trackingURI, let url = URL(string: trackingURI) else { return }
        let client = MLflowClient(trackingURI: url)
        do {
            let experimentID = try await client.experimentID(named: experiment)
            let run = try await client.createRun(experimentID: experimentID, name: model.modelVersion, tags: [
                "mlflow.source.name": "vigil train", "mlflow.source.type": "LOCAL", "vigil.model_version": model.modelVersion,
            ])
            var params: [String: String] = [
                "data": train.data, "target": train.target, "seed": String(train.seed), "kind": model.kind.rawValue,
                "features": String(model.features.count), "dataset_sha256": datasetDigest,
            ]
            if model.kind == .logisticRegression { params["c"] = String(train.c) }
            if let schema = train.schemaPath { params["schema"] = schema }
            try await client.logBatch(runID: run.id, params: params, metrics: model.metrics)
            try await client.logDataset(runID: run.id, name: URL(fileURLWithPath: train.data).lastPathComponent, digest: datasetDigest,
                                        source: URL(fileURLWithPath: train.data).absoluteString, rows: model.training?.rows ?? 0)
            try await client.uploadArtifact(artifactBytes, artifactRoot: run.artifactURI, path: "model/" + MLflowModelSource.artifactFileName)
            try await client.finishRun(run.id)
            print("logged MLflow run \(run.id) in experiment \(experiment) (\(experimentID))")
            guard let registerAs else { return }
            let version = try await client.registerVersion(name: registerAs, source: run.artifactURI + "/model", runID: run.id)
            print("registered \(registerAs) version \(version.version)")
            if let alias {
                try await client.setAlias(name: registerAs, alias: alias, version: version.version)
                print("alias \(alias) of \(registerAs) -> version \(version.version)")
            }
        } catch {
            throw ValidationError("MLflow: \(error.message)")
        }
    }
}
