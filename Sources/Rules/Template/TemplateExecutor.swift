/// TemplateExecutor runs a parsed template once, with the evaluation rules of Go's `text/template`.
///
/// Errors name the node being evaluated and its position, the way Go does, so a broken annotation reads the same
/// in Vigil as in Prometheus.
struct TemplateExecutor {
    private let template: Template
    private let environment: TemplateEnvironment
    private let root: TemplateValue
    private var variables: [(name: String, value: TemplateValue)]
    private var output = ""
    /// The node errors are blamed on: its byte offset and its text.
    private var blamed: (position: Int, text: String) = (0, "")
    /// Nesting of `{{template}}` calls, bounded so a self-calling template fails instead of exhausting the stack.
    private var depth = 0
    /// Go allows 100000 nested calls; Swift's stack (512 KiB on secondary threads) allows far fewer frames.
    private static let maxDepth = 1000
    /// The template being executed, for messages: the main one or a defined one.
    private var executing: String

    /// Flow is how a list finished: normally, or by `{{break}}`/`{{continue}}` inside a range.
    private enum Flow {
        case normal, breakLoop, continueLoop
    }

    private struct Failure: Error {
        var error: TemplateError
    }

    init(template: Template, environment: TemplateEnvironment, root: TemplateValue) {
        self.template = template
        self.environment = environment
        self.root = root
        variables = [("$", root)]
        executing = template.name
    }

    mutating func run() throws(TemplateError) -> String {
        do {
            _ = try walk(root, template.nodes)
        } catch {
            throw error.error
        }
        return output
    }

    // MARK: Errors

    private mutating func at(_ position: Int, _ text: String) {
        blamed = (position, text)
    }

    private mutating func at(_ operand: TemplateOperand) {
        at(operand.position, operand.description)
    }

    private func failure(_ message: String) -> Failure {
        let bytes = template.text.utf8
        let position = min(blamed.position, bytes.count)
        let prefix = bytes.prefix(position)
        let line = 1 + prefix.filter { $0 == UInt8(ascii: "\n") }.count
        var column = position
        if let lastNewline = prefix.lastIndex(of: UInt8(ascii: "\n")) {
            column = position - (bytes.distance(from: bytes.startIndex, to: lastNewline) + 1)
        }
        return Failure(error: TemplateError(
            kind: .execution, name: template.name, line: line, column: column, context: blamed.text, executing: executing,
            message: message))
    }

    // MARK: Variables

    private func variable(_ name: String) throws(Failure) -> TemplateValue {
        guard let found = variables.last(where: { $0.name == name }) else { throw failure("undefined variable: \(name)") }
        return found.value
    }

    private mutating func assign(_ name: String, _ value: TemplateValue) throws(Failure) {
        guard let index = variables.lastIndex(where: { $0.name == name }) else { throw failure("undefined variable: \(name)") }
        variables[index].value = value
    }

    // MARK: Walking

