/// TemplateValue is a value inside a running template, modelled on the Go types Prometheus hands its templates.
///
/// The distinctions matter because Go's behaviour depends on them: `.int` and `.float` do not compare with each
/// other, a missing key of a `.stringMap` (Go's `map[string]string`) is `""` but of a `.map` is no value, and
/// `.none` prints as `<no value>`.
public indirect enum TemplateValue: Sendable, Equatable {
    /// Go's invalid value or nil interface: a missing field or key.
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([TemplateValue])
    /// A `map[string]string`, such as `.Labels`.
    case stringMap([String: String])
    /// A `map[string]interface{}`, such as the result of `args`.
    case map([String: TemplateValue])
    /// A Go struct: its type as Go prints it, and its fields in declaration order.
    case record(type: String, fields: [TemplateField])
    /// A query result element: Prometheus's `*template.sample`.
    case sample(labels: [String: String], value: Double)
    /// A list of query result elements: Prometheus's `template.queryResult`.
    case queryResult([TemplateSample])
    /// A point in time, in nanoseconds since the epoch: what `toTime` returns.
    case time(nanoseconds: Int64)

    /// Go's truth: false, zero, empty and nil values are false.
    public var isTrue: Bool {
        switch self {
        case .none: false
        case .bool(let value): value
        case .int(let value): value != 0
        case .float(let value): value != 0
        case .string(let value): !value.isEmpty
        case .list(let values): !values.isEmpty
        case .stringMap(let map): !map.isEmpty
        case .map(let map): !map.isEmpty
        case .queryResult(let samples): !samples.isEmpty
        case .record, .sample, .time: true
        }
    }

    /// The Go type name, as `%T` prints it and error messages show it.
    public var goType: String {
        switch self {
        case .none: "<nil>"
        case .bool: "bool"
        case .int: "int"
        case .float: "float64"
        case .string: "string"
        case .list: "[]interface {}"
        case .stringMap: "map[string]string"
        case .map: "map[string]interface {}"
        case .record(let type, _): type
        case .sample: "*template.sample"
        case .queryResult: "template.queryResult"
        case .time: "*time.Time"
        }
    }

    /// The value as `{{ . }}` prints it: Go's `fmt.Print`, with `<no value>` for a missing value.
    public var printed: String {
        if case .none = self { return "<no value>" }
        return GoFormat.format(self, verb: "v", flags: GoFormat.Flags())
    }
}

/// TemplateField is one field of a Go struct value.
public struct TemplateField: Sendable, Equatable {
    public var name: String
    public var value: TemplateValue

    public init(_ name: String, _ value: TemplateValue) {
        self.name = name
        self.value = value
    }
}

/// TemplateSample is one element of a `query` result: labels and a value.
public struct TemplateSample: Sendable, Equatable {
    public var labels: [String: String]
    public var value: Double

    public init(labels: [String: String], value: Double) {
        self.labels = labels
        self.value = value
    }
}
