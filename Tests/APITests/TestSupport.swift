import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import API

/// Files of this repository that the tests read: the committed data set and model artifact.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let dataset = root.appendingPathComponent("data/diabetes.csv")
    static let model = root.appendingPathComponent("models/diabetes-logreg.json")
    static let schema = root.appendingPathComponent("data/diabetes.schema.yml")
    /// The committed diabetes model's request schema.
    static let diabetesSchema = CompiledModel(try! ModelArtifact.load(from: model)).schema

    static func fixture(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)!
    }
}

/// A fresh directory with a copy of the committed model artifact, removed by the caller.
struct ModelSandbox {
    let directory: URL
    var modelPath: URL { directory.appendingPathComponent("model.json") }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Repository.model, to: modelPath)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// Runs `body` against a real server on an ephemeral loopback port.
func withLiveService<T: Sendable>(
    modelPath: URL, loadModel: Bool = true, bodySizeLimit: Int = 1 << 20,
    _ body: @Sendable (PredictionService, any TestClientProtocol) async throws -> T
) async throws -> T {
    let service = PredictionService(
        configuration: APIConfiguration(host: "127.0.0.1", port: 0, modelPath: modelPath, bodySizeLimit: bodySizeLimit),
        logger: quietLogger
    )
    if loadModel { await service.store.reload() }
    return try await service.makeApplication().test(.live) { client in try await body(service, client) }
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]

/// The seed's example body.
let exampleBody = #"{"Pregnancies":6,"Glucose":148,"BloodPressure":72,"SkinThickness":35,"Insulin":0,"BMI":33.6,"DiabetesPedigreeFunction":0.627,"Age":50}"#

func post(_ client: some TestClientProtocol, _ uri: String, _ body: String, headers: HTTPFields = jsonHeaders) async throws -> TestResponse {
    try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
}

func jsonObject(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
}

/// The value of one series in exposition text, found by its exact name and label string.
func sampleValue(_ exposition: String, _ series: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}
