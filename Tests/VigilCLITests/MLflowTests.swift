import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// A real MLflow tracking server (PyPI's `mlflow` in a cached venv) on a free loopback port, with a
/// SQLite backend store and a local artifact directory behind its artifact proxy.
final class MLflowServer {
    let process = Process()
    let port: Int
    let directory: URL
    let logURL: URL
    var url: String { "http://127.0.0.1:\(port)" }

    init(python: String) throws {
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-mlflow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("mlflow.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        // Foundation starts the child as a process-group leader, so signalling the group also stops the uvicorn worker it spawns.
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-m", "mlflow", "server", "--host", "127.0.0.1", "--port", String(port), "--workers", "1",
                             "--backend-store-uri", "sqlite:///" + directory.appendingPathComponent("mlflow.db").path,
                             "--default-artifact-root", "mlflow-artifacts:/",
                             "--artifacts-destination", directory.appendingPathComponent("artifacts").path]
        // The background job runner is not needed and costs several processes.
        process.environment = ProcessInfo.processInfo.environment.merging(["MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"]) { $1 }
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Polls /health; a first start migrates the SQLite store, which takes a while on a busy machine.
    func waitUntilReady(timeout: Duration = .seconds(180)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let (_, response) = try? await URLSession.shared.data(for: URLRequest(url: URL(string: url + "/health")!, timeoutInterval: 5)),
               (response as? HTTPURLResponse)?.statusCode == 200 { return }
            guard process.isRunning else { throw CLITestError("mlflow server exited: \(log.suffix(3000))") }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CLITestError("mlflow server did not answer within \(timeout): \(log.suffix(3000))")
    }

    /// Stops the server and its workers, waiting until the port is closed.
    func stop() async {
        let group = process.processIdentifier
        kill(-group, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(15)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        kill(-group, SIGKILL)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        // The worker may outlive its parent for a moment; wait until the port refuses connections.
        let closed = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < closed, (try? await call("GET", "/health")) != nil { try? await Task.sleep(for: .milliseconds(50)) }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// One REST call; the JSON answer.
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil, raw: Data? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url + path)!, timeoutInterval: 20)
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let raw {
            request.httpBody = raw
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else { throw CLITestError("\(method) \(path) answered \(status): \(String(decoding: data, as: UTF8.self))") }
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}

@Suite(.serialized) struct MLflowTests {
    static let python = Result { try PythonVenv.python(for: "requirements-mlflow.txt") }

    /// Train → log → register → serve by alias → follow the alias → refuse a bad version → start from the cache with MLflow down.
    @Test(.timeLimit(.minutes(10)))
    func trainRegisterServeFollowAndSurviveAnOutage() async throws {
        guard PythonVenv.requireOrSkip() else { return }
        let python = try await onOwnThread { try MLflowTests.python.get() }
        let mlflow = try MLflowServer(python: python)
        defer { mlflow.remove() }
        do {
            try await mlflow.waitUntilReady()
            try await scenario(mlflow)
        } catch {
            await mlflow.stop()
            throw error
        }
    }

    func train(_ mlflow: MLflowServer, out: URL, seed: Int) async throws -> CommandResult {
        let result = try await runVigil([
            "train", "--data", "data/diabetes.csv", "--out", out.path, "--seed", String(seed),
            "--mlflow.tracking-uri", mlflow.url, "--mlflow.experiment", "vigil-test",
            "--mlflow.register-as", "diabetes", "--mlflow.alias", "champion",
        ])
        try #require(result.status == 0, "vigil train failed: \(result.stderr)")
        return result
    }

    func scenario(_ mlflow: MLflowServer) async throws {
        let work = mlflow.directory
        let first = try await train(mlflow, out: work.appendingPathComponent("v1.json"), seed: 42)
        #expect(first.stdout.contains("registered diabetes version 1"))
        #expect(first.stdout.contains("alias champion of diabetes -> version 1"))

        // The run holds the parameters, metrics, data set and artifact.
        let alias = try await mlflow.call("GET", "/api/2.0/mlflow/registered-models/alias?name=diabetes&alias=champion")
        let version = try #require(alias["model_version"] as? [String: Any])
        let runID = try #require(version["run_id"] as? String)
        let run = try #require(try await mlflow.call("GET", "/api/2.0/mlflow/runs/get?run_id=\(runID)")["run"] as? [String: Any])
        let data = try #require(run["data"] as? [String: Any])
        let params = Dictionary(uniqueKeysWithValues: (data["params"] as? [[String: String]] ?? []).compactMap { p in p["key"].map { ($0, p["value"] ?? "") } })
        let csv = try Data(contentsOf: Repository.root.appendingPathComponent("data/diabetes.csv"))
        let v1 = try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("v1.json"))) as? [String: Any]
        let v1Version = try #require(v1?["model_version"] as? String)
        #expect(params["target"] == "Outcome" && params["seed"] == "42")
        #expect(params["dataset_sha256"] == ((v1?["training"] as? [String: Any])?["dataset_sha256"] as? String))
        #expect(params["dataset_sha256"]?.count == 64 && csv.count > 0)
        let metrics = (data["metrics"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
        #expect(metrics.contains("cv_roc_auc") && metrics.contains("holdout_accuracy"))
        let inputs = (run["inputs"] as? [String: Any])?["dataset_inputs"] as? [[String: Any]] ?? []
        #expect(inputs.count == 1)

        // models:/NAME/VERSION and runs:/RUN_ID/PATH resolve to the same artifact.
        for reference in ["models:/diabetes/1", "runs:/\(runID)/model"] {
            let scored = try await runVigil(["predict", "--model", reference, "--mlflow.tracking-uri", mlflow.url, "--data", "data/diabetes.csv"])
            #expect(scored.status == 0, "\(reference): \(scored.stderr)")
            let local = try await runVigil(["predict", "--model", work.appendingPathComponent("v1.json").path, "--data", "data/diabetes.csv"])
            #expect(scored.stdout == local.stdout && scored.stdout.split(separator: "\n").count == 768)
        }

        // Serve the champion, polling so the alias move is followed.
        let cache = work.appendingPathComponent("cache")
        let server = try ServerProcess(arguments: [
            "--model.uri", "models:/diabetes@champion", "--mlflow.tracking-uri", mlflow.url,
            "--model.cache-dir", cache.path, "--model.poll-interval", "500ms",
        ])
        try await server.waitUntilListening(monitoring: false)
        #expect(try await server.get("/health").body.contains(v1Version))
        var exposition = try await server.get("/metrics").body
        #expect(exposition.contains(#"model_info{model="diabetes",version="1",run_id="\#(runID)",source="models:/diabetes@champion"} 1"#), "\(exposition)")
        #expect(exposition.contains("model_registry_up 1"))

        let second = try await train(mlflow, out: work.appendingPathComponent("v2.json"), seed: 7)
        #expect(second.stdout.contains("registered diabetes version 2"))
        let v2 = try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("v2.json"))) as? [String: Any]
        let v2Version = try #require(v2?["model_version"] as? String)
        try await waitFor("the alias move to be followed") { try await server.get("/health").body.contains(v2Version) }

        // A bad version under the alias: the old model keeps serving, the failure is counted.
        try await registerBadVersion(mlflow)
        try await waitFor("the bad version to be refused") {
            let text = try await server.get("/metrics").body
            return (sampleValue(text, "model_reload_failures_total") ?? 0) >= 1
        }
        #expect(try await server.get("/health").body.contains(v2Version))
        #expect(try await server.request("/predict", method: "POST", body: Self.example).status == 200)

        // Point the alias back at version 2 so the cache holds a good copy, then take MLflow down.
        _ = try await mlflow.call("POST", "/api/2.0/mlflow/registered-models/alias", ["name": "diabetes", "alias": "champion", "version": "2"])
        await mlflow.stop()
        try await waitFor("model_registry_up to drop") { try await server.get("/metrics").body.contains("model_registry_up 0") }
        #expect(try await server.request("/predict", method: "POST", body: Self.example).status == 200)
        server.signal(SIGTERM)
        _ = try await server.waitForExit()

        // A fresh start while MLflow is down serves the last good copy from disk.
        let restarted = try ServerProcess(arguments: [
            "--model.uri", "models:/diabetes@champion", "--mlflow.tracking-uri", mlflow.url, "--model.cache-dir", cache.path,
        ])
        try await restarted.waitUntilListening(monitoring: false)
        #expect(try await restarted.get("/health").body.contains(v2Version))
        exposition = try await restarted.get("/metrics").body
        #expect(exposition.contains("model_registry_up 0"))
        #expect(exposition.contains(#"model_info{model="diabetes",version="2""#))
    }