    private mutating func walk(_ dot: TemplateValue, _ nodes: [TemplateNode]) throws(Failure) -> Flow {
        for node in nodes {
            let flow = try walk(dot, node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private mutating func walk(_ dot: TemplateValue, _ node: TemplateNode) throws(Failure) -> Flow {
        switch node {
        case .text(let text):
            output += text
        case .action(let position, let pipe):
            let value = try evalPipeline(dot, pipe)
            if pipe.declarations.isEmpty {
                at(position, pipe.description)
                output += value.printed
            }
        case .ifNode(_, let pipe, let list, let elseList), .with(_, let pipe, let list, let elseList):
            let mark = variables.count
            defer { variables.removeSubrange(mark...) }
            let value = try evalPipeline(dot, pipe)
            if value.isTrue {
                if case .with = node { return try walk(value, list) }
                return try walk(dot, list)
            } else if let elseList {
                return try walk(dot, elseList)
            }
        case .range(let position, let pipe, let list, let elseList):
            return try walkRange(dot, position: position, pipe: pipe, list: list, elseList: elseList)
        case .breakNode:
            return .breakLoop
        case .continueNode:
            return .continueLoop
        case .templateCall(let position, let name, let pipe):
            at(position, "{{template \(GoFormat.quote(name))" + (pipe.map { " \($0)" } ?? "") + "}}")
            guard let body = template.definitions[name] else { throw failure("template \(GoFormat.quote(name)) not defined") }
            guard depth < Self.maxDepth else { throw failure("exceeded maximum template depth (\(Self.maxDepth))") }
            let value = try pipe.map { (pipe) throws(Failure) in try evalPipeline(dot, pipe) } ?? .none
            // A called template sees only its own dot and `$`, as in Go.
            let (savedVariables, savedName) = (variables, executing)
            (variables, executing) = ([("$", value)], name)
            depth += 1
            defer {
                (variables, executing) = (savedVariables, savedName)
                depth -= 1
            }
            _ = try walk(value, body)
        }
        return .normal
    }

    private mutating func walkRange(
        _ dot: TemplateValue, position: Int, pipe: TemplatePipe, list: [TemplateNode], elseList: [TemplateNode]?
    ) throws(Failure) -> Flow {
        let mark = variables.count
        defer { variables.removeSubrange(mark...) }
        let value = try evalPipeline(dot, pipe)
        var elements: [(key: TemplateValue, element: TemplateValue)] = []
        switch value {
        case .list(let values): elements = values.enumerated().map { (.int($0.offset), $0.element) }
        case .stringMap(let map): elements = map.keys.sorted().map { (.string($0), .string(map[$0]!)) }
        case .map(let map): elements = map.keys.sorted().map { (.string($0), map[$0]!) }
        case .queryResult(let samples):
            elements = samples.enumerated().map { (.int($0.offset), .sample(labels: $0.element.labels, value: $0.element.value)) }
        case .none: break
        default:
            throw failure("range can't iterate over \(GoFormat.format(value, verb: "v", flags: GoFormat.Flags()))")
        }
        // The declared variables were pushed by evalPipeline: the last is the element, the one before it the key.
        for (key, element) in elements {
            if !pipe.declarations.isEmpty { variables[variables.count - 1].value = element }
            if pipe.declarations.count > 1 { variables[variables.count - 2].value = key }
            let inner = variables.count
            let flow = try walk(element, list)
            variables.removeSubrange(inner...)
            if flow == .breakLoop { break }
        }
        if elements.isEmpty, let elseList { return try walk(dot, elseList) }
        return .normal
    }

    // MARK: Pipelines and commands

    private mutating func evalPipeline(_ dot: TemplateValue, _ pipe: TemplatePipe) throws(Failure) -> TemplateValue {
        var value: TemplateValue?
        for command in pipe.commands {
            value = try evalCommand(dot, command, final: value)
        }
        let result = value ?? .none
        for name in pipe.declarations {
            if pipe.isAssignment {
                try assign(name, result)
            } else {
                variables.append((name, result))
            }
        }
        return result
    }

    private mutating func evalCommand(_ dot: TemplateValue, _ command: TemplateCommand, final: TemplateValue?) throws(Failure) -> TemplateValue {
        let first = command.arguments[0]
        switch first {
        case .field(_, let names):
            at(first)
            return try evalFieldChain(dot, receiver: dot, names, arguments: command.arguments, final: final)
        case .chain(_, let operand, let fields):
            at(first)
            let receiver = try evalArgument(dot, .any, operand)
            at(first)
            return try evalFieldChain(dot, receiver: receiver, fields, arguments: command.arguments, final: final)
        case .identifier(let position, let name):
            at(position, name)
            return try evalCall(dot, name: name, command: command, arguments: Array(command.arguments.dropFirst()), final: final)
        case .pipe(_, let pipe):
            try notAFunction(command.arguments, final: final)
            return try evalPipeline(dot, pipe)
        case .variable(_, let name, let fields):
            at(first)
            let value = try variable(name)
            if fields.isEmpty {
                try notAFunction(command.arguments, final: final)
                return value
            }
            return try evalFieldChain(dot, receiver: value, fields, arguments: command.arguments, final: final)
        default:
            break
        }
        at(first)
        try notAFunction(command.arguments, final: final)
        switch first {
        case .bool(_, let value): return .bool(value)
        case .dot: return dot
        case .nilValue: throw failure("nil is not a command")
        case .number(_, let number): return try idealConstant(number)
        case .string(_, _, let value): return .string(value)
        default: return .none
        }
    }

    private func notAFunction(_ arguments: [TemplateOperand], final: TemplateValue?) throws(Failure) {
        if arguments.count > 1 || final != nil {
            throw failure("can't give argument to non-function \(arguments[0].description)")
        }
    }

    private func idealConstant(_ number: TemplateNumber) throws(Failure) -> TemplateValue {
        let value = number.value
        if case .none = value { throw failure("\(number.text) overflows int") }
        return value
    }

    private mutating func evalFieldChain(
        _ dot: TemplateValue, receiver: TemplateValue, _ names: [String], arguments: [TemplateOperand], final: TemplateValue?
    ) throws(Failure) -> TemplateValue {
        var receiver = receiver
        for name in names.dropLast() {
            receiver = try evalField(name, receiver: receiver, hasArguments: false)
        }
        return try evalField(names[names.count - 1], receiver: receiver, hasArguments: arguments.count > 1 || final != nil)
    }

    private func evalField(_ name: String, receiver: TemplateValue, hasArguments: Bool) throws(Failure) -> TemplateValue {
        switch receiver {
        case .none:
            return .none
        case .record(let type, let fields):
            guard let field = fields.first(where: { $0.name == name }) else {
                throw failure("can't evaluate field \(name) in type \(type)")
            }
            if hasArguments { throw failure("\(name) has arguments but cannot be invoked as function") }
            return field.value
        case .sample(let labels, let value):
            if hasArguments { throw failure("\(name) has arguments but cannot be invoked as function") }
            switch name {
            case "Labels": return .stringMap(labels)
            case "Value": return .float(value)
            default: throw failure("can't evaluate field \(name) in type \(receiver.goType)")
            }
        case .stringMap(let map):
            if hasArguments { throw failure("\(name) is not a method but has arguments") }
            return .string(map[name] ?? "")
        case .map(let map):
            if hasArguments { throw failure("\(name) is not a method but has arguments") }
            return map[name] ?? .none
        default:
            throw failure("can't evaluate field \(name) in type \(receiver.goType)")
        }
    }

    /// Calls a function: checks the argument count, evaluates and type-checks arguments, appends the piped value.
    private mutating func evalCall(
        _ dot: TemplateValue, name: String, command: TemplateCommand, arguments: [TemplateOperand], final: TemplateValue?
    ) throws(Failure) -> TemplateValue {
        guard let function = TemplateFunctions.table[name] else { throw failure("\(name) is not a defined function") }
        let fixed = function.parameters.count
        let count = arguments.count + (final == nil ? 0 : 1)
        if function.variadic != nil {
            if count < fixed { throw failure("wrong number of args for \(name): want at least \(fixed) got \(arguments.count)") }
        } else if count != fixed {
            throw failure("wrong number of args for \(name): want \(fixed) got \(count)")
        }
        // and/or stop at the first argument that decides the result (Go 1.18 and later).
        if name == "and" || name == "or" {
            var value = TemplateValue.none
            for argument in arguments {
                value = try evalArgument(dot, .any, argument)
                if value.isTrue == (name == "or") { return value }
            }
            return final ?? value
        }
        var values: [TemplateValue] = []
        for (index, argument) in arguments.enumerated() {
            let type = index < fixed ? function.parameters[index] : function.variadic ?? .any
            values.append(try evalArgument(dot, type, argument))
        }
        if let final {
            let type = count - 1 < fixed ? function.parameters[count - 1] : function.variadic ?? .any
            values.append(try validate(final, type))
        }
        do {
            return try function.body(environment, values)
        } catch {
            at(command.position, command.description)
            throw failure("error calling \(name): \(error.message)")
        }
    }

    /// Evaluates an argument for a parameter of `type`, with Go's messages for values of the wrong type.
    private mutating func evalArgument(_ dot: TemplateValue, _ type: TemplateFunction.Parameter, _ operand: TemplateOperand) throws(Failure) -> TemplateValue {
        at(operand)
        switch operand {
        case .dot:
            return try validate(dot, type)
        case .nilValue:
            guard type == .any || type == .queryResult || type == .sample else { throw failure("cannot assign nil to \(type.goType)") }
            return .none
        case .field(_, let names):
            return try validate(try evalFieldChain(dot, receiver: dot, names, arguments: [operand], final: nil), type)
        case .variable(_, let name, let fields):
            let value = try variable(name)
            if fields.isEmpty { return try validate(value, type) }
            return try validate(try evalFieldChain(dot, receiver: value, fields, arguments: [operand], final: nil), type)
        case .pipe(_, let pipe):
            return try validate(try evalPipeline(dot, pipe), type)
        case .identifier(_, let name):
            let command = TemplateCommand(position: operand.position, arguments: [operand])
            return try validate(try evalCall(dot, name: name, command: command, arguments: [], final: nil), type)
        case .chain(_, let inner, let fields):
            let receiver = try evalArgument(dot, .any, inner)
            at(operand)
            return try validate(try evalFieldChain(dot, receiver: receiver, fields, arguments: [operand], final: nil), type)
        case .bool(_, let value):
            try checkConstant(operand, for: type)
            return .bool(value)
        case .number(_, let number):
            try checkConstant(operand, for: type)
            return try idealConstant(number)
        case .string(_, _, let value):
            guard type == .any || type == .string else { throw failure("can't handle \(operand.description) for arg of type \(type.goType)") }
            return .string(value)
        }
    }

    /// Go's messages for a bool or number literal passed where a string or a Prometheus type is expected.
    private func checkConstant(_ operand: TemplateOperand, for type: TemplateFunction.Parameter) throws(Failure) {
        switch type {
        case .any: return
        case .string: throw failure("expected string; found \(operand.description)")
        case .queryResult, .sample: throw failure("can't handle \(operand.description) for arg of type \(type.goType)")
        }
    }

    private func validate(_ value: TemplateValue, _ type: TemplateFunction.Parameter) throws(Failure) -> TemplateValue {
        switch (type, value) {
        case (.any, _), (.string, .string), (.queryResult, .queryResult), (.sample, .sample), (.sample, .none):
            return value
        case (.queryResult, .none):
            return .queryResult([])
        case (_, .none):
            throw failure("invalid value; expected \(type.goType)")
        default:
            throw failure("wrong type for value; expected \(type.goType); got \(value.goType)")
        }
    }
}
