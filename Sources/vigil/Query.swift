import ArgumentParser
import AsyncHTTPClient
import OutboundHTTP
import Foundation
import NIOCore

/// `vigil query EXPR`: asks a running Vigil (or any Prometheus) and prints the result as a table.
struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a PromQL query against a running server and print a table.",
        discussion: "Instant by default (at --time, or now); a range query when --start is given. Exits 1 on an error, printing the server's message."
    )

    @Argument(help: "The PromQL expression.")
    var expression: String

    @Option(help: "Server to ask. Env VIGIL_URL.")
    var url: String = Env.value("url", default: "http://127.0.0.1:9090")

    @Option(help: "Evaluation time of an instant query: RFC 3339 or Unix seconds.")
    var time: String?

    @Option(help: "Start of a range query: RFC 3339, Unix seconds, or a duration ago such as 1h.")
    var start: String?

    @Option(help: "End of a range query (default now).")
    var end: String?

    @Option(help: "Resolution of a range query, e.g. 15s.")
    var step: String = "15s"

    func run() async throws {
        var parameters = [("query", expression)]
        let path: String
        if let start {
            path = "/api/v1/query_range"
            let now = Date().timeIntervalSince1970
            parameters += [("start", Self.resolveTime(start, now: now)), ("end", end.map { Self.resolveTime($0, now: now) } ?? String(now)), ("step", step)]
        } else {
            path = "/api/v1/query"
            if let time { parameters.append(("time", time)) }
        }
        var components = URLComponents()
        components.queryItems = parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        var request = HTTPClientRequest(url: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: components.percentEncodedQuery ?? ""))
        let body: ByteBuffer
        do {
            let response = try await HTTPClient.failFast.execute(request, timeout: .seconds(120))
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            // Not a usage mistake: say what failed and exit 1, without the usage text.
            Self.fail("cannot reach \(url): \(Self.describe(error)); is `vigil serve` running there? (--url)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            Self.fail("the server's answer is not JSON: \(String(buffer: body).prefix(200))")
        }
        guard json["status"] as? String == "success", let data = json["data"] as? [String: Any] else {
            print("error (\(json["errorType"] as? String ?? "unknown")): \(json["error"] as? String ?? "no message")")
            throw ExitCode(1)
        }
        print(ResultTable(data).text)
    }

    /// A duration such as `1h` means that long before `now`; anything else is passed on as written.
    static func resolveTime(_ text: String, now: Double) -> String {
        if Double(text) == nil, text.last.map({ "smhdwy".contains($0) }) == true, let seconds = Self.seconds(text) {
            return String(now - seconds)
        }
        return text
    }

    static func seconds(_ duration: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800, "y": 31_536_000]
        guard let unit = duration.last, let factor = units[unit], let value = Double(duration.dropLast()) else { return nil }
        return value * factor
    }
}

/// Renders a query result's `data` member as aligned text.
struct ResultTable {
    let text: String

    init(_ data: [String: Any]) {
        let type = data["resultType"] as? String ?? ""
        let result = data["result"]
        var rows: [[String]] = []
        switch type {
        case "vector":
            rows.append(["SERIES", "VALUE", "TIMESTAMP"])
            for sample in result as? [[String: Any]] ?? [] {
                let point = sample["value"] as? [Any] ?? []
                rows.append([Self.labels(sample["metric"]), point.count > 1 ? "\(point[1])" : "", point.first.map { "\($0)" } ?? ""])
            }
        case "matrix":
            rows.append(["SERIES", "TIMESTAMP", "VALUE"])
            for series in result as? [[String: Any]] ?? [] {
                let name = Self.labels(series["metric"])
                for (index, point) in (series["values"] as? [[Any]] ?? []).enumerated() where point.count > 1 {
                    rows.append([index == 0 ? name : "", "\(point[0])", "\(point[1])"])
                }
            }
        default:
            let point = result as? [Any] ?? []
            rows.append([type.uppercased(), "TIMESTAMP"])
            rows.append([point.count > 1 ? "\(point[1])" : "", point.first.map { "\($0)" } ?? ""])
        }
        if rows.count == 1 { rows.append(["(no data)"]) }
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        text = rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    static func labels(_ metric: Any?) -> String {
        let labels = metric as? [String: String] ?? [:]
        let name = labels["__name__"] ?? ""
        let rest = labels.filter { $0.key != "__name__" }.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ")
        return rest.isEmpty && !name.isEmpty ? name : "\(name){\(rest)}"
    }
}

extension Query {
    /// Prints `message` to standard error and exits 1.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        Foundation.exit(1)
    }

    /// The useful part of a connection error: "Connection refused" rather than the whole NIO description.
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("Connection refused") { return "connection refused" }
        if let timeout = error as? HTTPClientError, timeout == .deadlineExceeded { return "no answer within 120 s" }
        return text
    }
}
