import ArgumentParser
import AsyncHTTPClient
import Config
import Foundation
import NIOCore
import PromQL
import Rules
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// LoadScenario is one of `vigil loadgen --scenario`'s demos: the fault it switches on through `POST /-/demo`, the
/// load that makes the fault show in the API's metrics, and the alert of `config/alerts.yml` that should then fire.
enum LoadScenario: String, CaseIterable, Sendable {
    case highLatency = "high-latency"
    case slowInference = "slow-inference"
    case concurrency
    case errors
    case drift

    /// The alert this scenario makes fire.
    var alertName: String {
        switch self {
        case .highLatency: "HighLatency"
        case .slowInference: "SlowInference"
        case .concurrency: "HighConcurrentRequests"
        case .errors: "HighErrorRate"
        case .drift: "ModelInputDrift"
        }
    }

    /// The `/-/demo` parameters that switch the fault on; empty for drift, which needs only shifted inputs.
    ///
    /// Each crosses its alert's threshold with margin and leaves the others alone: 1.5 s of latency puts every
    /// request's p95 in the (1, 2.5] s bucket; 0.6 s of inference puts its p95 in (0.5, 1] s while the request
    /// p95 stays in (0.5, 0.75] s, below HighLatency's 1 s; 12 held requests keep `api_active_requests` above 10
    /// without slowing the rest; half of 5 requests/s failing is 2.5 errors/s against a threshold of 0.1/s.
    var faults: [(name: String, value: String)] {
        switch self {
        case .highLatency: [("request_latency", "1.5s")]
        case .slowInference: [("inference_time", "600ms")]
        case .concurrency: [("held_open_requests", "12")]
        case .errors: [("error_share", "0.5")]
        case .drift: []
        }
    }

    /// The same parameters set back to zero, so a scenario switches off only its own fault.
    var faultsOff: [(name: String, value: String)] { faults.map { ($0.name, "0") } }

    /// Requests per second and in flight: few enough that no other alert fires (at most 8 in flight for the
    /// slow scenarios, under HighConcurrentRequests' 10), enough for the drift window to fill quickly.
    var rate: Double {
        switch self {
        case .highLatency, .slowInference: 4
        case .concurrency, .errors: 5
        case .drift: 20
        }
    }

    var concurrency: Int {
        switch self {
        case .highLatency, .slowInference: 8
        case .concurrency: 16
        case .errors, .drift: 4
        }
    }

    /// Input shift of the drift scenario: glucose 60 mg/dL higher moves most requests into the top training deciles.
    var shift: [String: Double] { self == .drift ? ["Glucose": 60] : [:] }

    /// How long a request may take before the client gives up. Held-open requests must outlast the run, or the
    /// client would drop them and the held count would dip below the threshold between retries.
    func requestTimeout(run: Duration) -> Duration {
        self == .concurrency ? run + .seconds(60) : .seconds(10)
    }
}

/// What a scenario expects of its alert, read from the server's configuration and rule files.
struct ScenarioExpectation: Sendable {
    var alert: String
    var expression: String?
    /// The alert's `for`, in milliseconds; nil when the rule files have no such alert.
    var holdMillis: Int64?
    /// Rough time until the expression turns true: two scrapes of the API (rates need two samples) and one evaluation.
    var pendingMillis: Int64?
    var source: String

    var firingMillis: Int64? { pendingMillis.flatMap { pending in holdMillis.map { pending + $0 } } }

    /// Reads `configFile` (and its rule files) for the alert's `for` and the intervals that pace it.
    static func load(_ scenario: LoadScenario, configFile: String, rate: Double, driftWindow: Int = 1000) -> ScenarioExpectation {
        var expectation = ScenarioExpectation(alert: scenario.alertName, source: configFile)
        guard let configuration = try? loadConfiguration(file: URL(fileURLWithPath: configFile)) else {
            expectation.source = "\(configFile) (not readable: times unknown)"
            return expectation
        }
        let job = configuration.scrapeConfigs.first { $0.jobName == "ml-api" }
        let scrape = (job?.scrapeInterval).flatMap { $0 == .zero ? nil : $0 }?.milliseconds ?? configuration.global.scrapeInterval.milliseconds
        guard let files = try? loadRuleFiles(configuration.ruleFiles) else { return expectation }
        for file in files {
            for group in file.groups {
                for rule in group.rules where rule.kind == .alerting(scenario.alertName) {
                    let evaluation = group.interval ?? configuration.global.evaluationInterval.milliseconds
                    var pending = 2 * scrape + evaluation
                    // Drift needs about half the window shifted before the PSI passes 0.2.
                    if scenario == .drift, rate > 0 { pending += Int64(Double(driftWindow / 2) / rate * 1000) }
                    expectation.expression = rule.exprText
                    expectation.holdMillis = rule.holdDuration
                    expectation.pendingMillis = pending
                    return expectation
                }
            }
        }
        expectation.source = "\(configFile) (its rule files have no alert \(scenario.alertName))"
        return expectation
    }

    var text: String {
        guard let holdMillis, let pendingMillis, let firingMillis else { return "expect \(alert) to fire (\(source))" }
        return "expect \(alert) (\(expression ?? ""), for \(formatDuration(holdMillis))) pending in about \(formatDuration(pendingMillis)) "
            + "and firing in about \(formatDuration(firingMillis)) (intervals from \(source))"
    }
}

