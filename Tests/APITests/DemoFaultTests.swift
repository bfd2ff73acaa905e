import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import API

/// Demo fault injection: off by default, set through `/-/demo`, visible in `/health`, and each fault shows in the
/// metric its alert reads.
@Suite struct DemoFaultTests {
    @Test func parametersAreCheckedAndNamed() throws {
        let faults = try DemoFaults().applying([("request_latency", "1.5s"), ("inference_time", "600ms"), ("held_open_requests", "12"), ("error_share", "0.25")])
        #expect(faults.requestLatencyMillis == 1500 && faults.inferenceMillis == 600 && faults.heldOpenRequests == 12 && faults.errorShare == 0.25)
        #expect(try faults.applying([("error_share", "0")]).requestLatencyMillis == 1500, "a fault not named is kept")
        #expect(try !faults.applying([("reset", "true")]).isOn)
        #expect(try DemoFaults().applying([("request_latency", "2")]).requestLatencyMillis == 2000, "a bare number is seconds")
        for (name, value, mentions) in [("error_share", "1.5", "error_share"), ("request_latency", "61s", "request_latency"),
                                         ("held_open_requests", "-1", "held_open_requests"), ("latency", "1s", "unknown fault \"latency\""),
                                         ("inference_time", "nan", "inference_time"), ("reset", "yes", "reset")] {
            #expect(throws: DemoFaultError.self) { try DemoFaults().applying([(name, value)]) }
            do { _ = try DemoFaults().applying([(name, value)]) } catch { #expect("\(error)".contains(mentions), "\(error)") }
        }
        #expect(try DemoFaults.parameters(fromFlag: "error_share=0.5, request_latency=1s").map(\.name) == ["error_share", "request_latency"])
        #expect(throws: DemoFaultError.self) { try DemoFaults.parameters(fromFlag: "error_share") }
    }

    @Test func errorShareFailsPredictionsAndShowsInHealth() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            let healthy = try jsonObject(try await client.execute(uri: "/health", method: .get))
            #expect(healthy["demo_faults"] == nil, "off by default, and then not shown")
            #expect(try await post(client, "/predict", exampleBody).status == .ok)

            let set = try await client.execute(uri: "/-/demo?error_share=1", method: .post)
            #expect(set.status == .ok)
            let failed = try await post(client, "/predict", exampleBody)
            #expect(failed.status == .internalServerError)
            #expect(try jsonObject(failed)["error_type"] as? String == "demo_fault")
            let health = try jsonObject(try await client.execute(uri: "/health", method: .get))
            let shown = try #require(health["demo_faults"] as? [String: Any])
            #expect(shown["error_share"] as? Double == 1)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(sampleValue(metrics, #"api_errors_total{endpoint="/predict",error_type="demo_fault"}"#) == 1)

            let bad = try await client.execute(uri: "/-/demo?errors=1", method: .post)
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("unknown fault"))
            #expect(service.faults.current.errorShare == 1, "a refused change keeps the faults")

            #expect(try await client.execute(uri: "/-/demo?reset=true", method: .post).status == .ok)
            #expect(try await post(client, "/predict", exampleBody).status == .ok)
            #expect(try jsonObject(try await client.execute(uri: "/health", method: .get))["demo_faults"] == nil)
        }
    }

    @Test func latencyAndInferenceTimeShowInTheirHistograms() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            #expect(try await client.execute(uri: "/-/demo?request_latency=100ms&inference_time=60ms", method: .post).status == .ok)
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try await post(client, "/predict", exampleBody).status == .ok)
            #expect(clock.now - started >= .milliseconds(160))
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let inference = try #require(sampleValue(metrics, "model_inference_duration_seconds_sum"))
            // The upper bound only says the injected time is not counted twice; a loaded machine adds its own delay.
            #expect(inference >= 0.06 && inference < 10, "\(inference)")
            let request = try #require(sampleValue(metrics, #"api_request_duration_seconds_sum{method="POST",endpoint="/predict"}"#))
            #expect(request >= 0.16, "\(request)")
        }
    }

    @Test func heldRequestsStayActiveUntilTheLimitDrops() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        let service = PredictionService(configuration: APIConfiguration(host: "127.0.0.1", port: 0, modelPath: sandbox.modelPath), logger: quietLogger)
        await service.store.reload()
        // AsyncHTTPClient, not the live test client: held requests need connections of their own.
        try await service.makeApplication().test(.ahc()) { client in
            #expect(try await client.execute(uri: "/-/demo?held_open_requests=2", method: .post).status == .ok)
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<3 { group.addTask { try await post(client, "/predict", exampleBody).status } }
                // Two are held; the third is answered at once.
                #expect(try await group.next() == .ok)
                let deadline = ContinuousClock.now + .seconds(10)
                while service.faults.heldNow < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                #expect(service.faults.heldNow == 2)
                let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                // The two held requests and this scrape are in flight.
                #expect(sampleValue(metrics, "api_active_requests") == 3)
                #expect(try await client.execute(uri: "/-/demo?held_open_requests=0", method: .post).status == .ok)
                #expect(try await group.next() == .ok)
                #expect(try await group.next() == .ok)
            }
            #expect(service.faults.heldNow == 0)
        }
    }
}
