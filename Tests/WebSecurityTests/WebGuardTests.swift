import Foundation
import Synchronization
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import HTTPTypes
import Testing
@testable import WebSecurity

func basic(_ user: String, _ password: String) -> String {
    "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
}

/// A router as the executable builds one: the guard first, then a page, a text route and the lifecycle routes.
func guardedRouter(_ guard: WebGuard) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: `guard`.middleware())
    router.get("/-/healthy") { _, _ in "ok" }
    router.get("/page") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "<p>hi</p>")))
    }
    router.post("/-/reload") { _, _ in "reloaded" }
    router.put("/-/reload") { _, _ in "reloaded" }
    return router
}

@Suite struct WebGuardTests {
    @Test(arguments: [("text/html; charset=utf-8", true), ("TEXT/HTML", true), ("Text/Html;charset=UTF-8", true),
                      ("text/htm", false), ("text/plain", false), ("application/json", false), ("", false)])
    func htmlIsRecognisedInAnyCase(contentType: String, html: Bool) {
        #expect(WebGuardMiddleware<BasicRequestContext>.isHTML(contentType) == html)
    }

    @Test func everyPathNeedsCredentialsOnceUsersAreConfigured() async throws {
        let configuration = WebConfiguration(file: "web.yml", tls: nil, http: HTTPServerSettings(headers: ["X-Frame-Options": "deny"]),
                                             basicAuthUsers: ["admin": cheapHash])
        let app = Application(router: guardedRouter(WebGuard(configuration: configuration, enableLifecycle: false)))
        try await app.test(.router) { client in
            for credentials in [nil, basic("admin", "wrong"), basic("nobody", "secret"), "Bearer secret"] {
                var headers = HTTPFields()
                if let credentials { headers[.authorization] = credentials }
                let refused = try await client.execute(uri: "/-/healthy", method: .get, headers: headers)
                #expect(refused.status == .unauthorized)
                #expect(refused.headers[.wwwAuthenticate] == "Basic")
                #expect(String(buffer: refused.body) == "Unauthorized\n")
                // The file's headers go on refusals too, as exporter-toolkit sets them before checking.
                #expect(refused.headers[HTTPField.Name("X-Frame-Options")!] == "deny")
            }
            let allowed = try await client.execute(uri: "/-/healthy", method: .get, headers: [.authorization: basic("admin", "secret")])
            #expect(allowed.status == .ok && String(buffer: allowed.body) == "ok")
            #expect(allowed.headers[.xContentTypeOptions] == "nosniff")
            // Lifecycle is checked after authentication: an anonymous caller learns nothing about it.
            let anonymousReload = try await client.execute(uri: "/-/reload", method: .post)
            #expect(anonymousReload.status == .unauthorized)
        }
    }

