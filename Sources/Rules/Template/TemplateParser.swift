/// TemplateParser builds the node tree of a template with the grammar and error messages of Go's `text/template`.
///
/// Functions and variables are resolved at parse time, as in Go: an unknown function or an undeclared variable is
/// a parse error, so `promtool check rules` and Vigil reject the same templates. Named templates (`define`, `block`,
/// `template`) work as in Go, within the one template text.
struct TemplateParser {
    private let name: String
    private let functions: Set<String>
    private var tokens: [TemplateToken]
    private var index = 0
    private var variables: [String] = ["$"]
    private var rangeDepth = 0
    /// The line of the action being parsed, for Go's "in action started at" note on multi-line actions.
    private var actionLine = 0
    /// Templates named by `define` and `block`, by name.
    private var definitions: [String: [TemplateNode]] = [:]

    private struct Failure: Error {
        var error: TemplateError
    }

    /// Control ends a list: `{{end}}` or `{{else}}`.
    private enum Control {
        case end(position: Int)
        case elseControl(position: Int)
    }

    private enum Parsed {
        case node(TemplateNode)
        case control(Control)
    }

    /// Parses a template text into its main node list and the named templates it defines.
    static func parse(
        _ text: String, name: String, functions: Set<String>
    ) throws(TemplateError) -> (nodes: [TemplateNode], definitions: [String: [TemplateNode]]) {
        var parser = TemplateParser(name: name, functions: functions, tokens: TemplateLexer.tokenize(text))
        do {
            let nodes = try parser.parseRoot()
            return (nodes, parser.definitions)
        } catch {
            throw error.error
        }
    }

    private init(name: String, functions: Set<String>, tokens: [TemplateToken]) {
        self.name = name
        self.functions = functions
        self.tokens = tokens
    }

    // MARK: Token access

    private mutating func next() -> TemplateToken {
        let token = tokens[min(index, tokens.count - 1)]
        index += 1
        return token
    }

    private mutating func backup(_ count: Int = 1) {
        index -= count
    }

    private func peek() -> TemplateToken {
        tokens[min(index, tokens.count - 1)]
    }

    private mutating func nextNonSpace() -> TemplateToken {
        var token = next()
        while token.kind == .space { token = next() }
        return token
    }

    private mutating func peekNonSpace() -> TemplateToken {
        let token = nextNonSpace()
        backup()
        return token
    }

    /// The line Go blames: that of the most recently read token.
    private var currentLine: Int {
        tokens[max(0, min(index - 1, tokens.count - 1))].line
    }

    private func failure(_ message: String) -> Failure {
        Failure(error: TemplateError(kind: .parse, name: name, line: currentLine, message: message))
    }

    private func unexpected(_ token: TemplateToken, _ context: String) -> Failure {
        if token.kind == .error {
            var extra = ""
            if actionLine != 0 && actionLine != token.line {
                extra = " in action started at \(name):\(actionLine)"
                if token.value.hasSuffix(" action") { extra = String(extra.dropFirst(" in action".count)) }
            }
            return failure(token.value + extra)
        }
        return failure("unexpected \(token.goDescription) in \(context)")
    }

    private mutating func expect(_ kind: TemplateToken.Kind, _ context: String) throws(Failure) -> TemplateToken {
        let token = nextNonSpace()
        guard token.kind == kind else { throw unexpected(token, context) }
        return token
    }

    // MARK: Structure

    private mutating func parseRoot() throws(Failure) -> [TemplateNode] {
        var nodes: [TemplateNode] = []
        while peek().kind != .eof {
            if peek().kind == .leftDelim {
                let start = index
                let delim = next()
                if nextNonSpace().kind == .define {
                    actionLine = delim.line
                    defer { actionLine = 0 }
                    try parseDefinition()
                    continue
                }
                index = start
            }
            switch try textOrAction() {
            case .node(let node): nodes.append(node)
            case .control(.end): throw failure("unexpected {{end}}")
            case .control(.elseControl): throw failure("unexpected {{else}}")
            }
        }
        return nodes
    }

    private mutating func itemList() throws(Failure) -> ([TemplateNode], Control) {
        var nodes: [TemplateNode] = []
        while peekNonSpace().kind != .eof {
            switch try textOrAction() {
            case .node(let node): nodes.append(node)
            case .control(let control): return (nodes, control)
            }
        }
        throw failure("unexpected EOF")
    }

