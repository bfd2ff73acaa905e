import Foundation

/// GrafanaDashboard is the part of a Grafana dashboard JSON file that Vigil's dashboard pages draw.
///
/// Only the fields the pages need are decoded, and leniently (a panel without `gridPos` or a target without `expr`
/// still loads), because dashboards exported from Grafana omit defaults; everything else is Grafana's business.
public struct GrafanaDashboard: Codable, Sendable, Equatable {
    /// Grafana's stable id, used in `/dashboards/<uid>`; files without one are named by their file name.
    public var uid: String?
    public var title: String
    public var description: String?
    public var panels: [Panel]
    /// The default time range, e.g. `{"from": "now-1h", "to": "now"}`.
    public var time: TimeRange?
    /// The default auto-refresh interval, e.g. "30s"; empty or absent means off.
    public var refresh: String?
    public var schemaVersion: Int?
    public var templating: Templating?

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        uid = try? container.decodeIfPresent(String.self, forKey: .uid)
        title = try container.decodeIfPresent(String.self, forKey: .title) ?? "Untitled dashboard"
        description = try? container.decodeIfPresent(String.self, forKey: .description)
        panels = try container.decodeIfPresent([Panel].self, forKey: .panels) ?? []
        time = try? container.decodeIfPresent(TimeRange.self, forKey: .time)
        // Grafana writes `"refresh": false` when auto-refresh is off.
        refresh = try? container.decodeIfPresent(String.self, forKey: .refresh)
        schemaVersion = try? container.decodeIfPresent(Int.self, forKey: .schemaVersion)
        templating = try container.decodeIfPresent(Templating.self, forKey: .templating)
    }

    /// Panel is one visualisation: a stat, gauge or time series, with its queries and display options.
    public struct Panel: Codable, Sendable, Equatable {
        public var id: Int?
        public var type: String
        public var title: String
        public var description: String?
        public var gridPos: GridPos
        public var fieldConfig: FieldConfig?
        public var targets: [Target]
        /// The panels of a collapsed row, which Grafana keeps inside the row.
        public var panels: [Panel]?
        /// The text of a `text` panel.
        public var options: Options?

        /// Unit is Grafana's unit id of the panel's values, such as "s", "reqpm" or "suffix: err/min".
        public var unit: String { fieldConfig?.defaults.unit ?? "none" }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decodeIfPresent(Int.self, forKey: .id)
            type = try container.decodeIfPresent(String.self, forKey: .type) ?? "timeseries"
            title = try container.decodeIfPresent(String.self, forKey: .title) ?? ""
            description = try container.decodeIfPresent(String.self, forKey: .description)
            gridPos = try container.decodeIfPresent(GridPos.self, forKey: .gridPos) ?? GridPos(x: 0, y: 0, w: 12, h: 8)
            fieldConfig = try container.decodeIfPresent(FieldConfig.self, forKey: .fieldConfig)
            targets = try container.decodeIfPresent([Target].self, forKey: .targets) ?? []
            panels = try container.decodeIfPresent([Panel].self, forKey: .panels)
            options = try? container.decodeIfPresent(Options.self, forKey: .options)
        }
    }

    /// Options holds the panel options the pages use: a text panel's content.
    public struct Options: Codable, Sendable, Equatable {
        public var content: String?
    }

    /// The panels in display order with collapsed rows opened, as Grafana shows them once expanded.
    public var flattenedPanels: [Panel] {
        panels.flatMap { panel -> [Panel] in
            guard panel.type == "row", let inner = panel.panels, !inner.isEmpty else { return [panel] }
            var row = panel
            row.panels = nil
            return [row] + inner
        }
    }

    /// GridPos places a panel on Grafana's 24-column grid; `h` counts rows of 30 px.
    public struct GridPos: Codable, Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var w: Int
        public var h: Int

        public init(x: Int, y: Int, w: Int, h: Int) {
            (self.x, self.y, self.w, self.h) = (x, y, w, h)
        }

        /// Reads the position, clamped to the 24-column grid and 1…200 rows so a hand-edited file cannot break the layout.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func read(_ key: CodingKeys, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
                let value = try container.decodeIfPresent(Double.self, forKey: key) ?? Double(fallback)
                return value.isFinite ? Int(min(max(value.rounded(), Double(range.lowerBound)), Double(range.upperBound))) : fallback
            }
            x = try read(.x, 0, 0...23)
            y = try read(.y, 0, 0...10_000)
            w = try read(.w, 12, 1...24)
            h = try read(.h, 8, 1...200)
        }
    }

    /// Target is one query of a panel; `legendFormat` names its series with `{{label}}` templates.
    public struct Target: Codable, Sendable, Equatable {
        public var expr: String
        public var legendFormat: String?
        public var refId: String?
        /// Hidden targets (`"hide": true`) are not queried, as in Grafana.
        public var hide: Bool?

        public init(expr: String, legendFormat: String? = nil, refId: String? = nil) {
            self.expr = expr
            self.legendFormat = legendFormat
            self.refId = refId
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            expr = try container.decodeIfPresent(String.self, forKey: .expr) ?? ""
            legendFormat = try container.decodeIfPresent(String.self, forKey: .legendFormat)
            refId = try container.decodeIfPresent(String.self, forKey: .refId)
            hide = try? container.decodeIfPresent(Bool.self, forKey: .hide)
        }
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
        ///
        /// `query` is a string in most files and `{"query": "…"}` in newer ones; both decode to the string.
        public struct Variable: Codable, Sendable, Equatable {
            public var name: String
            public var type: String
            public var query: String?
            public var label: String?
            /// 0 shows the variable, 1 hides its label, 2 hides it.
            public var hide: Int?
            public var multi: Bool?
            public var includeAll: Bool?
            public var allValue: String?
            /// The saved selection: one value or several.
            public var current: Current?
            /// Saved options of custom and interval variables.
            public var options: [Option]?
            /// Interval variables: whether `auto` is offered, in how many steps, and at least how long.
            public var auto: Bool?
            public var autoCount: Int?
            public var autoMin: String?

            enum CodingKeys: String, CodingKey {
                case name, type, query, label, hide, multi, includeAll, allValue, current, options, auto
                case autoCount = "auto_count"
                case autoMin = "auto_min"
            }

            public init(name: String, type: String, query: String? = nil) {
                self.name = name
                self.type = type
                self.query = query
            }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                name = try container.decode(String.self, forKey: .name)
                type = try container.decodeIfPresent(String.self, forKey: .type) ?? "query"
                if let text = try? container.decodeIfPresent(String.self, forKey: .query) {
                    query = text
                } else {
                    query = (try? container.decodeIfPresent(QueryObject.self, forKey: .query))?.query
                }
                label = try? container.decodeIfPresent(String.self, forKey: .label)
                hide = try? container.decodeIfPresent(Int.self, forKey: .hide)
                multi = try? container.decodeIfPresent(Bool.self, forKey: .multi)
                includeAll = try? container.decodeIfPresent(Bool.self, forKey: .includeAll)
                allValue = try? container.decodeIfPresent(String.self, forKey: .allValue)
                current = try? container.decodeIfPresent(Current.self, forKey: .current)
                options = try? container.decodeIfPresent([Option].self, forKey: .options)
                auto = try? container.decodeIfPresent(Bool.self, forKey: .auto)
                autoCount = try? container.decodeIfPresent(Int.self, forKey: .autoCount)
                autoMin = try? container.decodeIfPresent(String.self, forKey: .autoMin)
            }

            private struct QueryObject: Decodable {
                var query: String?
            }
        }

        /// Current is a variable's saved selection; `value` is a string or a list of strings in Grafana's files.
        public struct Current: Codable, Sendable, Equatable {
            public var values: [String]

            public init(values: [String]) { self.values = values }

            enum CodingKeys: String, CodingKey { case value }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                if let one = try? container.decodeIfPresent(String.self, forKey: .value) {
                    values = [one]
                } else {
                    values = (try? container.decodeIfPresent([String].self, forKey: .value)) ?? []
                }
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(values, forKey: .value)
            }
        }

        /// Option is one saved choice of a custom or interval variable.
        public struct Option: Codable, Sendable, Equatable {
            public var text: String?
            public var value: String?
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
