import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The status pages of a real `vigil serve`: its flags, storage, loaded configuration and reload outcome.
@Suite struct StatusPagesServeTests {
    @Test func statusPagesShowTheRunningServerAndAFailedReload() async throws {
        let rules = "groups:\n  - name: steady\n    rules:\n      - alert: AlwaysFiring\n        expr: vector(1)\n        labels: {severity: page}\n"
        let server = try ServerProcess(arguments: ["--web.enable-lifecycle"], rules: rules,
                                       extraConfig: "alerting:\n  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:1']}]}]\n")
        try await server.waitUntilListening()

        let status = try await server.get("/status", web: true)
        #expect(status.status == 200)
        #expect(status.body.contains("<code>\(server.storagePath)</code>"), "\(status.body.prefix(500))")
        #expect(status.body.contains("<span class=\"badge ok\">successful</span>"))
        #expect(status.body.contains("<code>http://127.0.0.1:1/api/v2/alerts</code>"))

        let flags = try await server.get("/flags?search=storage.path", web: true).body
        #expect(flags.contains("<code>--storage.path</code></td><td class=\"wrap\"><code>\(server.storagePath)</code>"))
        #expect(flags.contains("data-search=\"web.enable-lifecycle true\" hidden>"))
        #expect(try await server.get("/config", web: true).body.contains("job_name: ml-api"))
        #expect(try await server.get("/service-discovery", web: true).body.contains("<h2>vigil</h2><span class=\"meta\">1/1 active targets</span>"))
        #expect(try await server.get("/tsdb-status", web: true).status == 200)
        #expect(try await server.get("/rules?search=page", web: true).body.contains("data-search=\"alwaysfiring severity=&quot;page&quot; severity=page\">"))

        // A refused reload shows on /status with its error, and the last good configuration stays on /config.
        try Data("groups: [{name: broken, rules: [{record: r, expr: 'sum('}]}]\n".utf8)
            .write(to: server.directory.appendingPathComponent("rules.yml"))
        #expect(try await server.request("/-/reload", method: "POST", body: nil, web: true).status == 500)
        let failed = try await server.get("/status", web: true).body
        #expect(failed.contains("<span class=\"badge err\">failed</span>"))
        #expect(failed.contains("rules.yml"), "\(failed.prefix(3000))")
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}
