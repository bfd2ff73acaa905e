/// TemplateNode is the parsed form of a template: a value-type tree, built once and executed many times.
indirect enum TemplateNode: Sendable {
    case text(String)
    case action(position: Int, pipe: TemplatePipe)
    case ifNode(position: Int, pipe: TemplatePipe, list: [TemplateNode], elseList: [TemplateNode]?)
    case with(position: Int, pipe: TemplatePipe, list: [TemplateNode], elseList: [TemplateNode]?)
    case range(position: Int, pipe: TemplatePipe, list: [TemplateNode], elseList: [TemplateNode]?)
    case breakNode(position: Int)
    case continueNode(position: Int)
    /// `{{template "name" pipeline}}`: runs a template defined with `define` or `block`.
    case templateCall(position: Int, name: String, pipe: TemplatePipe?)
}

/// TemplatePipe is a pipeline, `$x := a b | c`: optional variable declarations and commands joined by `|`.
struct TemplatePipe: Sendable, CustomStringConvertible {
    var position: Int
    /// Declared (`:=`) or assigned (`=`) variables, with `$`.
    var declarations: [String]
    var isAssignment: Bool
    var commands: [TemplateCommand]

    var description: String {
        var text = ""
        if !declarations.isEmpty {
            text = declarations.joined(separator: ", ") + (isAssignment ? " = " : " := ")
        }
        return text + commands.map(\.description).joined(separator: " | ")
    }
}

/// TemplateCommand is one stage of a pipeline: a function or value followed by arguments.
struct TemplateCommand: Sendable, CustomStringConvertible {
    var position: Int
    var arguments: [TemplateOperand]

    var description: String {
        arguments.map { operand in
            if case .pipe(_, let pipe) = operand { return "(\(pipe))" }
            return operand.description
        }.joined(separator: " ")
    }
}

/// TemplateOperand is an argument or the head of a command.
indirect enum TemplateOperand: Sendable, CustomStringConvertible {
    /// `.A.B`: fields of dot.
    case field(position: Int, names: [String])
    /// `$x.A.B`: a variable and optional fields.
    case variable(position: Int, name: String, fields: [String])
    /// `(pipeline).A.B`, or a field chain on another operand.
    case chain(position: Int, operand: TemplateOperand, fields: [String])
    case identifier(position: Int, name: String)
    case dot(position: Int)
    case nilValue(position: Int)
    case bool(position: Int, Bool)
    case number(position: Int, TemplateNumber)
    /// A string literal: the text as written (with quotes) and its value.
    case string(position: Int, quoted: String, value: String)
    case pipe(position: Int, TemplatePipe)

    var position: Int {
        switch self {
        case .field(let position, _), .variable(let position, _, _), .chain(let position, _, _),
            .identifier(let position, _), .dot(let position), .nilValue(let position), .bool(let position, _),
            .number(let position, _), .string(let position, _, _), .pipe(let position, _):
            position
        }
    }

    var description: String {
        switch self {
        case .field(_, let names): return names.map { "." + $0 }.joined()
        case .variable(_, let name, let fields): return name + fields.map { "." + $0 }.joined()
        case .chain(_, let operand, let fields):
            let head: String
            if case .pipe(_, let pipe) = operand { head = "(\(pipe))" } else { head = operand.description }
            return head + fields.map { "." + $0 }.joined()
        case .identifier(_, let name): return name
        case .dot: return "."
        case .nilValue: return "nil"
        case .bool(_, let value): return value ? "true" : "false"
        case .number(_, let number): return number.text
        case .string(_, let quoted, _): return quoted
        case .pipe(_, let pipe): return pipe.description
        }
    }
}

/// TemplateNumber is a numeric constant with the interpretations Go gives it.
///
/// Go types an untyped constant from its spelling when it meets an `interface{}` parameter: `1` is an `int`,
/// `1.0` and `1e3` are `float64`. That matters for comparisons: `gt $value 1` compares a float64 with an int
/// and fails, exactly as in Prometheus.
struct TemplateNumber: Sendable {
    var text: String
    var int: Int?
    var float: Double?
    /// Whether the constant is written like a float (`.`, an exponent), so it is a float64 when untyped.
    var isFloatSpelling: Bool

    /// The value an untyped use of the constant gets; `.none` for an integer too large for Go's int.
    var value: TemplateValue {
        if let float, isFloatSpelling { return .float(float) }
        if let int { return .int(int) }
        return .none
    }
}
