import Config
import Model

/// RuleError is one problem in a rule file, located by file, position, group and rule.
///
/// It prints the way `promtool check rules` prints rule errors,
/// `FILE: LINE:COL: group "g", rule 2, "Name": message`, leaving out what is unknown: a YAML syntax error has
/// no group, an unreadable file has no position. Rules are numbered from 1 within their group, as in promtool.
public struct RuleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Code is the kind of problem; the same codes as configuration errors, plus the two only rules have.
    public typealias Code = ConfigError.Code

    public var code: Code
    public var file: String
    /// Line and column of the YAML node at fault, both from 1.
    public var line: Int?
    public var column: Int?
    /// The group's name, when the problem is inside a group.
    public var group: String?
    /// The rule's 1-based index within its group, when the problem is inside a rule.
    public var rule: Int?
    /// The rule's `alert` or `record` name (empty when it has neither), when the problem is inside a rule.
    public var ruleName: String?
    public var message: String
    /// The underlying error, e.g. the PromQL parse error of an `expr`.
    public var cause: (any Error & Sendable)?

    public init(
        code: Code, file: String, line: Int? = nil, column: Int? = nil, group: String? = nil, rule: Int? = nil,
        ruleName: String? = nil, message: String, cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.group = group
        self.rule = rule
        self.ruleName = ruleName
        self.message = message
        self.cause = cause
    }

    public var description: String {
        var text = "\(file): "
        if let line, let column { text += "\(line):\(column): " }
        if let group {
            text += "group \(quoted(group)), "
            if let rule { text += "rule \(rule), \(quoted(ruleName ?? "")), " }
            text.removeLast(2)
            text += ": "
        }
        return text + message
    }

    public static func == (lhs: RuleError, rhs: RuleError) -> Bool {
        lhs.code == rhs.code && lhs.file == rhs.file && lhs.line == rhs.line && lhs.column == rhs.column
            && lhs.group == rhs.group && lhs.rule == rhs.rule && lhs.ruleName == rhs.ruleName && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(file)
        hasher.combine(line)
        hasher.combine(message)
    }
}

/// RuleErrors is every problem found in one or more rule files, in file order.
///
/// promtool reports all the problems of a file at once rather than stopping at the first, and so does Vigil:
/// fixing a rule file should not take one run per mistake.
public struct RuleErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [RuleError]

    public init(_ errors: [RuleError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }

    /// The errors as `promtool check rules` prints them: one entry per error, except that a file's unknown fields
    /// are one `FILE: yaml: unmarshal errors:` entry listing `  line N: …` for each, as Go's YAML decoder reports them.
    public var promtoolEntries: [String] {
        var entries: [String] = []
        var index = errors.startIndex
        while index < errors.endIndex {
            let error = errors[index]
            guard error.code == .unknownField else {
                entries.append(error.description)
                index += 1
                continue
            }
            var text = "\(error.file): yaml: unmarshal errors:"
            while index < errors.endIndex, errors[index].code == .unknownField, errors[index].file == error.file {
                text += "\n  line \(errors[index].line ?? 0): \(errors[index].message)"
                index += 1
            }
            entries.append(text)
        }
        return entries
    }

    /// `promtoolEntries`, one after another.
    public var promtoolDescription: String { promtoolEntries.joined(separator: "\n") }
}

/// quoted is Go's `%q` for the names promtool quotes.
func quoted(_ text: String) -> String { GoQuote.quote(text) }

extension ConfigError.Code {
    /// An `expr` is not valid PromQL.
    public static let invalidExpression = Self("invalidExpression")
    /// A label or annotation of an alerting rule is not a valid template.
    public static let invalidTemplate = Self("invalidTemplate")
}
