import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestPorts
@testable import API

@Suite struct PredictRouteTests {
    @Test func predictAnswersTheSeedExample() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            let response = try await post(client, "/predict", exampleBody)
            #expect(response.status == .ok)
            let body = try jsonObject(response)
            #expect(body["prediction"] as? Int == 1)
            #expect(body["outcome"] as? String == "diabetic")
            let probability = try #require(body["probability"] as? Double)
            #expect(probability > 0.5 && probability < 1)
            #expect(body["model_version"] as? String == service.store.current?.artifact.modelVersion)
        }
    }

    @Test func predictGivesNegativeOutcomeForHealthyPatient() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            let healthy = #"{"Pregnancies":1,"Glucose":85,"BloodPressure":66,"SkinThickness":29,"Insulin":0,"BMI":26.6,"DiabetesPedigreeFunction":0.351,"Age":31}"#
            let body = try jsonObject(try await post(client, "/predict", healthy))
            #expect(body["prediction"] as? Int == 0)
            #expect(body["outcome"] as? String == "non_diabetic")
        }
    }

    @Test func validationNamesEveryBadField() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            let bad = #"{"Pregnancies":"x","Glucose":148.5,"BloodPressure":-1,"SkinThickness":35,"Insulin":0,"BMI":33.6,"Age":2.5,"Colour":"blue"}"#
            let response = try await post(client, "/predict", bad)
            #expect(response.status == .unprocessableContent)
            let body = try jsonObject(response)
            #expect(body["error_type"] as? String == "validation_error")
            let detail = try #require(body["detail"] as? [[String: Any]])
            let byField = Dictionary(uniqueKeysWithValues: detail.map { (($0["loc"] as? [Any])?.last as? String ?? "", $0["type"] as? String ?? "") })
            #expect(byField == [
                "Pregnancies": "int_type", "BloodPressure": "out_of_range", "DiabetesPedigreeFunction": "missing",
                "Age": "int_from_float", "Colour": "extra_forbidden",
            ])
            #expect(detail.allSatisfy { ($0["loc"] as? [Any])?.first as? String == "body" })
            #expect(detail.allSatisfy { ($0["msg"] as? String)?.isEmpty == false })
        }
    }

    @Test(arguments: [
        ("{\"Pregnancies\": 6,", "invalid_json"),
        ("not json", "invalid_json"),
        ("", "invalid_json"),
    ])
    func malformedJSONIs400(body: String, errorType: String) async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            let response = try await post(client, "/predict", body)
            #expect(response.status == .badRequest)
            #expect(try jsonObject(response)["error_type"] as? String == errorType)
            let metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(sampleValue(metrics, #"api_errors_total{endpoint="/predict",error_type="invalid_json"}"#) == 1)
        }
    }

    @Test func nonObjectBodyIs422() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            let response = try await post(client, "/predict", "[1,2,3]")
            #expect(response.status == .unprocessableContent)
        }
    }

    @Test func wrongContentTypeIs415() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            let response = try await post(client, "/predict", exampleBody, headers: [.contentType: "text/plain"])
            #expect(response.status == .unsupportedMediaType)
            #expect(try jsonObject(response)["error_type"] as? String == "unsupported_media_type")
            let charset = try await post(client, "/predict", exampleBody, headers: [.contentType: "application/json; charset=utf-8"])
            #expect(charset.status == .ok)
        }
    }

    @Test func oversizedBodyIs413AndServerStaysUp() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath, bodySizeLimit: 1024) { service, client in
            let padding = String(repeating: " ", count: 4096)
            let response = try await post(client, "/predict", exampleBody + padding)
            #expect(response.status == .contentTooLarge)
            #expect(try jsonObject(response)["error_type"] as? String == "payload_too_large")
            let after = try await post(client, "/predict", exampleBody)
            #expect(after.status == .ok)
            let metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(sampleValue(metrics, #"api_errors_total{endpoint="/predict",error_type="payload_too_large"}"#) == 1)
        }
    }

    /// A chunked body in several parts is read whole, and its size limit holds without a Content-Length to check.
    @Test func chunkedBodiesAreCollectedAndLimited() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath, bodySizeLimit: 1024) { _, client in
            let port = try #require(client.port)
            let expected = try jsonObject(try await post(client, "/predict", exampleBody))["probability"] as? Double
            let head = "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            func chunk(_ text: Substring) -> String { String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n" }
            let thirds = stride(from: 0, to: exampleBody.count, by: exampleBody.count / 3 + 1).map { start in
                exampleBody.dropFirst(start).prefix(exampleBody.count / 3 + 1)
            }
            let answer = try await rawHTTPExchange(port: port, writes: [head] + thirds.map(chunk) + ["0\r\n\r\n"])
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
            let body = try #require(answer.split(separator: "\r\n\r\n", maxSplits: 1).last)
            let probability = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect(probability?["probability"] as? Double == expected)

            let padding = String(repeating: " ", count: 600)
            let tooLarge = try await rawHTTPExchange(port: port, writes: [head, chunk(padding[...]), chunk(padding[...]), chunk(exampleBody[...]), "0\r\n\r\n"])
            #expect(tooLarge.hasPrefix("HTTP/1.1 413"), "\(tooLarge)")
            #expect(tooLarge.contains("payload_too_large"), "\(tooLarge)")
        }
    }

    @Test func batchPredictsEveryRowInOrder() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            let healthy = #"{"Pregnancies":1,"Glucose":85,"BloodPressure":66,"SkinThickness":29,"Insulin":0,"BMI":26.6,"DiabetesPedigreeFunction":0.351,"Age":31}"#
            let response = try await post(client, "/predict/batch", "[\(exampleBody),\(healthy),\(exampleBody)]")
            #expect(response.status == .ok)
            let body = try jsonObject(response)
            let predictions = try #require(body["predictions"] as? [[String: Any]])
            #expect(predictions.map { $0["prediction"] as? Int } == [1, 0, 1])
            #expect(body["count"] as? Int == 3)
            let metrics = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(sampleValue(metrics, #"predictions_total{outcome="diabetic"}"#) == 2)
            #expect(sampleValue(metrics, #"predictions_total{outcome="non_diabetic"}"#) == 1)
        }
    }

    @Test func batchLocatesErrorsByRowAndRefusesMoreThan1000Rows() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            let response = try await post(client, "/predict/batch", "[\(exampleBody),{\"Glucose\":1}]")
            #expect(response.status == .unprocessableContent)
            let detail = try #require(try jsonObject(response)["detail"] as? [[String: Any]])
            #expect(detail.count == 7)
            #expect(detail.allSatisfy { ($0["loc"] as? [Any])?[1] as? Int == 1 })

            let tooMany = "[" + Array(repeating: exampleBody, count: 1001).joined(separator: ",") + "]"
            let refused = try await post(client, "/predict/batch", tooMany)
            #expect(refused.status == .unprocessableContent)
            let exactly = "[" + Array(repeating: exampleBody, count: 1000).joined(separator: ",") + "]"
            let accepted = try await post(client, "/predict/batch", exactly)
            #expect(accepted.status == .ok)
            #expect(try jsonObject(accepted)["count"] as? Int == 1000)
        }
    }
}