    private mutating func textOrAction() throws(Failure) -> Parsed {
        let token = nextNonSpace()
        switch token.kind {
        case .text:
            return .node(.text(token.value))
        case .leftDelim:
            actionLine = token.line
            defer { actionLine = 0 }
            return try action()
        default:
            throw unexpected(token, "input")
        }
    }

    private mutating func action() throws(Failure) -> Parsed {
        let token = nextNonSpace()
        switch token.kind {
        case .block:
            return .node(try blockControl())
        case .template:
            return .node(try templateControl())
        case .breakKeyword, .continueKeyword:
            let word = token.value
            let after = nextNonSpace()
            guard after.kind == .rightDelim else { throw unexpected(after, "{{\(word)}}") }
            guard rangeDepth > 0 else { throw failure("{{\(word)}} outside {{range}}") }
            return .node(token.kind == .breakKeyword ? .breakNode(position: token.position) : .continueNode(position: token.position))
        case .elseKeyword:
            // "{{else if …" is left with the "if" pending, as Go does, for the enclosing if to pick up.
            let peeked = peekNonSpace()
            if peeked.kind == .ifKeyword { return .control(.elseControl(position: peeked.position)) }
            let delim = try expect(.rightDelim, "else")
            return .control(.elseControl(position: delim.position))
        case .end:
            let delim = try expect(.rightDelim, "end")
            return .control(.end(position: delim.position))
        case .ifKeyword:
            return .node(try ifControl())
        case .range:
            let (position, pipe, list, elseList) = try parseControl(allowElseIf: false, context: "range")
            return .node(.range(position: position, pipe: pipe, list: list, elseList: elseList))
        case .with:
            let (position, pipe, list, elseList) = try parseControl(allowElseIf: false, context: "with")
            return .node(.with(position: position, pipe: pipe, list: list, elseList: elseList))
        default:
            backup()
            let pipe = try pipeline(context: "command", end: .rightDelim)
            return .node(.action(position: pipe.position, pipe: pipe))
        }
    }

    /// `{{define "name"}}…{{end}}` at the top level: a named template with its own variables.
    private mutating func parseDefinition() throws(Failure) {
        let name = try templateName(nextNonSpace(), context: "define clause")
        _ = try expect(.rightDelim, "define clause")
        let saved = variables
        variables = ["$"]
        defer { variables = saved }
        let (list, end) = try itemList()
        guard case .end = end else { throw failure("unexpected {{else}} in define clause") }
        try define(name, list)
    }

    /// Records a named template; like Go, an empty body may be replaced but two non-empty bodies clash.
    private mutating func define(_ name: String, _ list: [TemplateNode]) throws(Failure) {
        func isEmpty(_ nodes: [TemplateNode]) -> Bool {
            nodes.allSatisfy { node in
                if case .text(let text) = node { return text.allSatisfy(\.isWhitespace) }
                return false
            }
        }
        if let existing = definitions[name], !isEmpty(existing), !isEmpty(list) {
            throw failure("template: multiple definition of template \(GoFormat.quote(name))")
        }
        if definitions[name] == nil || !isEmpty(list) { definitions[name] = list }
    }

    private func templateName(_ token: TemplateToken, context: String) throws(Failure) -> String {
        guard token.kind == .string || token.kind == .rawString else { throw unexpected(token, context) }
        guard let name = GoFormat.unquote(token.value) else { throw failure("invalid syntax") }
        return name
    }

    /// `{{block "name" pipeline}}…{{end}}`: defines the template and calls it in place.
    private mutating func blockControl() throws(Failure) -> TemplateNode {
        let token = nextNonSpace()
        let name = try templateName(token, context: "block clause")
        let pipe = try pipeline(context: "block clause", end: .rightDelim)
        let saved = variables
        variables = ["$"]
        let (list, end) = try itemList()
        variables = saved
        guard case .end = end else { throw failure("unexpected {{else}} in block clause") }
        try define(name, list)
        return .templateCall(position: token.position, name: name, pipe: pipe)
    }