    /// Uploads an artifact of an unknown kind to a new run and points the champion alias at it.
    func registerBadVersion(_ mlflow: MLflowServer) async throws {
        let experiment = try await mlflow.call("GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=vigil-test")
        let experimentID = try #require((experiment["experiment"] as? [String: Any])?["experiment_id"] as? String)
        let run = try await mlflow.call("POST", "/api/2.0/mlflow/runs/create", ["experiment_id": experimentID, "start_time": 0])
        let info = try #require((run["run"] as? [String: Any])?["info"] as? [String: Any])
        let runID = try #require(info["run_id"] as? String)
        let root = try #require(info["artifact_uri"] as? String).replacingOccurrences(of: "mlflow-artifacts:/", with: "")
        _ = try await mlflow.call("PUT", "/api/2.0/mlflow-artifacts/artifacts/\(root)/model/model.json",
                                  raw: Data(#"{"format_version": 2, "kind": "random_forest"}"#.utf8))
        let version = try await mlflow.call("POST", "/api/2.0/mlflow/model-versions/create",
                                            ["name": "diabetes", "source": "mlflow-artifacts:/\(root)/model", "run_id": runID])
        let number = try #require((version["model_version"] as? [String: Any])?["version"] as? String)
        _ = try await mlflow.call("POST", "/api/2.0/mlflow/registered-models/alias", ["name": "diabetes", "alias": "champion", "version": number])
    }

    static let example = #"{"Pregnancies":6,"Glucose":148,"BloodPressure":72,"SkinThickness":35,"Insulin":0,"BMI":33.6,"DiabetesPedigreeFunction":0.627,"Age":50}"#

    func waitFor(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLITestError("timed out waiting for \(what)")
    }
}

/// The value of one series in exposition text, found by its exact name and label string.
private func sampleValue(_ exposition: String, _ series: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}
