import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import API

@Suite struct DocsTests {
    @Test func openAPIDocumentDescribesEveryRouteAndField() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            let response = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(response.status == .ok)
            let document = try jsonObject(response)
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: Any])
            #expect(Set(paths.keys) == ["/predict", "/predict/batch", "/health", "/metrics", "/-/reload"])
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let patient = try #require(schemas["Features"] as? [String: Any])
            #expect(patient["required"] as? [String] == Repository.diabetesSchema.names)
            #expect(patient["additionalProperties"] as? Bool == false)
            let glucose = try #require((patient["properties"] as? [String: Any])?["Glucose"] as? [String: Any])
            #expect(glucose["maximum"] as? Double == 300)
        }
    }

    @Test func docsPageIsSelfContainedHTML() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            let response = try await client.execute(uri: "/docs", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let html = String(buffer: response.body)
            #expect(html.hasPrefix("<!doctype html>"))
            for fragment in ["/predict/batch", "Features", "DiabetesPedigreeFunction", "0 – 300", "Try it", "/openapi.json"] {
                #expect(html.contains(fragment), "docs page lacks \(fragment)")
            }
            #expect(!html.contains("http://") && !html.contains("https://"), "the page must load nothing from elsewhere")
        }
    }
}
