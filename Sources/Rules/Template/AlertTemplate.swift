import TSDB

/// AlertTemplate is an alerting rule's label or annotation template, with the variables Prometheus defines.
///
/// Prometheus prefixes every such template with definitions of `$labels`, `$externalLabels`, `$externalURL` and
/// `$value`, and names it `__alert_<alertname>`. Vigil does the same, so the positions in error messages match
/// Prometheus's too (they count the prefix).
public struct AlertTemplate: Sendable {
    /// The definitions Prometheus prepends to every alert template.
    public static let definitions =
        "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

    /// The Go type Prometheus's `AlertTemplateData` has, as error messages print it.
    static let dataType = "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }"

    /// The template as written in the rule file.
    public let source: String
    private let template: Template?

    /// Parses a template of the alert named `alertName`; errors read like Go's (`template: __alert_X:1: …`).
    public init(_ source: String, alertName: String) throws(TemplateError) {
        self.source = source
        // Text without actions needs no template at all; most label values are plain.
        template = source.contains("{{") ? try Template(Self.definitions + source, name: "__alert_" + alertName) : nil
    }

    /// The data Prometheus passes to alert templates: the alert's labels, the external labels and URL, and the value.
    public static func data(labels: Labels, externalLabels: Labels = Labels(), externalURL: String = "", value: Double) -> TemplateValue {
        func map(_ labels: Labels) -> [String: String] {
            Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        }
        return .record(type: dataType, fields: [
            TemplateField("Labels", .stringMap(map(labels))),
            TemplateField("ExternalLabels", .stringMap(map(externalLabels))),
            TemplateField("ExternalURL", .string(externalURL)),
            TemplateField("Value", .float(value)),
        ])
    }

    /// Expands the template, or throws the execution error.
    public func execute(_ data: TemplateValue, environment: TemplateEnvironment = TemplateEnvironment()) throws(TemplateError) -> String {
        guard let template else { return source }
        return try template.execute(data, environment: environment)
    }

    /// Expands the template as Prometheus does: a failure becomes `<error expanding template: …>` in the result.
    ///
    /// An alert with a broken annotation still fires; the message shows what went wrong rather than hiding it.
    public func expand(_ data: TemplateValue, environment: TemplateEnvironment = TemplateEnvironment()) -> String {
        do {
            return try execute(data, environment: environment)
        } catch {
            return "<error expanding template: error executing template \(error.name): \(error)>"
        }
    }

    /// Expands the template for one alert instance; see `expand(_:environment:)`.
    public func expand(
        labels: Labels, value: Double, externalLabels: Labels = Labels(), externalURL: String = "",
        environment: TemplateEnvironment? = nil
    ) -> String {
        let data = Self.data(labels: labels, externalLabels: externalLabels, externalURL: externalURL, value: value)
        return expand(data, environment: environment ?? TemplateEnvironment(externalURL: externalURL))
    }
}
