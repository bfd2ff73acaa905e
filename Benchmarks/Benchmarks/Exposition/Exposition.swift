import Benchmark
import Foundation
import Scraper

/// Parses a 1 MiB scrape body (the seed API's real /metrics output, repeated with distinct series) per iteration.
let benchmarks: @Sendable () -> Void = {
    var text = ""
    var copy = 0
    while text.utf8.count < 1 << 20 {
        for line in seedMetrics.split(separator: "\n") {
            if line.hasPrefix("#") { continue }
            // A distinct copy label per repetition, so every series is different, as on a large target.
            if let brace = line.firstIndex(of: "{") {
                text += line[..<line.index(after: brace)] + "copy=\"\(copy)\"," + line[line.index(after: brace)...] + "\n"
            } else if let space = line.firstIndex(of: " ") {
                text += line[..<space] + "{copy=\"\(copy)\"}" + line[space...] + "\n"
            }
        }
        copy += 1
    }
    let body = Array(text.utf8)
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(3))

    Benchmark("parse 1 MiB exposition body", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            var parser = ExpositionParser(bytes: body, format: .prometheusText)
            var samples = 0
            while let entry = try? parser.next() {
                if case .sample = entry { samples += 1 }
            }
            blackHole(samples)
        }
    }
}

let seedMetrics = """
api_requests_total{endpoint="/health",method="GET",status="200"} 2.0
api_requests_total{endpoint="/metrics",method="GET",status="200"} 37.0
api_requests_total{endpoint="/predict",method="POST",status="200"} 110592.0
api_requests_total{endpoint="/predict",method="POST",status="422"} 280.0
api_request_duration_seconds_bucket{le="0.005"} 3.0
api_request_duration_seconds_bucket{le="0.01"} 9.0
api_request_duration_seconds_bucket{le="0.025"} 78.0
api_request_duration_seconds_bucket{le="0.05"} 33453.0
api_request_duration_seconds_bucket{le="0.075"} 62780.0
api_request_duration_seconds_bucket{le="0.1"} 104524.0
api_request_duration_seconds_bucket{le="0.25"} 110911.0
api_request_duration_seconds_bucket{le="0.5"} 110911.0
api_request_duration_seconds_bucket{le="+Inf"} 110911.0
api_request_duration_seconds_count 110911.0
api_request_duration_seconds_sum 7916.754012843096
api_active_requests 1.0
api_errors_total{endpoint="/predict",error_type="validation_error"} 280.0
model_loaded 1.0
model_inference_duration_seconds_bucket{le="0.005"} 110591.0
model_inference_duration_seconds_bucket{le="+Inf"} 110592.0
model_inference_duration_seconds_count 110592.0
model_inference_duration_seconds_sum 63.139591748021985
predictions_total{outcome="diabetic"} 110592.0
process_resident_memory_bytes 1.932288e+08
process_cpu_seconds_total 181.83
"""
