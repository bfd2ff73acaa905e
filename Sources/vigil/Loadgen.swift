import ArgumentParser
import API
import AsyncHTTPClient
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// `vigil loadgen`: sends a paced mix of valid and deliberately invalid prediction requests, then prints a summary.
struct Loadgen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Send paced prediction requests to the API and summarize status codes and latency.",
        discussion: """
            Rows are drawn from the training distribution stored in the model artifact (--model.path), so unshifted \
            load shows no input drift; without the file, around the Pima data set's distributions. --invalid-share of the requests are deliberately \
            invalid (field errors → 422, malformed JSON → 400, a wrong content type → 415) and --batch-share go to \
            /predict/batch. Exits 0 when the server answered, whatever the statuses; 1 when no request reached it.
            """
    )

    static let maximumCount = 1_000_000
    static let maximumDuration = Duration.seconds(3600)

    @Option(help: "API to send to. Env VIGIL_LOADGEN_URL.")
    var url: String = Env.value("loadgen.url", default: "http://127.0.0.1:8002")

    @Option(help: "Requests per second; 0 sends as fast as --concurrency allows (default 20, or the scenario's).")
    var rate: Double?

    @Option(help: "Requests in flight at most (default 4, or the scenario's).")
    var concurrency: Int?

    @Option(help: ArgumentHelp(
        "Switch a demo fault on through POST /-/demo (vigil serve needs --web.enable-lifecycle), send load, and report when its alert goes pending and firing; the fault is switched off at exit. One of: \(LoadScenario.allCases.map(\.rawValue).joined(separator: ", ")).",
        valueName: "name"))
    var scenario: LoadScenario?

    @Option(help: "With --scenario: the monitoring listener whose /api/v1/alerts is watched. Env VIGIL_URL.")
    var monitoringURL: String = Env.value("url", default: "http://127.0.0.1:9090")

    @Option(name: .customLong("config.file"), help: "With --scenario: the server's configuration, for the alert's `for` and the intervals. Env VIGIL_CONFIG_FILE.")
    var configFile: String = Env.value("config.file", default: "config/vigil.yml")

    @Option(help: "Run this long, e.g. 30s or 5m (at most 1h).")
    var duration: String?

    @Option(help: "Send this many requests (at most 1,000,000; 100 when neither --count nor --duration is given).")
    var count: Int?

    @Option(help: "Share (0…1) of deliberately invalid requests.")
    var invalidShare: Double = 0

    @Option(help: "Share (0…1) of requests sent to /predict/batch with 2–5 rows.")
    var batchShare: Double = 0

    @Option(help: "Shift a field's valid values by a constant to make input drift, e.g. --shift Glucose=60 (repeatable; capped at the field's maximum).")
    var shift: [String] = []

    @Option(name: .customLong("model.path"), help: "Model artifact whose features and training distribution the rows are drawn from (default models/diabetes-logreg.json when it exists). Env VIGIL_MODEL_PATH.")
    var modelPath: String?

    @Option(help: "Seed for the generated requests (default random; the summary prints it so a run can be repeated).")
    var seed: UInt64?

    @Flag(help: "Allow a target that is not on this machine.")
    var allowRemote = false

    /// The --shift flags as field → delta.
    func parsedShift() throws -> [String: Double] {
        var result: [String: Double] = [:]
        for item in shift {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let delta = Double(parts[1]), delta.isFinite else {
                throw ValidationError("--shift must be FIELD=NUMBER, e.g. Glucose=60, got \(item)")
            }
            let fields = try patients().fields
            guard fields.contains(where: { $0.name == parts[0] }) else {
                throw ValidationError("--shift names unknown field \(parts[0]) (fields: \(fields.map(\.name).joined(separator: ", ")))")
            }
            result[parts[0]] = delta
        }
        return result
    }

    /// The rows' generator: the artifact's training distribution when the model file is there (an error when it
    /// was named and cannot be read), else the Pima data set's.
    func patients() throws -> PatientGenerator {
        let named = modelPath ?? ProcessInfo.processInfo.environment["VIGIL_MODEL_PATH"]
        let path = named ?? "models/diabetes-logreg.json"
        if named == nil, !FileManager.default.fileExists(atPath: path) { return .pima }
        do {
            return PatientGenerator(artifact: try ModelArtifact.load(from: URL(fileURLWithPath: path)), source: path)
        } catch {
            throw ValidationError("--model.path: \(error.message)")
        }
    }

    /// Requests per second: the flag, else the scenario's, else 20.
    var effectiveRate: Double { rate ?? scenario?.rate ?? 20 }
    /// Requests in flight at most: the flag, else the scenario's, else 4.
    var effectiveConcurrency: Int { concurrency ?? scenario?.concurrency ?? 4 }

    func validate() throws {
        _ = try patients()
        _ = try parsedShift()
        guard effectiveRate.isFinite, effectiveRate >= 0 else { throw ValidationError("--rate must be 0 (unpaced) or a positive number of requests per second, got \(effectiveRate)") }
        guard (1...1024).contains(effectiveConcurrency) else { throw ValidationError("--concurrency must be between 1 and 1024, got \(effectiveConcurrency)") }
        if scenario != nil, count != nil { throw ValidationError("--scenario runs until its alert fires or for --duration; --count does not apply") }
        if scenario != nil {
            guard let parsed = URL(string: monitoringURL), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw ValidationError("--monitoring-url must be an http:// or https:// URL with a host, got \(monitoringURL)")
            }
        }
        if let count, !(1...Self.maximumCount).contains(count) {
            throw ValidationError("--count must be between 1 and 1,000,000, got \(count)")
        }
        if let duration {
            guard let parsed = LoadgenSummary.parseDuration(duration), parsed > .zero else {
                throw ValidationError("--duration must be a positive duration such as 500ms, 30s, 5m or 1h, got \(duration)")
            }
            guard parsed <= Self.maximumDuration else { throw ValidationError("--duration is capped at 1h, got \(duration)") }
        }
        for (flag, share) in [("--invalid-share", invalidShare), ("--batch-share", batchShare)] where !(0...1).contains(share) {
            throw ValidationError("\(flag) must be between 0 and 1, got \(share)")
        }
        guard invalidShare + batchShare <= 1 else {
            throw ValidationError("--invalid-share plus --batch-share must be at most 1, got \(invalidShare + batchShare)")
        }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), let host = parsed.host, !host.isEmpty else {
            throw ValidationError("--url must be an http:// or https:// URL with a host, got \(url)")
        }
        guard allowRemote || Self.isLoopback(host) else {
            throw ValidationError("""
                refusing to send load to \(host): loadgen targets only this machine (localhost, 127.0.0.0/8, ::1) by default, \
                so a typo cannot load-test someone else's server; pass --allow-remote if you mean it
                """)
        }
    }

    /// Whether `host` names this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    func run() async throws {
        let seed = self.seed ?? UInt64.random(in: .min ... .max)
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let rate = effectiveRate, concurrency = effectiveConcurrency
        var shift = try parsedShift()
        if shift.isEmpty, let scenario { shift = scenario.shift }
        var expectation: ScenarioExpectation?
        var duration = self.duration.flatMap(LoadgenSummary.parseDuration)
        if let scenario {
            let expected = ScenarioExpectation.load(scenario, configFile: configFile, rate: rate)
            expectation = expected
            // Unless told how long, run until the alert fires (watched below), at most twice the expected time plus 2m.
            duration = duration ?? min(Self.maximumDuration, .milliseconds(2 * (expected.firingMillis ?? 15 * 60_000)) + .seconds(120))
        }
        let state = LoadgenState(schedule: LoadSchedule(rate: rate, count: count ?? (duration == nil ? 100 : nil), duration: duration))
        let requestTimeout = scenario?.requestTimeout(run: duration ?? .zero) ?? .seconds(10)
        let patients = try self.patients()
        Self.writeStderr("loadgen: rows drawn from \(patients.source)\n")
        let plan = RequestPlan(base: base, seed: seed, invalidShare: invalidShare, batchShare: batchShare, shift: shift, patients: patients,
                               timeout: TimeAmount.milliseconds(Self.milliseconds(requestTimeout)))

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        configuration.timeout = .init(connect: .seconds(2), read: TimeAmount.milliseconds(Self.milliseconds(requestTimeout)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)

        var control: ScenarioControl?
        if let scenario, let expectation {
            let monitoring = monitoringURL.hasSuffix("/") ? String(monitoringURL.dropLast()) : monitoringURL
            let scenarioControl = ScenarioControl(client: client, apiBase: base, monitoringBase: monitoring)
            do {
                try await scenarioControl.setFaults(scenario.faults)
            } catch {
                try? await client.shutdown()
                let reason = error is ScenarioError ? "\(error)" : Self.describe(error)
                Self.writeStderr("error: cannot switch on scenario \(scenario.rawValue): \(reason)\n")
                throw ExitCode(1)
            }
            control = scenarioControl
            let faults = scenario.faults.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            let what = faults.isEmpty ? "inputs shifted by " + shift.sorted { $0.key < $1.key }.map { "\($0.key)+\(Self.number($0.value))" }.joined(separator: ",")
                : "\(faults) on \(base) (POST /-/demo)"
            Self.emit("scenario \(scenario.rawValue): \(what); \(Self.number(rate)) requests/s, \(concurrency) in flight at most")
            Self.emit(expectation.text)
            Self.emit("watching \(monitoring)/api/v1/alerts; the run ends once \(scenario.alertName) fires\(self.duration == nil ? "" : " or after --duration")")
        }

        let clock = ContinuousClock()
        let start = clock.now
        let interactive = isatty(STDERR_FILENO) == 1
        let observation = ObservationBox()
        await withTaskGroup(of: Void.self) { group in
            if interactive {
                group.addTask {
                    while (try? await Task.sleep(for: .milliseconds(250))) != nil {
                        Self.writeStderr("\r" + (await state.summary).progress(elapsed: clock.now - start) + "\u{1B}[K")
                    }
                }
            }
            if let scenario, let control {
                group.addTask {
                    await Self.watch(scenario, control: control, state: state, observation: observation, clock: clock, start: start,
                                     stopWhenFiring: self.duration == nil, interactive: interactive)
                }
                group.addTask { await Self.stopOnInterrupt(state: state) }
            }
            await withTaskGroup(of: Void.self) { workers in
                for _ in 0..<concurrency {
                    workers.addTask { await Self.work(client: client, plan: plan, state: state, clock: clock, start: start) }
                }
            }
            group.cancelAll()
        }
        let elapsed = clock.now - start
        if let scenario, let control {
            // Idempotent: the watcher switched it off already unless it could not.
            try? await control.setFaults(scenario.faultsOff)
        }
        try? await client.shutdown()

        let summary = await state.summary
        if interactive { Self.writeStderr("\r\u{1B}[K") }
        print(summary.render(elapsed: elapsed, target: rate, seed: seed))
        if let scenario {
            let seen = await observation.value
            print(Self.scenarioClosing(scenario, seen))
            if let watchError = seen.watchError { Self.writeStderr("warning: could not watch the alert: \(watchError)\n") }
        }
        if summary.requests > 0, summary.unreachable == summary.requests {
            let reason = summary.transportErrors.max { $0.value < $1.value }?.key ?? "no response"
            let stopped = await state.gaveUp ? " (gave up after \(summary.requests))" : ""
            Self.writeStderr("error: could not reach \(base) with any request\(stopped): \(reason)\n")
            throw ExitCode(1)
        }
    }

    /// One worker: takes the next slot, waits until it is due, sends, records; until the schedule runs out.
    ///
    /// Latency is measured from the moment the request is sent, not from its slot, so a server that falls
    /// behind shows as a lower achieved rate rather than as inflated latency.
    static func work(client: HTTPClient, plan: RequestPlan, state: LoadgenState, clock: ContinuousClock, start: ContinuousClock.Instant) async {
        while !Task.isCancelled, let slot = await state.next(elapsed: clock.now - start) {
            if start + slot.due > clock.now {
                try? await Task.sleep(until: start + slot.due, clock: clock)
            }
            let load = plan.request(slot.index)
            var request = HTTPClientRequest(url: plan.base + load.path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: load.contentType)
            request.body = .bytes(ByteBuffer(string: load.body))
            let sent = clock.now
            do {
                let response = try await client.execute(request, timeout: plan.timeout)
                _ = try await response.body.collect(upTo: 1 << 20)
                await state.record(status: Int(response.status.code), milliseconds: LoadgenSummary.seconds(clock.now - sent) * 1000)
            } catch {
                await state.recordFailure(describe(error))
            }
        }
    }

    /// A short, stable description of a transport failure, so failures group in the summary.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return String(text.prefix(120))
    }

    static func writeStderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// RequestPlan turns slot indices into requests; the same seed gives the same request for the same slot.