    /// `{{template "name" pipeline}}`: runs a named template with the pipeline's value as dot.
    private mutating func templateControl() throws(Failure) -> TemplateNode {
        let token = nextNonSpace()
        let name = try templateName(token, context: "template clause")
        var pipe: TemplatePipe?
        if nextNonSpace().kind != .rightDelim {
            backup()
            pipe = try pipeline(context: "template clause", end: .rightDelim)
        }
        return .templateCall(position: token.position, name: name, pipe: pipe)
    }

    private mutating func ifControl() throws(Failure) -> TemplateNode {
        let (position, pipe, list, elseList) = try parseControl(allowElseIf: true, context: "if")
        return .ifNode(position: position, pipe: pipe, list: list, elseList: elseList)
    }

    private mutating func parseControl(
        allowElseIf: Bool, context: String
    ) throws(Failure) -> (Int, TemplatePipe, [TemplateNode], [TemplateNode]?) {
        let scope = variables.count
        defer { variables.removeSubrange(scope...) }
        let pipe = try pipeline(context: context, end: .rightDelim)
        if context == "range" { rangeDepth += 1 }
        let (list, control) = try itemList()
        if context == "range" { rangeDepth -= 1 }
        var elseList: [TemplateNode]?
        if case .elseControl = control {
            if allowElseIf && peek().kind == .ifKeyword {
                // {{if a}}…{{else if b}}…{{end}} is {{if a}}…{{else}}{{if b}}…{{end}}{{end}}: one {{end}} closes both.
                _ = next()
                elseList = [try ifControl()]
            } else {
                let (list, next) = try itemList()
                guard case .end = next else { throw failure("expected end; found {{else}}") }
                elseList = list
            }
        }
        return (pipe.position, pipe, list, elseList)
    }

    // MARK: Pipelines

    private mutating func pipeline(context: String, end: TemplateToken.Kind) throws(Failure) -> TemplatePipe {
        var pipe = TemplatePipe(position: peekNonSpace().position, declarations: [], isAssignment: false, commands: [])
        declarations: while peekNonSpace().kind == .variable {
            let variable = nextNonSpace()
            let afterVariable = peek()
            let following = peekNonSpace()
            if following.kind == .assign || following.kind == .declare {
                pipe.isAssignment = following.kind == .assign
                _ = nextNonSpace()
                pipe.declarations.append(variable.value)
                // Go declares the name for the parse either way; assigning an undeclared one fails when run.
                variables.append(variable.value)
            } else if following.kind == .char && following.value == "," {
                _ = nextNonSpace()
                pipe.declarations.append(variable.value)
                variables.append(variable.value)
                if context == "range" && pipe.declarations.count < 2 {
                    switch peekNonSpace().kind {
                    case .variable, .rightDelim, .rightParen: continue declarations
                    default: throw failure("range can only initialize variables")
                    }
                }
                throw failure("too many declarations in \(context)")
            } else if afterVariable.kind == .space {
                backup(2)
            } else {
                backup()
            }
            break
        }
        while true {
            let token = nextNonSpace()
            switch token.kind {
            case end:
                guard !pipe.commands.isEmpty else { throw failure("missing value for \(context)") }
                for (stage, command) in pipe.commands.enumerated().dropFirst() {
                    switch command.arguments[0] {
                    case .bool, .dot, .nilValue, .number, .string:
                        throw failure("non executable command in pipeline stage \(stage + 1)")
                    default: break
                    }
                }
                return pipe
            case .bool, .charConstant, .dot, .field, .identifier, .number, .nilKeyword, .rawString, .string, .variable,
                .leftParen:
                backup()
                pipe.commands.append(try command())
            default:
                throw unexpected(token, context)
            }
        }
    }

    private mutating func command() throws(Failure) -> TemplateCommand {
        var command = TemplateCommand(position: peekNonSpace().position, arguments: [])
        while true {
            _ = peekNonSpace()
            if let operand = try operand() { command.arguments.append(operand) }
            let token = next()
            switch token.kind {
            case .space: continue
            case .rightDelim, .rightParen: backup()
            case .pipe: break
            default: throw unexpected(token, "operand")
            }
            break
        }
        guard !command.arguments.isEmpty else { throw failure("empty command") }
        return command
    }

