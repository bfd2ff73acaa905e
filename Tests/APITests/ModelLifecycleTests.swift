import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import API

@Suite struct ModelLifecycleTests {
    @Test func healthReportsTheLoadedModel() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            let body = try jsonObject(response)
            #expect(body["status"] as? String == "ok")
            #expect(body["model_loaded"] as? Bool == true)
            #expect(body["model_version"] as? String == service.store.current?.artifact.modelVersion)
        }
    }

    @Test func missingModelStartsAnyway() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        let missing = sandbox.directory.appendingPathComponent("absent.json")
        try await withLiveService(modelPath: missing) { service, client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .serviceUnavailable)
            let body = try jsonObject(health)
            #expect(body["model_loaded"] as? Bool == false)
            #expect((body["error"] as? String)?.contains("absent.json") == true)

            let predict = try await post(client, "/predict", exampleBody)
            #expect(predict.status == .serviceUnavailable)
            #expect(try jsonObject(predict)["error_type"] as? String == "model_not_loaded")

            let metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(sampleValue(metrics, "model_loaded") == 0)
            #expect(sampleValue(metrics, #"api_errors_total{endpoint="/predict",error_type="model_not_loaded"}"#) == 1)
        }
    }

    @Test(arguments: ["truncated-model.json", "wrong-format-model.json"])
    func corruptModelAtStartIsReported(fixture: String) async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: Repository.fixture(fixture)) { service, client in
            #expect(service.store.current == nil)
            #expect(service.store.lastError?.code == .invalidArtifact)
            let predict = try await post(client, "/predict", exampleBody)
            #expect(predict.status == .serviceUnavailable)
        }
    }

    @Test func reloadKeepsTheOldModelWhenTheNewFileIsBad() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            let version = try #require(service.store.current?.artifact.modelVersion)
            try Data("{ not a model".utf8).write(to: sandbox.modelPath)
            let reload = try await client.execute(uri: "/-/reload", method: .post)
            #expect(reload.status == .internalServerError)
            let body = try jsonObject(reload)
            #expect(body["error_type"] as? String == "reload_failed")
            let detail = try #require(body["detail"] as? [String: Any])
            #expect(detail["serving_model_version"] as? String == version)
            #expect((detail["message"] as? String)?.contains("model.json") == true)

            let predict = try await post(client, "/predict", exampleBody)
            #expect(predict.status == .ok)
            let metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(sampleValue(metrics, "model_loaded") == 1)
        }
    }

    @Test func reloadPicksUpAModelThatAppearsLater() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        let later = sandbox.directory.appendingPathComponent("later.json")
        try await withLiveService(modelPath: later) { service, client in
            #expect(try await post(client, "/predict", exampleBody).status == .serviceUnavailable)
            try FileManager.default.copyItem(at: sandbox.modelPath, to: later)
            let reload = try await client.execute(uri: "/-/reload", method: .post)
            #expect(reload.status == .ok)
            #expect(try await post(client, "/predict", exampleBody).status == .ok)
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            let metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(sampleValue(metrics, "model_loaded") == 1)
        }
    }
}
