import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import Config
@testable import Scraper
@testable import TSDB

/// Targets that misbehave on purpose: each scrape still ends within its timeout and size limit with `up = 0`.
@Suite struct HostileTargetTests {
    /// Serves `/metrics` with `write` producing the body, until `body` returns.
    func serve<T: Sendable>(headers: HTTPFields = [.contentType: "text/plain; version=0.0.4"],
                            write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void,
                            _ body: @Sendable (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: headers, body: ResponseBody(write))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        return try await app.test(.live) { client in try await body(client.port!) }
    }

    @Test func aTargetThatTricklesItsBodyEndsAtTheTimeout() async throws {
        try await serve(write: { writer in
            while true {
                try await writer.write(ByteBuffer(string: "# still here\n"))
                try await Task.sleep(for: .milliseconds(50))
            }
        }) { port in
            let harness = try LoopHarness(port: port) { $0.scrapeTimeout = .init(milliseconds: 400) }
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(try await harness.value("up") == [0])
            #expect(harness.lastStatus?.lastError == "context deadline exceeded")
            let duration = try await harness.value("scrape_duration_seconds")
            // The body never ends, so any bounded duration shows the timeout ended it; the bound is loose because
            // the suite's CPU-bound tests can hold the pool the timer fires on.
            #expect(duration.count == 1 && duration[0] < 30, "the scrape ended at its 0.4 s timeout, not with the body: \(duration)")
            try await harness.shutdown()
        }
    }

    @Test func anEndlessBodyStopsAtTheSizeLimit() async throws {
        let chunk = ByteBuffer(string: String(repeating: "# padding padding padding padding\n", count: 2000))
        try await serve(write: { writer in
            while true { try await writer.write(chunk) }
        }) { port in
            // A generous timeout: on a loaded machine the limit, not the clock, must end this scrape.
            let harness = try LoopHarness(port: port) {
                $0.bodySizeLimit = ByteSize(bytes: 1 << 20)
                $0.scrapeInterval = .init(milliseconds: 30_000)
                $0.scrapeTimeout = .init(milliseconds: 30_000)
            }
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(try await harness.value("up") == [0])
            #expect(harness.lastStatus?.lastError.hasPrefix("body size limit exceeded") == true, "\(harness.lastStatus?.lastError ?? "")")
            try await harness.shutdown()
        }
    }

    @Test func aGzipBombIsLimitedByItsDecompressedSize() async throws {
        let bomb = try await withCheckedThrowingContinuation { continuation in
            // Compressing takes a moment: on its own thread, so the concurrency pool stays free for other tests.
            Thread { continuation.resume(with: Result { try Self.gzip(zeroBytes: 64 << 20) }) }.start()
        }
        #expect(bomb.count < 1 << 20, "the compressed body is small")
        try await serve(headers: [.contentType: "text/plain; version=0.0.4", .contentEncoding: "gzip"], write: { writer in
            try await writer.write(ByteBuffer(bytes: bomb))
        }) { port in
            let harness = try LoopHarness(port: port) { $0.bodySizeLimit = ByteSize(bytes: 4 << 20) }
            await harness.loop.scrapeOnce(at: 1_000_000)
            #expect(try await harness.value("up") == [0])
            let error = harness.lastStatus?.lastError ?? ""
            #expect(error.hasPrefix("body size limit exceeded") || error.contains("decompression"), "got: \(error)")
            try await harness.shutdown()
        }
    }

    @Test func aScrapeCancelledByShutdownStoresNothing() async throws {
        let target = FakeTarget()
        target.set(healthyBody, delay: .seconds(30))
        try await target.serve { port in
            let harness = try LoopHarness(port: port)
            let scrape = Task { await harness.loop.scrapeOnce(at: 1_000_000) }
            scrape.cancel()
            await scrape.value
            #expect(try await harness.value("up") == [], "no false up = 0 for a target that was never asked to answer")
            try await harness.shutdown()
        }
    }

    /// `count` zero bytes compressed by the system's gzip.
    static func gzip(zeroBytes count: Int) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "head -c \(count) /dev/zero | gzip -c"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }
}
