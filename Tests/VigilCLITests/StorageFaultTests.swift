import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The prediction API never depends on storage: it serves while the store cannot be opened, and
/// monitoring comes up by itself once the store can be.
@Suite struct StorageFaultTests {
    @Test func apiServesWhileTheStoreIsCorruptAndMonitoringStartsOnceItIsFixed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-corrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let storePath = directory.appendingPathComponent("vigil.db").path
        try Data(String(repeating: "not a database ", count: 100).utf8).write(to: URL(fileURLWithPath: storePath))
        let server = try ServerProcess(arguments: [], reuse: nil, storagePathOverride: storePath)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await server.waitUntilListening(monitoring: false)

        let health = try await server.get("/health")
        #expect(health.status == 200)
        let prediction = try await server.request("/predict", method: "POST", body: exampleRequestBody)
        #expect(prediction.status == 200)
        #expect((try? await server.get("/-/healthy", web: true)) == nil, "the monitoring listener waits for the store")
        try await waitFor(within: .seconds(30)) { server.log.contains("cannot open storage") }

        // Fix the store: monitoring opens it on its next try and starts scraping.
        try FileManager.default.removeItem(atPath: storePath)
        try await waitFor(within: .seconds(60)) { (try? await server.get("/-/healthy", web: true))?.status == 200 }
        #expect(server.log.contains("storage opened"))
        #expect(try await server.request("/predict", method: "POST", body: exampleRequestBody).status == 200)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func listeningSocketsAreNotInheritedByChildProcesses() async throws {
        let server = try ServerProcess(arguments: [])
        try await server.waitUntilListening()
        let pid = server.process.processIdentifier
        // Inodes of listening TCP sockets (state 0A); accepted connections may be inherited harmlessly.
        // Read to the end: a busy machine's table is longer than the one page a sized read of procfs gets.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/\(pid)/net/tcp"))
        let table = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        try handle.close()
        let listening = Set(table.split(separator: "\n").dropFirst().compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 9 && fields[3] == "0A" ? String(fields[9]) : nil
        })
        let descriptors = "/proc/\(pid)/fd"
        var sockets = 0
        for entry in try FileManager.default.contentsOfDirectory(atPath: descriptors) {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(descriptors)/\(entry)"),
                  target.hasPrefix("socket:["), listening.contains(String(target.dropFirst(8).dropLast())) else { continue }
            let info = try String(contentsOfFile: "/proc/\(server.process.processIdentifier)/fdinfo/\(entry)", encoding: .utf8)
            let flagsLine = try #require(info.split(separator: "\n").first { $0.hasPrefix("flags:") })
            let flags = try #require(Int(flagsLine.split(separator: "\t").last.map(String.init) ?? "", radix: 8))
            sockets += 1
            #expect(flags & Int(O_CLOEXEC) != 0, "socket descriptor \(entry) is inherited by child processes")
        }
        #expect(sockets == 2, "both listeners are open")
        server.signal(SIGTERM)
        _ = try await server.waitForExit()
    }
}

let exampleRequestBody = #"{"Pregnancies": 6, "Glucose": 148, "BloodPressure": 72, "SkinThickness": 35, "Insulin": 0, "BMI": 33.6, "DiabetesPedigreeFunction": 0.627, "Age": 50}"#

/// Polls a condition every 50 ms until it holds or the time runs out (then the test fails).
func waitFor(within timeout: Duration, sourceLocation: SourceLocation = #_sourceLocation,
             _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
    throw CLITestError("condition not met within \(timeout)")
}

@Suite struct StorageLockTests {
    @Test func aSecondServerOnTheSameStorageIsRefused() async throws {
        let first = try ServerProcess(arguments: [])
        first.keepFiles = true
        try await first.waitUntilListening()
        let second = try ServerProcess(arguments: [], storagePathOverride: first.storagePath)
        #expect(try await second.waitForExit(timeout: .seconds(30)) == 1)
        #expect(second.log.contains("in use by another vigil serve"), "\(second.log)")
        #expect(try await first.get("/health").status == 200)
        first.keepFiles = false
        first.signal(SIGTERM)
        _ = try await first.waitForExit()
    }
}

@Suite struct DashboardsPathTests {
    @Test func theDashboardsDirectoryComesFromTheFlagNotTheWorkingDirectory() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-no-dashboards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        // The working directory (the repository) has dashboards/, but the flag points elsewhere: no dashboard.
        let server = try ServerProcess(arguments: ["--web.dashboards.path", empty.path])
        try await server.waitUntilListening()
        #expect(try await server.get("/dashboard", web: true).status != 200)
        let flags = try await server.get("/api/v1/status/flags", web: true).body
        #expect(flags.contains(empty.path))
        server.signal(SIGTERM)
        _ = try await server.waitForExit()

        let repositoryDashboards = try ServerProcess(arguments: [])
        try await repositoryDashboards.waitUntilListening()
        #expect(try await repositoryDashboards.get("/dashboard", web: true).status == 200)
        repositoryDashboards.signal(SIGTERM)
        _ = try await repositoryDashboards.waitForExit()
    }
}
