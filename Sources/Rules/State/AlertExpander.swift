import PromQL
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
        var elements: [AlertingRuleState.Element] = []
        for sample in samples {
            elements.append(element(for: sample, externalLabels: externalLabels, externalURL: externalURL, environment: environment))
        }
        try Self.checkUnique(elements)
        return elements
    }

    /// The alert elements for one evaluation's result, with the templates' `query` calls answered by `query` at `time`.
    ///
    /// Templates expand synchronously, so a query a template asks for is run between expansions: the first
    /// expansion records what it needs, the answers are fetched through the rule's own query function, and the
    /// template is expanded again with them. Answers are shared by all alerts of this evaluation, since the same
    /// query at the same time gives the same result.
    public func elements(
        for samples: [(labels: Labels, value: Double)], externalLabels: Labels = Labels(), externalURL: String = "",
        at time: Timestamp, query: QueryFunc
    ) async throws(AlertExpansionError) -> [AlertingRuleState.Element] {
        let answers = TemplateQueryAnswers()
        let environment = TemplateEnvironment(externalURL: externalURL) { text throws in try answers.answer(text) }
        var elements: [AlertingRuleState.Element] = []
        for sample in samples {
            var element = element(for: sample, externalLabels: externalLabels, externalURL: externalURL, environment: environment)
            var rounds = 0
            while case let missing = answers.takeMissing(), !missing.isEmpty, rounds < TemplateQueryAnswers.maxRounds {
                for text in missing { answers.record(text, await Self.run(text, at: time, query: query)) }
                element = self.element(for: sample, externalLabels: externalLabels, externalURL: externalURL, environment: environment)
                rounds += 1
            }
            elements.append(element)
        }
        try Self.checkUnique(elements)
        return elements
    }

    /// Runs one template query as Prometheus's `query` function does: parse, evaluate at the alert's time.
    private static func run(_ text: String, at time: Timestamp, query: QueryFunc) async -> Result<[TemplateSample], TemplateQueryFailure> {
        do {
            let expr = try parseExpr(text)
            let samples = try await query(expr, time)
            return .success(samples.map { sample in
                TemplateSample(labels: Dictionary(sample.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }), value: sample.value)
            })
        } catch {
            return .failure(TemplateQueryFailure(message: "\(error)"))
        }
    }

    /// Expands the label and annotation templates for one series of the result.
    private func element(
        for sample: (labels: Labels, value: Double), externalLabels: Labels, externalURL: String, environment: TemplateEnvironment
    ) -> AlertingRuleState.Element {
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
        return AlertingRuleState.Element(labels: labels, annotations: Labels(annotations), value: sample.value)
    }

    private static func checkUnique(_ elements: [AlertingRuleState.Element]) throws(AlertExpansionError) {
        var seen: Set<Labels> = []
        for element in elements {
            guard seen.insert(element.labels).inserted else { throw AlertExpansionError.duplicateLabelSet(element.labels) }
        }
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
