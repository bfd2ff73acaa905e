import Foundation
import Logging

/// Writes one structured line per event to stderr, as logfmt (Prometheus's default) or JSON.
struct StructuredLogHandler: LogHandler {
    enum Format: String, CaseIterable { case logfmt, json }

    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let label: String
    let format: Format

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", Self.timestamp()), ("level", event.level.rawValue), ("logger", label),
            ("caller", "\((event.file as NSString).lastPathComponent):\(event.line)"), ("msg", event.message.description),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() { fields.append((key, "\(merged[key]!)")) }
        var line: String
        switch format {
        case .logfmt:
            line = fields.map { "\($0.0)=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            line = "{" + fields.map { "\(Self.jsonString($0.0)):\(Self.jsonString($0.1))" }.joined(separator: ",") + "}"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0.isNewline }
        guard needsQuotes else { return value }
        return jsonString(value)
    }

    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Logging flags shared by the long-running commands.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log.level"), help: "Only log events at this level or above: debug, info, warning, error. Env VIGIL_LOG_LEVEL.")
    var level: String = Env.value("log.level", default: "info")

    @Option(name: .customLong("log.format"), help: "Output format of log lines: logfmt or json. Env VIGIL_LOG_FORMAT.")
    var format: String = Env.value("log.format", default: "logfmt")

    func validate() throws {
        guard Logger.Level(rawValue: level) != nil else {
            throw ValidationError("--log.level must be one of trace, debug, info, notice, warning, error, critical; got \(level)")
        }
        guard StructuredLogHandler.Format(rawValue: format) != nil else {
            throw ValidationError("--log.format must be logfmt or json; got \(format)")
        }
    }

    func bootstrap() {
        let level = Logger.Level(rawValue: level) ?? .info
        let format = StructuredLogHandler.Format(rawValue: format) ?? .logfmt
        LoggingSystem.bootstrap { label in StructuredLogHandler(logLevel: level, label: label, format: format) }
    }
}

import ArgumentParser
