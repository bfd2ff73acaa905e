import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// ChromiumSession drives one headless Chromium page over the DevTools protocol, for tests that type, press keys
/// and drag like a user.
///
/// It talks over `--remote-debugging-pipe` (messages are JSON ended by a NUL byte on file descriptors 3 and 4), so
/// no port is opened and no WebSocket client is needed. Calls block; run them with `onOwnThread`.
final class ChromiumSession: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1
    private var sessionID = ""
    private let logPath: String
    private let profile: String
    /// Console errors, uncaught exceptions and browser log errors (CSP violations, failed loads) seen so far.
    private(set) var consoleErrors: [String] = []

    /// Starts Chromium at `browser` with an empty page of `width`×`height` CSS pixels.
    init(browser: String, width: Int = 1280, height: Int = 900) throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cdp-\(UUID().uuidString)").path
        logPath = profile + ".log"
        var toPipe: [Int32] = [0, 0], fromPipe: [Int32] = [0, 0]
        guard pipe(&toPipe) == 0, pipe(&fromPipe) == 0 else { throw Failure(description: "pipe failed: \(errno)") }
        // Our ends must not leak into other children, and the child's ends must not already sit on fds 3 and 4.
        for fd in [toPipe[1], fromPipe[0]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let childRead = fcntl(toPipe[0], F_DUPFD_CLOEXEC, 10), childWrite = fcntl(fromPipe[1], F_DUPFD_CLOEXEC, 10)
        close(toPipe[0]); close(fromPipe[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childRead, 3)
        posix_spawn_file_actions_adddup2(&actions, childWrite, 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let arguments = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                         "--no-default-browser-check", "--user-data-dir=\(profile)", "--remote-debugging-pipe",
                         "--window-size=\(width),\(height)", "about:blank"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, browser, &actions, nil, &argv, environ)
        close(childRead); close(childWrite)
        guard status == 0 else {
            close(toPipe[1]); close(fromPipe[0])
            throw Failure(description: "cannot start \(browser): \(String(cString: strerror(status)))")
        }
        pid = child
        toBrowser = toPipe[1]
        fromBrowser = fromPipe[0]
        do {
            let created = try call("Target.createTarget", ["url": "about:blank"], session: false)
            guard let target = created["targetId"] as? String else { throw Failure(description: "no target: \(created)") }
            let attached = try call("Target.attachToTarget", ["targetId": target, "flatten": true], session: false)
            guard let session = attached["sessionId"] as? String else { throw Failure(description: "not attached: \(attached)") }
            sessionID = session
            for domain in ["Page.enable", "Runtime.enable", "Log.enable"] { _ = try call(domain) }
            _ = try call("Emulation.setFocusEmulationEnabled", ["enabled": true])
            try resize(width: width, height: height)
        } catch {
            shutdown()
            throw error
        }
    }

    deinit { shutdown() }

    /// Closes the browser, killing it if it does not exit within five seconds.
    func shutdown() {
        guard kill(pid, 0) == 0 else { return }
        _ = try? send("Browser.close", [:], session: false)
        let deadline = Date().addingTimeInterval(5)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            var pollFD = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            _ = Glibc.poll(&pollFD, 1, 50)
            if pollFD.revents != 0 { var scratch = [UInt8](repeating: 0, count: 65_536); _ = read(fromBrowser, &scratch, scratch.count) }
        }
        close(toBrowser)
        close(fromBrowser)
        try? FileManager.default.removeItem(atPath: profile)
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// Sets the viewport; `mobile` emulates a phone (narrow layout, touch-sized viewport).
    func resize(width: Int, height: Int, mobile: Bool = false, scale: Double = 1) throws {
        _ = try call("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile])
    }

    /// Emulates `prefers-color-scheme: dark` (or light).
    func colorScheme(dark: Bool) throws {
        _ = try call("Emulation.setEmulatedMedia", ["features": [["name": "prefers-color-scheme", "value": dark ? "dark" : "light"]]])
    }

    /// Opens `url` and waits until the document has loaded.
    func navigate(_ url: String) throws {
        _ = try call("Page.navigate", ["url": url])
        try waitFor("document.readyState === 'complete' && location.href !== 'about:blank'", what: "loading \(url)")
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its JSON value.
    @discardableResult
    func evaluate(_ expression: String) throws -> Any? {
        let result = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw Failure(description: "\(expression): \((exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? "exception")")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Waits until `condition` is true in the page, polling there every 25 ms, for at most `seconds`.
    /// A navigation during the wait destroys the page's context; the wait then goes on in the new page.
    func waitFor(_ condition: String, what: String, seconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let left = deadline.timeIntervalSinceNow
            do {
                if try pollCondition(condition, seconds: max(0.05, min(left, 5))) { return }
            } catch let failure as Failure where failure.description.contains("context") || failure.description.contains("navigated") {
                // The page navigated while the promise was pending.
            }
            if deadline.timeIntervalSinceNow <= 0 { throw Failure(description: "timed out waiting for \(what): \(condition)") }
        }
    }

    private func pollCondition(_ condition: String, seconds: Double) throws -> Bool {
        let script = """
            new Promise(function (resolve) {
              var deadline = Date.now() + \(Int(seconds * 1000));
              (function check() {
                var ok = false;
                try { ok = !!(\(condition)); } catch (e) {}
                if (ok || Date.now() > deadline) resolve(ok); else setTimeout(check, 25);
              })();
            })
            """
        return try evaluate(script) as? Bool == true
    }

    /// Keys by DOM `key` name: (code, Windows key code, text typed).
    private static let keys: [String: (code: String, keyCode: Int, text: String?)] = [
        "Enter": ("Enter", 13, "\r"), "Tab": ("Tab", 9, nil), "Escape": ("Escape", 27, nil),
        "ArrowDown": ("ArrowDown", 40, nil), "ArrowUp": ("ArrowUp", 38, nil), "Backspace": ("Backspace", 8, nil),
    ]

    /// Presses and releases a named key (`Enter`, `Tab`, `ArrowDown`, …) on the focused element.
    func press(_ key: String, shift: Bool = false) throws {
        guard let info = Self.keys[key] else { throw Failure(description: "unknown key \(key)") }
        var down: [String: Any] = ["type": info.text == nil ? "rawKeyDown" : "keyDown", "key": key, "code": info.code,
                                   "windowsVirtualKeyCode": info.keyCode, "modifiers": shift ? 8 : 0]
        if let text = info.text { down["text"] = text }
        _ = try call("Input.dispatchKeyEvent", down)
        _ = try call("Input.dispatchKeyEvent", ["type": "keyUp", "key": key, "code": info.code, "windowsVirtualKeyCode": info.keyCode,
                                                "modifiers": shift ? 8 : 0])
    }

    /// Types `text` one character at a time, as key presses.
    func type(_ text: String) throws {
        for character in text {
            let text = String(character)
            _ = try call("Input.dispatchKeyEvent", ["type": "keyDown", "key": text, "text": text, "unmodifiedText": text])
            _ = try call("Input.dispatchKeyEvent", ["type": "keyUp", "key": text])
        }
    }

    /// Drags the mouse with the left button from (x0, y) to (x1, y), in CSS pixels of the viewport.
    func drag(fromX x0: Double, toX x1: Double, y: Double) throws {
        _ = try call("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": x0, "y": y])
        _ = try call("Input.dispatchMouseEvent", ["type": "mousePressed", "x": x0, "y": y, "button": "left", "buttons": 1, "clickCount": 1])
        for step in 1...5 {
            let x = x0 + (x1 - x0) * Double(step) / 5
            _ = try call("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": x, "y": y, "button": "left", "buttons": 1])
        }
        _ = try call("Input.dispatchMouseEvent", ["type": "mouseReleased", "x": x1, "y": y, "button": "left", "buttons": 0, "clickCount": 1])
    }

    /// Saves a PNG of the whole page (beyond the viewport) to `path`.
    func screenshot(_ path: String) throws {
        let metrics = try call("Page.getLayoutMetrics")
        let size = metrics["cssContentSize"] as? [String: Any] ?? [:]
        let width = (size["width"] as? NSNumber)?.doubleValue ?? 1280, height = (size["height"] as? NSNumber)?.doubleValue ?? 900
        let clip: [String: Any] = ["x": 0, "y": 0, "width": width, "height": min(height, 6000), "scale": 1]
        let shot = try call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true, "clip": clip])
        guard let base64 = shot["data"] as? String, let data = Data(base64Encoded: base64) else { throw Failure(description: "no screenshot data") }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Sends a command and waits up to 30 s for its answer, collecting console errors from the events in between.
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:], session: Bool = true) throws -> [String: Any] {
        let id = try send(method, params, session: session)
        let deadline = Date().addingTimeInterval(30)
        while true {
            let message = try readMessage(until: deadline, waitingFor: method)
            if message["id"] as? Int == id {
                if let error = message["error"] as? [String: Any] {
                    throw Failure(description: "\(method): \(error["message"] ?? error)")
                }
                return message["result"] as? [String: Any] ?? [:]
            }
            record(message)
        }
    }

    @discardableResult
    private func send(_ method: String, _ params: [String: Any], session: Bool) throws -> Int {
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if session { message["sessionId"] = sessionID }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "writing to Chromium failed: \(errno)")
            }
            offset += written
        }
        return id
    }

    private func readMessage(until deadline: Date, waitingFor method: String) throws -> [String: Any] {
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let data = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                if let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] { return object }
                continue
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw Failure(description: "no answer to \(method) in 30 s; log: \(logTail())") }
            var pollFD = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            let ready = Glibc.poll(&pollFD, 1, Int32(min(left * 1000, 1000)))
            if ready < 0, errno != EINTR { throw Failure(description: "poll failed: \(errno)") }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = read(fromBrowser, &chunk, chunk.count)
            if count == 0 { throw Failure(description: "Chromium closed the pipe during \(method); log: \(logTail())") }
            if count > 0 { buffer.append(contentsOf: chunk[..<count]) }
        }
    }

    private func record(_ event: [String: Any]) {
        let params = event["params"] as? [String: Any] ?? [:]
        switch event["method"] as? String {
        case "Runtime.consoleAPICalled" where ["error", "assert"].contains(params["type"] as? String ?? ""):
            let args = (params["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
            consoleErrors.append("console.\(params["type"] ?? ""): \(args.joined(separator: " "))")
        case "Runtime.exceptionThrown":
            let details = params["exceptionDetails"] as? [String: Any] ?? [:]
            consoleErrors.append("uncaught: \((details["exception"] as? [String: Any])?["description"] ?? details["text"] ?? "")")
        case "Log.entryAdded":
            let entry = params["entry"] as? [String: Any] ?? [:]
            // The browser's own favicon request is not the page's doing.
            if entry["level"] as? String == "error", !((entry["url"] as? String ?? "").hasSuffix("/favicon.ico")) { consoleErrors.append("log: \(entry["text"] ?? "") \(entry["url"] ?? "")") }
        default:
            break
        }
    }

    private func logTail() -> String {
        String(((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(1500))
    }
}
