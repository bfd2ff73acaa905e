import Foundation

/// GrafanaDashboard is the part of a Grafana dashboard JSON file that Vigil's `/dashboard` page draws.
///
/// Only the fields the page needs are decoded; everything else in the file is Grafana's business and is ignored.
public struct GrafanaDashboard: Codable, Sendable, Equatable {
    public var title: String
    public var description: String?
    public var panels: [Panel]
    /// The default time range, e.g. `{"from": "now-1h", "to": "now"}`.
    public var time: TimeRange?
    /// The default auto-refresh interval, e.g. "30s"; empty or absent means off.
    public var refresh: String?
    public var schemaVersion: Int?
    public var templating: Templating?

    /// Panel is one visualisation: a stat, gauge or time series, with its queries and display options.
    public struct Panel: Codable, Sendable, Equatable {
        public var id: Int?
        public var type: String
        public var title: String
        public var description: String?
        public var gridPos: GridPos
        public var fieldConfig: FieldConfig?
        public var targets: [Target]

        /// Unit is Grafana's unit id of the panel's values, such as "s", "reqpm" or "suffix: err/min".
        public var unit: String { fieldConfig?.defaults.unit ?? "none" }
    }

    /// GridPos places a panel on Grafana's 24-column grid; `h` counts rows of 30 px.
    public struct GridPos: Codable, Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var w: Int
        public var h: Int
    }

    /// Target is one query of a panel; `legendFormat` names its series with `{{label}}` templates.
    public struct Target: Codable, Sendable, Equatable {
        public var expr: String
        public var legendFormat: String?
        public var refId: String?
    }

    /// FieldConfig holds the panel-wide display defaults.
    public struct FieldConfig: Codable, Sendable, Equatable {
        public var defaults: Defaults
    }

    /// Defaults are the unit, bounds, value mappings and thresholds that apply to every series of a panel.
    public struct Defaults: Codable, Sendable, Equatable {
        public var unit: String?
        public var min: Double?
        public var max: Double?
        public var mappings: [ValueMapping]?
        public var thresholds: Thresholds?
        public var custom: Custom?
    }

    /// Custom holds the time-series options the page uses: the axis label.
    public struct Custom: Codable, Sendable, Equatable {
        public var axisLabel: String?
    }

    /// ValueMapping turns exact values into text and a colour, e.g. 1 → "UP" in green.
    ///
    /// Only `"type": "value"` mappings are decoded; range, regex and special mappings keep empty `options`.
    public struct ValueMapping: Codable, Sendable, Equatable {
        public var type: String
        public var options: [String: MappingResult]

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(String.self, forKey: .type)
            options = type == "value" ? (try container.decodeIfPresent([String: MappingResult].self, forKey: .options) ?? [:]) : [:]
        }
    }

    /// MappingResult is what a mapped value displays as.
    public struct MappingResult: Codable, Sendable, Equatable {
        public var text: String?
        public var color: String?
    }

    /// Thresholds colour a value by the highest step it reaches; the first step's `value` is null (minus infinity).
    public struct Thresholds: Codable, Sendable, Equatable {
        public var steps: [Step]

        /// Step is a colour from `value` upwards.
        public struct Step: Codable, Sendable, Equatable {
            public var color: String
            public var value: Double?
        }
    }

    /// TimeRange is Grafana's relative time range, such as `now-1h` to `now`.
    public struct TimeRange: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
    }

    /// Templating lists the dashboard's variables, such as the `DS_PROMETHEUS` data source.
    public struct Templating: Codable, Sendable, Equatable {
        public var list: [Variable]

        /// Variable is one template variable; for a data source, `query` is the plugin id ("prometheus").
        public struct Variable: Codable, Sendable, Equatable {
            public var name: String
            public var type: String
            public var query: String?
        }
    }

    /// Decodes a dashboard from the bytes of its JSON file.
    public static func decode(_ data: Data) throws -> GrafanaDashboard {
        try JSONDecoder().decode(GrafanaDashboard.self, from: data)
    }

    /// Reads and decodes the dashboard file at `path` (relative paths start at the working directory).
    public static func load(path: String) throws(DashboardError) -> GrafanaDashboard {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DashboardError(message: "cannot read dashboard \(path): \(error.localizedDescription)")
        }
        do {
            return try decode(data)
        } catch {
            throw DashboardError(message: "invalid dashboard \(path): \(DashboardError.describe(error))")
        }
    }
}

/// DashboardError says why the dashboard file could not be shown, naming the file.
public struct DashboardError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var cause: (any Error & Sendable)?

    public var description: String { message }

    /// A short reading of a decoding error: what was wrong and at which key path.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \"\(key.stringValue)\"\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.debugDescription + path(context)
        @unknown default: return "\(error)"
        }
    }
}
