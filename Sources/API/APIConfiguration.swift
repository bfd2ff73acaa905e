import Foundation

/// How the prediction service listens and what it serves.
public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var modelPath: URL
    /// Largest request body accepted, in bytes; larger bodies get 413.
    public var bodySizeLimit: Int
    /// Most rows one `/predict/batch` call may hold.
    public var batchLimit: Int
    /// The `name` label of the container_* series, as cAdvisor would set it.
    public var containerName: String
    /// Where the model comes from when not a plain file (a registry reference); nil reads `modelPath`.
    public var modelSource: (any ModelSource)?
    /// How many recent requests the drift PSI covers; 0 turns drift tracking off.
    public var driftWindow: Int
    /// Faults injected from the start, for demos (`--demo.fault-injection`); off by default.
    public var demoFaults = DemoFaults()

    public init(
        host: String = "127.0.0.1", port: Int = 8002, modelPath: URL = URL(fileURLWithPath: "models/diabetes-logreg.json"),
        bodySizeLimit: Int = 1 << 20, batchLimit: Int = 1000, containerName: String = "ml-api",
        modelSource: (any ModelSource)? = nil, driftWindow: Int = 1000
    ) {
        self.modelSource = modelSource
        self.driftWindow = driftWindow
        self.host = host
        self.port = port
        self.modelPath = modelPath
        self.bodySizeLimit = bodySizeLimit
        self.batchLimit = batchLimit
        self.containerName = containerName
    }
}

/// A `HOST:PORT` listen address as Prometheus's flags spell it.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `:PORT` (all interfaces) or `[IPv6]:PORT`.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
