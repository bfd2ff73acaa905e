import Foundation
import Testing

@Suite(.serialized) struct DashboardEndToEndTests {
    /// Headless Chromium's DOM after the page's scripts ran, and the console errors it logged.
    func renderedDOM(_ url: String, screenshot: String? = nil) async throws -> (dom: String, consoleErrors: [String])? {
        let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let browser else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("chromium is not installed (apt-get install -y chromium)") }
            return nil
        }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-chromium-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let base = ["60", browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                    "--user-data-dir=\(profile)", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=8000", "--window-size=1280,1420"]
        func run(_ arguments: [String]) async throws -> (stdout: String, stderr: String) {
            try await onOwnThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
                process.arguments = base + arguments
                let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString).log")
                FileManager.default.createFile(atPath: errFile.path, contents: nil)
                defer { try? FileManager.default.removeItem(at: errFile) }
                let out = Pipe()
                process.standardOutput = out
                process.standardError = try FileHandle(forWritingTo: errFile)
                try process.run()
                let data = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return (String(decoding: data, as: UTF8.self), (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
            }
        }
        let page = try await run(["--dump-dom", url])
        if let screenshot { _ = try await run(["--screenshot=\(screenshot)", url]) }
        let errors = page.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }.map(String.init)
        return (page.stdout, errors)
    }

    @Test func dashboardShowsEightPanelsWithDataAfterALoadgenRun() async throws {
        let server = try ServerProcess(arguments: [], scrapeInterval: "500ms")
        try await server.waitUntilListening()
        // Spread over several scrapes, so counters rise between samples and rates are not zero.
        let load = try await runVigil(["loadgen", "--url", "http://127.0.0.1:\(server.port)", "--count", "120", "--rate", "30",
                                       "--invalid-share", "0.2", "--seed", "5"])
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stdout.contains("requests: 120"), "\(load.stdout)")
        // Two more scrapes after the load, so rates over it have samples on both sides.
        let loadEnded = Date().timeIntervalSince1970
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let body = try await server.get("/api/v1/query?query=timestamp(up%7Bjob%3D%22ml-api%22%7D)", web: true).body
            if let stamp = body.split(separator: "\"").compactMap({ Double($0) }).first(where: { $0 > 1e9 }), stamp > loadEnded + 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-dashboard-e2e.png").path
        guard let rendered = try await renderedDOM("http://127.0.0.1:\(server.webPort)/dashboard?range=5m&refresh=off",
                                                   screenshot: screenshot) else { return }
        #expect(rendered.consoleErrors.isEmpty, "console errors: \(rendered.consoleErrors)")
        let ok = rendered.dom.components(separatedBy: "data-state=\"ok\"").count - 1
        #expect(ok == 9, "\(ok) of 9 panels drew (the seed's 8 and feature drift); errors: \(rendered.dom.components(separatedBy: "data-state=\"error\"").count - 1)")
        #expect(rendered.dom.contains(">UP</div>") && rendered.dom.contains(">LOADED</div>"))
        #expect(rendered.dom.contains(">/predict</span>") && rendered.dom.contains(">validation_error") || rendered.dom.contains("validation_error"))
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}