struct RequestPlan: Sendable {
    var base: String
    var seed: UInt64
    var invalidShare: Double
    var batchShare: Double
    var shift: [String: Double] = [:]
    var patients: PatientGenerator = .pima
    /// How long one request may take before it counts as a transport failure.
    var timeout: TimeAmount = .seconds(10)

    func request(_ index: Int) -> LoadRequest {
        LoadRequest.make(index: index, seed: seed, invalidShare: invalidShare, batchShare: batchShare, shift: shift, patients: patients)
    }
}

/// LoadgenState owns a run's shared schedule and tally; workers take slots from it and report back.
actor LoadgenState {
    /// A run stops early once this many requests got no response and none ever did, rather than wait out every timeout.
    static let giveUpAfter = 8

    private var schedule: LoadSchedule
    private(set) var summary = LoadgenSummary()

    init(schedule: LoadSchedule) { self.schedule = schedule }

    var gaveUp: Bool { summary.unreachable >= Self.giveUpAfter && summary.unreachable == summary.requests }

    /// Set once the schedule has run out or `stop()` was called: no slot is handed out after it.
    private(set) var finished = false

    func next(elapsed: Duration) -> (index: Int, due: Duration)? {
        guard !finished, !gaveUp, let slot = schedule.next(elapsed: elapsed) else {
            finished = true
            return nil
        }
        return slot
    }

    /// Ends the run early: workers finish the request they are sending and take no more.
    func stop() { finished = true }
    func record(status: Int, milliseconds: Double) { summary.record(status: status, milliseconds: milliseconds) }
    func recordFailure(_ description: String) { summary.recordFailure(description) }
}
