/// TemplateError is a template that does not parse, or that fails while it runs.
///
/// `description` reads like Go's `text/template`, which is what Prometheus users see:
/// `template: __alert_X:1: unclosed action` for parse errors and
/// `template: __alert_X:1:3: executing "__alert_X" at <humanize "one">: error calling humanize: …` for execution
/// errors. Parse errors carry only a line, as in Go; execution errors add the 0-based byte column Go prints.
public struct TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case parse
        case execution
    }

    public var kind: Kind
    /// The template's name, `__alert_<name>` for alert templates.
    public var name: String
    public var line: Int
    /// The byte column Go reports for execution errors (0-based on the line), nil for parse errors.
    public var column: Int?
    /// The node being evaluated when execution failed, in template syntax.
    public var context: String?
    /// The template being executed when execution failed: `name`, or a template it defines and called.
    public var executing: String?
    public var message: String

    public init(
        kind: Kind, name: String, line: Int, column: Int? = nil, context: String? = nil, executing: String? = nil,
        message: String
    ) {
        self.kind = kind
        self.executing = executing
        self.name = name
        self.line = line
        self.column = column
        self.context = context
        self.message = message
    }

    public var description: String {
        switch kind {
        case .parse:
            return "template: \(name):\(line): \(message)"
        case .execution:
            let location = column.map { "\(name):\(line):\($0)" } ?? "\(name):\(line)"
            return "template: \(location): executing \"\(executing ?? name)\" at <\(context ?? "")>: \(message)"
        }
    }
}