/// ScenarioControl talks to the two listeners for a scenario: `POST /-/demo` on the API, `/api/v1/alerts` on monitoring.
struct ScenarioControl: Sendable {
    let client: HTTPClient
    let apiBase: String
    let monitoringBase: String

    /// Sets demo faults; a refusal (403 without `--web.enable-lifecycle`) is an error with the server's answer.
    func setFaults(_ parameters: [(name: String, value: String)]) async throws {
        guard !parameters.isEmpty else { return }
        var components = URLComponents()
        components.queryItems = parameters.map { URLQueryItem(name: $0.name, value: $0.value) }
        var request = HTTPClientRequest(url: apiBase + "/-/demo?" + (components.percentEncodedQuery ?? ""))
        request.method = .POST
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .ok else {
            var hint = ""
            if response.status == .forbidden { hint = "; start `vigil serve` with --web.enable-lifecycle" }
            throw ScenarioError("POST \(apiBase)/-/demo answered \(response.status.code): \(body.trimmingCharacters(in: .whitespacesAndNewlines))\(hint)")
        }
    }

    /// The state (`pending` or `firing`) of the most advanced alert named `name`, nil when none is active;
    /// throws when the monitoring listener cannot be asked.
    func alertState(_ name: String) async throws -> String? {
        var request = HTTPClientRequest(url: monitoringBase + "/api/v1/alerts")
        request.method = .GET
        let response = try await client.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok,
              let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let data = json["data"] as? [String: Any], let alerts = data["alerts"] as? [[String: Any]]
        else { throw ScenarioError("\(monitoringBase)/api/v1/alerts answered \(response.status.code) without alerts") }
        let states = alerts.filter { ($0["labels"] as? [String: String])?["alertname"] == name }.compactMap { $0["state"] as? String }
        return states.contains("firing") ? "firing" : states.contains("pending") ? "pending" : nil
    }
}

struct ScenarioError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a scenario saw of its alert, for the closing lines.
struct ScenarioObservation: Sendable {
    var pendingAfter: Duration?
    var firingAfter: Duration?
    var watchError: String?
}

extension LoadScenario: ExpressibleByArgument {}

/// ObservationBox collects what the watcher saw, for the lines printed after the summary.
actor ObservationBox {
    private(set) var value = ScenarioObservation()
    func update(_ change: (inout ScenarioObservation) -> Void) { change(&value) }
}

extension Loadgen {
    /// Polls the alert every second, prints when it goes pending and firing, and ends the run (switching the fault
    /// off first, which also releases held requests) once it fires, or when the schedule runs out.
    static func watch(_ scenario: LoadScenario, control: ScenarioControl, state: LoadgenState, observation: ObservationBox,
                      clock: ContinuousClock, start: ContinuousClock.Instant, stopWhenFiring: Bool, interactive: Bool) async {
        var lastState: String?
        while !Task.isCancelled {
            if await state.finished { break }
            do {
                let now = try await control.alertState(scenario.alertName)
                if now != lastState, let now {
                    let elapsed = clock.now - start
                    await observation.update { seen in
                        if now == "pending", seen.pendingAfter == nil { seen.pendingAfter = elapsed }
                        if now == "firing" {
                            if seen.pendingAfter == nil { seen.pendingAfter = elapsed }
                            if seen.firingAfter == nil { seen.firingAfter = elapsed }
                        }
                    }
                    let line = "[\(formatElapsed(elapsed))] \(scenario.alertName) \(now)"
                    // Clear the progress line first, so the event stands on a line of its own.
                    if interactive { writeStderr("\r\u{1B}[K") }
                    emit(line)
                }
                lastState = now
                if now == "firing", stopWhenFiring { break }
            } catch {
                await observation.update { $0.watchError = describe(error) }
            }
            if (try? await Task.sleep(for: .seconds(1))) == nil { break }
        }
        await state.stop()
        try? await control.setFaults(scenario.faultsOff)
    }

    /// Ends the run on SIGINT or SIGTERM, so Ctrl-C still switches the scenario's fault off.
    static func stopOnInterrupt(state: LoadgenState) async {
        let signals = await UnixSignalsSequence(trapping: [.sigint, .sigterm])
        for await _ in signals {
            await state.stop()
            return
        }
    }

    /// The closing lines: when the alert went pending and firing, or that it did not within the run.
    static func scenarioClosing(_ scenario: LoadScenario, _ seen: ScenarioObservation) -> String {
        var lines: [String] = []
        lines.append("\(scenario.alertName) pending after: " + (seen.pendingAfter.map(formatElapsed) ?? "not seen"))
        lines.append("\(scenario.alertName) firing after:  " + (seen.firingAfter.map(formatElapsed) ?? "not seen"))
        lines.append(scenario.faults.isEmpty ? "scenario \(scenario.rawValue) over" : "scenario \(scenario.rawValue) over: demo faults switched off")
        return lines.joined(separator: "\n")
    }

    /// `m:ss` since the start of the run.
    static func formatElapsed(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        return "\(seconds / 60):" + String(format: "%02d", seconds % 60)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? .max : millis + attoseconds / 1_000_000_000_000_000
    }

    /// Writes a line to standard output at once, so a watcher sees each alert event as it happens.
    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// A number as `%g` prints it: 20, 0.5, 1.5.
    static func number(_ value: Double) -> String { String(format: "%g", value) }
}