    @Test func lifecycleEndpointsAnswerAsPrometheusDoes() async throws {
        let closed = Application(router: guardedRouter(WebGuard(configuration: .open, enableLifecycle: false)))
        try await closed.test(.router) { client in
            for method in [HTTPRequest.Method.post, .put] {
                let response = try await client.execute(uri: "/-/reload", method: method)
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body) == "Lifecycle API is not enabled.\n")
            }
            let quit = try await client.execute(uri: "/-/quit", method: .post)
            #expect(quit.status == .forbidden)
            let get = try await client.execute(uri: "/-/reload", method: .get)
            #expect(get.status == .methodNotAllowed && String(buffer: get.body) == "Only POST or PUT requests allowed\n")
        }
        let open = Application(router: guardedRouter(WebGuard(configuration: .open, enableLifecycle: true)))
        try await open.test(.router) { client in
            for method in [HTTPRequest.Method.post, .put] {
                let response = try await client.execute(uri: "/-/reload", method: method)
                #expect(response.status == .ok && String(buffer: response.body) == "reloaded")
            }
        }
    }

    @Test func htmlPagesGetAContentSecurityPolicy() async throws {
        let app = Application(router: guardedRouter(WebGuard(configuration: .open, enableLifecycle: false)))
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/page", method: .get)
            #expect(page.headers[.contentSecurityPolicy] == WebGuard.defaultContentSecurityPolicy)
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            let text = try await client.execute(uri: "/-/healthy", method: .get)
            #expect(text.headers[.contentSecurityPolicy] == nil)
            let missing = try await client.execute(uri: "/nowhere", method: .get)
            #expect(missing.status == .notFound && missing.headers[.xContentTypeOptions] == "nosniff")
            // Word for word what Go's HTTP server answers Prometheus's clients for a path no route takes.
            #expect(String(buffer: missing.body) == "404 page not found\n")
            #expect(missing.headers[.contentType] == "text/plain; charset=utf-8")
        }
        let configured = WebConfiguration(file: "", tls: nil, http: HTTPServerSettings(headers: ["Content-Security-Policy": "default-src 'none'"]),
                                          basicAuthUsers: [:])
        let strict = Application(router: guardedRouter(WebGuard(configuration: configured, enableLifecycle: false)))
        try await strict.test(.router) { client in
            let page = try await client.execute(uri: "/page", method: .get)
            #expect(page.headers[.contentSecurityPolicy] == "default-src 'none'")
        }
    }

    @Test func aBrokenFileOnReloadKeepsTheRunningUsers() async throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("web.yml", "basic_auth_users:\n  admin: \(cheapHash)\n")
        let webGuard = try WebGuard(path: path, enableLifecycle: false)
        try scratch.write("web.yml", "basic_auth_users:\n  admin: \(cheapHash)\n  eve: short\n")
        let error = try #require(webGuard.reload())
        #expect(error.description.hasPrefix("\(path):3:"))
        #expect(webGuard.configuration.basicAuthUsers == ["admin": cheapHash])
        let app = Application(router: guardedRouter(webGuard))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/-/healthy", method: .get, headers: [.authorization: basic("admin", "secret")])
            #expect(response.status == .ok)
        }
        let newHash = Bcrypt.hash("other", cost: 4)
        try scratch.write("web.yml", "basic_auth_users:\n  carol: \(newHash)\n")
        #expect(webGuard.reload() == nil)
        try await app.test(.router) { client in
            let old = try await client.execute(uri: "/-/healthy", method: .get, headers: [.authorization: basic("admin", "secret")])
            #expect(old.status == .unauthorized)
            let new = try await client.execute(uri: "/-/healthy", method: .get, headers: [.authorization: basic("carol", "other")])
            #expect(new.status == .ok)
        }
    }
}

@Suite struct BasicAuthVerifierTests {
    @Test func repeatedCredentialsCostOneBcryptRun() async {
        let verifier = BasicAuthVerifier()
        let users = ["admin": cheapHash]
        for _ in 0..<5 { #expect(await verifier.verify(user: "admin", password: "secret", users: users)) }
        #expect(verifier.bcryptComparisons == 1)
        #expect(await !verifier.verify(user: "admin", password: "Secret", users: users))
        #expect(await !verifier.verify(user: "mallory", password: "secret", users: users))
        #expect(verifier.bcryptComparisons == 3)
        // A new hash for the same user (a reload) is checked afresh.
        #expect(await !verifier.verify(user: "admin", password: "secret", users: ["admin": Bcrypt.hash("changed", cost: 4)]))
        #expect(verifier.bcryptComparisons == 4)
    }

    @Test func htpasswdHashesVerify() async {
        let htpasswd = "$2y$" + cheapHash.dropFirst(4)
        #expect(await BasicAuthVerifier().verify(user: "u", password: "secret", users: ["u": htpasswd]))
    }

    @Test func authorizationHeadersAreParsedStrictly() {
        #expect(BasicAuthVerifier.credentials(fromAuthorization: basic("a", "b:c"))! == ("a", "b:c"))
        #expect(BasicAuthVerifier.credentials(fromAuthorization: "basic " + Data("x:".utf8).base64EncodedString())! == ("x", ""))
        #expect(BasicAuthVerifier.credentials(fromAuthorization: "Basic !!!") == nil)
        #expect(BasicAuthVerifier.credentials(fromAuthorization: "Basic " + Data("nocolon".utf8).base64EncodedString()) == nil)
    }
}

@Suite struct QueryGateTests {
    @Test func queriesBeyondTheLimitWaitTheirTurn() async throws {
        let gate = QueryGate(limit: 2)
        let latch = Latch()
        let peak = Peak()
        let tasks = (0..<5).map { _ in
            Task {
                await gate.run {
                    peak.note(gate.running)
                    await latch.wait()
                }
            }
        }
        try await waitUntil { gate.running == 2 && gate.waiting == 3 }
        latch.open()
        for task in tasks { await task.value }
        #expect(peak.highest == 2)
        #expect(gate.running == 0 && gate.waiting == 0)
    }
}

/// Polls `condition` until it holds, failing after `timeout`.
func waitUntil(timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Latch holds every waiter until it is opened, then lets all through.
final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Peak remembers the highest value it was shown.
final class Peak: Sendable {
    private let value = Mutex(0)
    func note(_ seen: Int) { value.withLock { $0 = max($0, seen) } }
    var highest: Int { value.withLock { $0 } }
}
