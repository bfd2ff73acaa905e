import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import API

@Suite struct MetricsExpositionTests {
    @Test func everySeedMetricIsExposedWithItsLabels() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { _, client in
            _ = try await post(client, "/predict", exampleBody)
            _ = try await post(client, "/predict", #"{"Glucose":"high"}"#)
            _ = try await client.execute(uri: "/health", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: response.body)
            #expect(sampleValue(text, #"api_requests_total{method="POST",endpoint="/predict",status="200"}"#) == 1)
            #expect(sampleValue(text, #"api_requests_total{method="POST",endpoint="/predict",status="422"}"#) == 1)
            #expect(sampleValue(text, #"api_requests_total{method="GET",endpoint="/health",status="200"}"#) == 1)
            #expect(sampleValue(text, #"api_request_duration_seconds_count{method="POST",endpoint="/predict"}"#) == 2)
            #expect(sampleValue(text, #"api_request_duration_seconds_bucket{method="POST",endpoint="/predict",le="10.0"}"#) == 2)
            #expect(sampleValue(text, #"api_errors_total{endpoint="/predict",error_type="validation_error"}"#) == 1)
            // The /metrics request itself is in flight while it renders.
            #expect(sampleValue(text, "api_active_requests") == 1)
            #expect(sampleValue(text, "model_loaded") == 1)
            #expect(sampleValue(text, "model_inference_duration_seconds_count") == 1)
            #expect(sampleValue(text, #"model_inference_duration_seconds_bucket{le="0.5"}"#) == 1)
            #expect(sampleValue(text, #"model_inference_duration_seconds_bucket{le="1e-06"}"#) != nil)
            #expect(sampleValue(text, #"predictions_total{outcome="diabetic"}"#) == 1)
            #expect(sampleValue(text, #"predictions_total{outcome="non_diabetic"}"#) == 0)
            for line in ["# TYPE api_requests_total counter", "# TYPE api_request_duration_seconds histogram",
                         "# TYPE api_active_requests gauge", "# TYPE api_errors_total counter", "# TYPE model_loaded gauge",
                         "# TYPE model_inference_duration_seconds histogram", "# TYPE predictions_total counter",
                         "# TYPE process_cpu_seconds_total counter", "# TYPE container_cpu_usage_seconds_total counter",
                         "# HELP api_requests_total Total API requests"] {
                #expect(text.contains(line + "\n"), "missing \(line)")
            }
            for series in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds",
                           #"container_memory_usage_bytes{name="ml-api"}"#] {
                let value = try #require(sampleValue(text, series), "missing \(series)")
                #expect(value > 0, "\(series) should be positive")
            }
            #expect(text.contains(#"container_network_receive_bytes_total{name="ml-api",interface="lo"}"#))
            #expect(text.contains(#"container_network_transmit_bytes_total{name="ml-api",interface="lo"}"#))
        }
    }

    @Test func defaultRequestBucketsMatchPrometheusClients() async throws {
        let metrics = APIMetrics()
        metrics.recordRequest(method: "GET", endpoint: "/health", status: 200, seconds: 0.003)
        let text = String(decoding: metrics.render(), as: UTF8.self)
        let buckets = text.split(separator: "\n").filter { $0.hasPrefix(#"api_request_duration_seconds_bucket{method="GET",endpoint="/health""#) }
        #expect(buckets.count == 15)
        #expect(sampleValue(text, #"api_request_duration_seconds_bucket{method="GET",endpoint="/health",le="0.005"}"#) == 1)
        #expect(sampleValue(text, #"api_request_duration_seconds_bucket{method="GET",endpoint="/health",le="+Inf"}"#) == 1)
    }

    @Test func unknownPathsShareOneEndpointLabel() async throws {
        let sandbox = try ModelSandbox()
        defer { sandbox.remove() }
        try await withLiveService(modelPath: sandbox.modelPath) { service, client in
            for path in ["/a", "/b/c", "/predict/x", "/wp-admin.php?x=1"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound)
                #expect(try jsonObject(response)["error_type"] as? String == "not_found")
            }
            let text = String(decoding: service.metrics.render(), as: UTF8.self)
            #expect(sampleValue(text, #"api_requests_total{method="GET",endpoint="unmatched",status="404"}"#) == 4)
            #expect(sampleValue(text, #"api_errors_total{endpoint="unmatched",error_type="not_found"}"#) == 4)
            #expect(!text.contains("wp-admin"))
        }
    }

    @Test func processStatParsingHandlesSpacesInTheCommandName() throws {
        let line = "4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 8 0 1000 123456789 2048 18446744073709551615"
        let stat = try #require(ProcessStat.parse(line, ticksPerSecond: 100, pageSize: 4096, bootTime: 1_700_000_000))
        #expect(stat.cpuSeconds == 3.0)
        #expect(stat.virtualBytes == 123_456_789)
        #expect(stat.residentBytes == 2048 * 4096)
        #expect(stat.startTimeSeconds == 1_700_000_010)
    }

    @Test func networkDevicesAreReadPerInterface() {
        let text = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:    3193      29    0    0    0     0          0         0     3194      29    0    0    0     0       0          0
          eth0: 9440718     277    0    0    0     0          0         0    15378     188    0    0    0     0       0          0
        """
        let devices = NetworkDevices.parse(text)
        #expect(devices.map(\.interface) == ["lo", "eth0"])
        #expect(devices[0].receiveBytes == 3193 && devices[0].transmitBytes == 3194)
        #expect(devices[1].receiveBytes == 9_440_718 && devices[1].transmitBytes == 15378)
    }

    @Test func cgroupV2AndV1AreBothFound() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("cg-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: root) }
        // v2: a unified hierarchy with the process in /app.slice.
        let v2 = root.appendingPathComponent("v2")
        try fm.createDirectory(at: v2.appendingPathComponent("app.slice"), withIntermediateDirectories: true)
        try Data("cpu memory\n".utf8).write(to: v2.appendingPathComponent("cgroup.controllers"))
        try Data("usage_usec 2500000\nuser_usec 1\n".utf8).write(to: v2.appendingPathComponent("app.slice/cpu.stat"))
        try Data("1048576\n".utf8).write(to: v2.appendingPathComponent("app.slice/memory.current"))
        let selfV2 = root.appendingPathComponent("self-v2")
        try Data("0::/app.slice\n".utf8).write(to: selfV2)
        let unified = CgroupPaths.discover(root: v2.path, selfCgroup: selfV2.path)
        #expect(unified.cpuSeconds() == 2.5)
        #expect(unified.memoryBytes() == 1_048_576)
        // v1: separate controllers; the memory path is absent in this mount, so the mount root is used.
        let v1 = root.appendingPathComponent("v1")
        try fm.createDirectory(at: v1.appendingPathComponent("cpu,cpuacct/job"), withIntermediateDirectories: true)
        try fm.createDirectory(at: v1.appendingPathComponent("memory"), withIntermediateDirectories: true)
        try Data("3000000000\n".utf8).write(to: v1.appendingPathComponent("cpu,cpuacct/job/cpuacct.usage"))
        try Data("4096\n".utf8).write(to: v1.appendingPathComponent("memory/memory.usage_in_bytes"))
        let selfV1 = root.appendingPathComponent("self-v1")
        try Data("4:memory:/elsewhere/abc\n2:cpu,cpuacct:/job\n0::/\n".utf8).write(to: selfV1)
        let legacy = CgroupPaths.discover(root: v1.path, selfCgroup: selfV1.path)
        #expect(legacy.cpuSeconds() == 3.0)
        #expect(legacy.memoryBytes() == 4096)
    }
}
