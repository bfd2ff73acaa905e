import ArgumentParser
import AsyncHTTPClient
import Config
import OutboundHTTP
import Foundation
import NIOCore
import PromQL
import Rules
import TSDB

/// Backtest replays a rule file's alerting rules over stored history and prints when each alert was pending and firing.
struct Backtest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay alerting rules over stored history and show when each alert would have been pending and firing.",
        discussion: """
            Evaluates the alerting rules of FILE at every group interval (or --step) from --from to --to, with the \
            same state machine as `serve`, so `for` and `keep_firing_for` apply. History comes from the SQLite store \
            at --storage.path, which is only read, or from a running server's /api/v1/query at --url. Recording \
            rules are not evaluated; rules that read recorded series see what history holds. Alerts already active \
            at --from start out pending there. Times are RFC 3339, Unix seconds, `now`, or a duration ago such as \
            `-24h` or `now-1h30m`.
            """
    )

    @Option(help: ArgumentHelp("The rule file whose alerting rules to replay (default: the rule_files of --config.file).", valueName: "file"))
    var rules: String?

    @Option(name: .customLong("config.file"), help: ArgumentHelp(
        "The server's configuration: its global.evaluation_interval is the interval of groups that set none, and its rule_files the rules when --rules is not given. Env VIGIL_CONFIG_FILE.",
        valueName: "file"))
    var configFile: String?

    // Unconditional, so a relative time such as `-24h` is not taken for a flag.
    @Option(parsing: .unconditional, help: ArgumentHelp("Start of the replay.", valueName: "time"))
    var from: String

    @Option(parsing: .unconditional, help: ArgumentHelp("End of the replay (default now).", valueName: "time"))
    var to: String = "now"

    @Option(help: ArgumentHelp("Evaluate every group at this step instead of its interval, e.g. 1m.", valueName: "duration"))
    var step: String?

    @Option(help: ArgumentHelp("Interval of groups that set none (default: global.evaluation_interval of --config.file, else 1m as in Prometheus).", valueName: "duration"))
    var evaluationInterval: String?

    @Option(name: .customLong("storage.path"), help: ArgumentHelp("Read history from this Vigil database.", valueName: "path"))
    var storagePath: String?

    @Option(help: ArgumentHelp("Read history from this server's /api/v1/query instead, e.g. http://127.0.0.1:9090.", valueName: "url"))
    var url: String?

    func validate() throws {
        if (storagePath == nil) == (url == nil) { throw ValidationError("Give exactly one of --storage.path and --url.") }
        if let storagePath, !FileManager.default.fileExists(atPath: storagePath) {
            throw ValidationError("No database at \(storagePath); give --storage.path of an existing Vigil store.")
        }
        let now = Self.now()
        guard let start = BacktestTime.parse(from, now: now) else { throw ValidationError(Self.timeHelp("--from", from)) }
        guard let end = BacktestTime.parse(to, now: now) else { throw ValidationError(Self.timeHelp("--to", to)) }
        if end < start { throw ValidationError("--to (\(to)) is before --from (\(from)).") }
        if let step, (try? parseDuration(step)).map({ $0 > 0 }) != true {
            throw ValidationError("--step must be a positive duration such as 30s or 1m, not \"\(step)\".")
        }
        if let evaluationInterval, (try? parseDuration(evaluationInterval)).map({ $0 > 0 }) != true {
            throw ValidationError("--evaluation-interval must be a positive duration such as 1m, not \"\(evaluationInterval)\".")
        }
        if let configFile, !FileManager.default.fileExists(atPath: configFile) {
            throw ValidationError("No configuration file at \(configFile) (--config.file).")
        }
        if rules == nil, resolvedConfigFile == nil {
            throw ValidationError("Give --rules FILE, or --config.file of a configuration whose rule_files to replay (config/vigil.yml is not here).")
        }
    }

    /// The configuration to agree with: the flag, else `$VIGIL_CONFIG_FILE`, else `config/vigil.yml` when it exists, as `serve` reads.
    var resolvedConfigFile: String? {
        if let configFile { return configFile }
        let fallback = Env.value("config.file", default: "config/vigil.yml")
        return FileManager.default.fileExists(atPath: fallback) ? fallback : nil
    }

    /// The rule files and the interval of groups that set none, and a sentence saying where that interval came from.
    func ruleSource() throws -> (files: [String], defaultInterval: Int64, intervalSource: String) {
        var files = rules.map { [$0] } ?? []
        if let evaluationInterval {
            let interval = try parseDuration(evaluationInterval)
            if files.isEmpty, let configFile = resolvedConfigFile { files = try Self.configuration(configFile).ruleFiles }
            return (files, interval, "\(evaluationInterval) (--evaluation-interval)")
        }
        guard let configFile = resolvedConfigFile else { return (files, 60_000, "1m (Prometheus's default; no --config.file)") }
        let configuration = try Self.configuration(configFile)
        if files.isEmpty { files = configuration.ruleFiles }
        let interval = configuration.global.evaluationInterval
        return (files, interval.milliseconds, "\(formatDuration(interval.milliseconds)) (global.evaluation_interval of \(configFile))")
    }

    /// Loads a configuration file, or exits 1 with its positioned error.
    static func configuration(_ path: String) throws -> PrometheusConfiguration {
        do {
            return try loadConfiguration(file: URL(fileURLWithPath: path))
        } catch {
            fail("\(error)")
        }
    }

    func run() async throws {
        let now = Self.now()
        let start = BacktestTime.parse(from, now: now)!
        let end = BacktestTime.parse(to, now: now)!
        let stepMillis = try step.map { try parseDuration($0) }
        let source = try ruleSource()
        let backtester: Backtester
        do {
            backtester = try Backtester(files: try loadRuleFiles(source.files), defaultInterval: source.defaultInterval)
        } catch let errors as RuleErrors {
            FileHandle.standardError.write(Data((errors.errors.map(\.description).joined(separator: "\n") + "\n").utf8))
            throw ExitCode(1)
        }
        if backtester.groups.isEmpty {
            print("\(source.files.joined(separator: ", ")) \(source.files.count == 1 ? "has" : "have") no alerting rules.")
            return
        }
        if step == nil {
            for group in backtester.groups {
                let own = group.interval == source.defaultInterval ? "every \(source.intervalSource)" : "every \(formatDuration(group.interval)) (its interval)"
                print("Group \(group.name) is evaluated \(own).")
            }
            print()
        }
        let evaluations = backtester.evaluationCount(from: start, to: end, step: stepMillis)
        if evaluations > Backtester.maxEvaluations {
            Self.fail("That is \(evaluations) evaluations, more than \(Backtester.maxEvaluations); shorten the range or give a larger --step.")
        }

        let query: QueryFunc
        if let storagePath {
            // Read-only: the store may belong to a running `vigil serve`, and history must not change under it.
            let store: TimeSeriesStore
            do {
                store = try await TimeSeriesStore(path: storagePath, options: .readingOnly)
            } catch {
                Self.fail("Cannot open \(storagePath): \(error)")
            }
            query = Serve.queryFunc(PromQLEngine(querier: store))
        } else {
            // A dead server would otherwise cost every evaluation a full timeout, as the client retries connecting.
            do {
                _ = try await Self.httpQueryFunc(url!, timeout: .seconds(10))(try parseExpr("vector(1)"), start)
            } catch {
                Self.fail("Cannot query \(url!): \(error)")
            }
            query = Self.httpQueryFunc(url!)
        }
        let report = await backtester.run(from: start, to: end, step: stepMillis, query: query)
        print(report.text, terminator: "")
        if let url, report.rules.contains(where: { $0.failedEvaluations > 0 }) {
            FileHandle.standardError.write(Data("Some evaluations against \(url) failed; see the summary above.\n".utf8))
        }
    }

    /// Prints `message` to standard error and exits with status 1.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        Foundation.exit(1)
    }

    static func now() -> Timestamp { Timestamp((Date().timeIntervalSince1970 * 1000).rounded()) }

    static func timeHelp(_ flag: String, _ value: String) -> String {
        "\(flag) \"\(value)\" is not a time: give RFC 3339 (2026-01-02T15:04:05Z), Unix seconds, now, or a duration ago such as -24h."
    }


    /// The rules' query function over a server's `/api/v1/query`, one request per rule and evaluation.
    static func httpQueryFunc(_ url: String, timeout: TimeAmount = .seconds(60)) -> QueryFunc {
        let endpoint = url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/api/v1/query"
        return { expr, time in
            var components = URLComponents()
            components.queryItems = [
                URLQueryItem(name: "query", value: expr.description),
                URLQueryItem(name: "time", value: String(format: "%.3f", Double(time) / 1000)),
            ]
            var request = HTTPClientRequest(url: endpoint)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            // URLComponents leaves `+` alone, which a form body would read as a space.
            let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.failFast.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 256 << 20)
            return try Self.samples(fromQueryResponse: Data(bytes.readableBytesView))
        }
    }

    /// The samples of an `/api/v1/query` answer: a vector's series, or a scalar as one sample without labels.
    static func samples(fromQueryResponse data: Data) throws -> [(labels: Labels, value: Double)] {
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RuleEvaluationError("the server's answer is not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        guard json["status"] as? String == "success", let result = json["data"] as? [String: Any] else {
            throw RuleEvaluationError("\(json["errorType"] as? String ?? "error"): \(json["error"] as? String ?? "no message")")
        }
        func value(_ point: Any?) -> Double? {
            guard let point = point as? [Any], point.count > 1, let text = point[1] as? String else { return nil }
            switch text {
            case "+Inf": return .infinity
            case "-Inf": return -.infinity
            case "NaN": return .nan
            default: return Double(text)
            }
        }
        switch result["resultType"] as? String {
        case "vector":
            return (result["result"] as? [[String: Any]] ?? []).compactMap { sample in
                guard let v = value(sample["value"]) else { return nil }
                return (Labels(sample["metric"] as? [String: String] ?? [:]), v)
            }
        case "scalar":
            return value(result["result"]).map { [(Labels(), $0)] } ?? []
        default:
            return []
        }
    }
}
