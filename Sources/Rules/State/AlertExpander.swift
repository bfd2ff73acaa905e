import TSDB

/// AlertExpander turns an alerting rule's query result into alert elements: final labels, annotations, value.
///
/// It applies Prometheus's recipe: drop `__name__` from the series, set each rule label to its expanded template
/// (an empty expansion removes the label), set `alertname`, and expand the annotations. Templates are parsed once,
/// when the expander is built. Annotations that expand to nothing are left out, since `Labels` holds no empty
/// values; Prometheus would keep them as empty strings.
public struct AlertExpander: Sendable {
    public let alertName: String
    private let labelTemplates: [(name: String, template: AlertTemplate)]
    private let annotationTemplates: [(name: String, template: AlertTemplate)]

    /// Parses the label and annotation templates of an alerting rule.
    public init(alertName: String, labels: [Label], annotations: [Label]) throws(TemplateError) {
        self.alertName = alertName
        var labelTemplates: [(name: String, template: AlertTemplate)] = []
        for label in labels.sorted() { labelTemplates.append((label.name, try AlertTemplate(label.value, alertName: alertName))) }
        var annotationTemplates: [(name: String, template: AlertTemplate)] = []
        for annotation in annotations.sorted() {
            annotationTemplates.append((annotation.name, try AlertTemplate(annotation.value, alertName: alertName)))
        }
        self.labelTemplates = labelTemplates
        self.annotationTemplates = annotationTemplates
    }

    /// The expander for an alerting rule spec; its templates were checked when the file was loaded.
    public init(spec: RuleSpec) throws(TemplateError) {
        try self.init(alertName: spec.name, labels: spec.labels, annotations: spec.annotations)
    }

    /// The alert elements for one evaluation's result, in result order.
    ///
    /// Two series that end up with the same labels are an error, as in Prometheus: they would be one alert with
    /// two values. Template failures do not fail the evaluation; they show up in the text, as
    /// `<error expanding template: …>`.
    public func elements(
        for samples: [(labels: Labels, value: Double)], externalLabels: Labels = Labels(), externalURL: String = "",
        environment: TemplateEnvironment? = nil
    ) throws(AlertExpansionError) -> [AlertingRuleState.Element] {
        let environment = environment ?? TemplateEnvironment(externalURL: externalURL)
        var seen: Set<Labels> = []
        var elements: [AlertingRuleState.Element] = []
        for sample in samples {
            let data = AlertTemplate.data(
                labels: sample.labels, externalLabels: externalLabels, externalURL: externalURL, value: sample.value)
            var labels = sample.labels.withoutMetricName
            for (name, template) in labelTemplates {
                labels = labels.setting(name, to: template.expand(data, environment: environment))
            }
            labels = labels.setting("alertname", to: alertName)
            var annotations: [Label] = []
            for (name, template) in annotationTemplates {
                annotations.append(Label(name, template.expand(data, environment: environment)))
            }
            guard seen.insert(labels).inserted else { throw AlertExpansionError.duplicateLabelSet(labels) }
            elements.append(AlertingRuleState.Element(labels: labels, annotations: Labels(annotations), value: sample.value))
        }
        return elements
    }
}

/// AlertExpansionError is an alerting rule's result that cannot become alerts.
public enum AlertExpansionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Two series of the result have the same labels once the rule's labels are applied.
    case duplicateLabelSet(Labels)

    public var description: String {
        switch self {
        case .duplicateLabelSet: "vector contains metrics with the same labelset after applying alert labels"
        }
    }
}
