/// Template is a parsed Go `text/template`, restricted to what alert labels and annotations use.
///
/// Parse once, execute many times: the node tree is an immutable value, and each execution gets its own data and
/// environment. Missing map keys print as the map's zero value (Go's `missingkey=zero`, which Prometheus sets).
public struct Template: Sendable {
    /// The name shown in errors, `__alert_<name>` for alert templates.
    public let name: String
    /// The source text, kept to turn node offsets into the line and column of execution errors.
    public let text: String
    let nodes: [TemplateNode]
    /// Named templates from `define` and `block`.
    let definitions: [String: [TemplateNode]]

    /// Parses `text`; unknown functions and undeclared variables are parse errors, as in Go.
    public init(_ text: String, name: String) throws(TemplateError) {
        self.name = name
        self.text = text
        if text.contains("{{") {
            (nodes, definitions) = try TemplateParser.parse(text, name: name, functions: TemplateFunctions.names)
        } else {
            (nodes, definitions) = ([.text(text)], [:])
        }
    }

    /// Runs the template with `data` as dot and `$`.
    public func execute(_ data: TemplateValue, environment: TemplateEnvironment = TemplateEnvironment()) throws(TemplateError) -> String {
        if nodes.count == 1, case .text(let plain) = nodes[0] { return plain }
        var executor = TemplateExecutor(template: self, environment: environment, root: data)
        return try executor.run()
    }
}