    private mutating func operand() throws(Failure) -> TemplateOperand? {
        guard let term = try term() else { return nil }
        guard peek().kind == .field else { return term }
        let chainPosition = peek().position
        var fields: [String] = []
        while peek().kind == .field { fields.append(String(next().value.dropFirst())) }
        switch term {
        // Go places a node with trailing fields at its first trailing field, which is where its errors point.
        case .field(_, let names): return .field(position: chainPosition, names: names + fields)
        case .variable(_, let name, let existing): return .variable(position: chainPosition, name: name, fields: existing + fields)
        case .bool, .string, .number, .nilValue, .dot:
            throw failure("unexpected . after term \(GoFormat.quote(term.description))")
        default:
            return .chain(position: chainPosition, operand: term, fields: fields)
        }
    }

    private mutating func term() throws(Failure) -> TemplateOperand? {
        let token = nextNonSpace()
        switch token.kind {
        case .identifier:
            guard functions.contains(token.value) else { throw failure("function \(GoFormat.quote(token.value)) not defined") }
            return .identifier(position: token.position, name: token.value)
        case .dot:
            return .dot(position: token.position)
        case .nilKeyword:
            return .nilValue(position: token.position)
        case .variable:
            try useVariable(token.value)
            return .variable(position: token.position, name: token.value, fields: [])
        case .field:
            return .field(position: token.position, names: [String(token.value.dropFirst())])
        case .bool:
            return .bool(position: token.position, token.value == "true")
        case .number, .charConstant:
            return .number(position: token.position, try number(token))
        case .leftParen:
            let pipe = try pipeline(context: "parenthesized pipeline", end: .rightParen)
            return .pipe(position: pipe.position, pipe)
        case .string, .rawString:
            guard let value = GoFormat.unquote(token.value) else { throw failure("invalid syntax") }
            return .string(position: token.position, quoted: token.value, value: value)
        default:
            backup()
            return nil
        }
    }

    private func useVariable(_ name: String) throws(Failure) {
        guard variables.contains(name) else { throw failure("undefined variable \(GoFormat.quote(name))") }
    }

    /// Interprets a number or character constant as Go's parser does: as an int, a float, or both.
    private func number(_ token: TemplateToken) throws(Failure) -> TemplateNumber {
        let text = token.value
        if token.kind == .charConstant {
            guard let value = GoFormat.unquote(text), let scalar = value.unicodeScalars.first, value.unicodeScalars.count == 1 else {
                throw failure("malformed character constant: \(text)")
            }
            return TemplateNumber(text: text, int: Int(scalar.value), float: Double(scalar.value), isFloatSpelling: false)
        }
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        var int: Int?
        var negative = false
        var digits = Substring(cleaned)
        if digits.hasPrefix("+") || digits.hasPrefix("-") {
            negative = digits.hasPrefix("-")
            digits = digits.dropFirst()
        }
        var radix = 10
        var body = digits
        if digits.count > 1 && digits.hasPrefix("0") {
            switch digits.dropFirst().first {
            case "x", "X": radix = 16; body = digits.dropFirst(2)
            case "o", "O": radix = 8; body = digits.dropFirst(2)
            case "b", "B": radix = 2; body = digits.dropFirst(2)
            default: radix = 8; body = digits.dropFirst()
            }
        }
        if radix == 10 && !digits.hasPrefix("0") || digits == "0" {
            int = Int(cleaned.hasPrefix("+") ? String(cleaned.dropFirst()) : cleaned)
        } else if let magnitude = Int(body, radix: radix) {
            int = negative ? -magnitude : magnitude
        }
        let isHex = radix == 16
        var float = isHex ? int.map(Double.init) : Double(cleaned)
        if float == nil, radix == 8, !cleaned.contains(where: { "xXoObB".contains($0) }) { float = Double(cleaned) }
        if int == nil, let value = float, value == value.rounded(), abs(value) < 9.2e18 { int = Int(value) }
        guard int != nil || float != nil else { throw failure("illegal number syntax: \(GoFormat.quote(text))") }
        if int == nil, radix == 10, !cleaned.contains(where: { ".eEpP".contains($0) }), UInt64(body) == nil {
            throw failure("integer overflow: \(GoFormat.quote(text))")
        }
        let isFloatSpelling = !isHex && cleaned.contains { ".eEpP".contains($0) }
        return TemplateNumber(text: text, int: int, float: float ?? int.map(Double.init), isFloatSpelling: isFloatSpelling)
    }
}
