import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import API

/// Requests an attacker or a broken client sends: each gets a 4xx and the service keeps answering.
@Suite struct HostileRequestTests {
    @Test(arguments: ["", ";", "application/json-patch+json", "application/vnd.api+json; charset=utf-8", " ; charset=utf-8"])
    func unusableContentTypesAre415AndTheServiceStaysUp(value: String) async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            let response = try await post(client, "/predict", exampleBody, headers: [.contentType: value])
            #expect(response.status == .unsupportedMediaType)
            #expect(try jsonObject(response)["error_type"] as? String == "unsupported_media_type")
            #expect(try await post(client, "/predict", exampleBody).status == .ok)
        }
    }

    @Test func aByteOrderMarkIsMalformedJSON() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            for uri in ["/predict", "/predict/batch"] {
                let body = uri == "/predict" ? exampleBody : "[\(exampleBody)]"
                let response = try await client.execute(uri: uri, method: .post, headers: jsonHeaders,
                                                        body: ByteBuffer(bytes: [0xEF, 0xBB, 0xBF] + Array(body.utf8)))
                #expect(response.status == .badRequest, "\(uri)")
                #expect(try jsonObject(response)["error_type"] as? String == "invalid_json")
            }
        }
    }

    @Test(arguments: [100, 100_000])
    func deeplyNestedBodiesAre400(depth: Int) async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            for (uri, open, close) in [("/predict", "{\"a\":", "}"), ("/predict/batch", "[", "]")] {
                let body = String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)
                let response = try await post(client, uri, body)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(try jsonObject(response)["error_type"] as? String == "invalid_json")
            }
            #expect(try await post(client, "/predict", exampleBody).status == .ok)
        }
    }

    @Test func nestingInsideStringsDoesNotCount() {
        let text = #"{"note": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \" ]]]]"}"#
        let problem = Array(text.utf8).withUnsafeBytes(PredictionService.structuralProblem)
        #expect(problem == nil)
    }

    @Test func mediaTypeIgnoresParametersAndCase() {
        #expect(PredictionService.mediaType(of: "Application/JSON; charset=utf-8") == "application/json")
        #expect(PredictionService.mediaType(of: "") == "")
        #expect(PredictionService.mediaType(of: ";") == "")
    }
}
