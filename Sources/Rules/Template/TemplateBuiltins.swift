/// Go's `text/template` builtin functions, with Go's rules for comparing and indexing values.
///
/// `and` and `or` are listed for arity checking only; the executor evaluates them itself because they
/// short-circuit (Go 1.18 and later).
extension TemplateFunctions {
    static let builtins: [String: TemplateFunction] = [
        "and": TemplateFunction([.any], variadic: .any) { _, arguments in
            arguments.first { !$0.isTrue } ?? arguments.last ?? .none
        },
        "or": TemplateFunction([.any], variadic: .any) { _, arguments in
            arguments.first { $0.isTrue } ?? arguments.last ?? .none
        },
        "not": TemplateFunction([.any]) { _, arguments in .bool(!arguments[0].isTrue) },
        "len": TemplateFunction([.any]) { _, arguments throws(TemplateFunction.Failure) in
            switch arguments[0] {
            case .string(let string): return .int(string.utf8.count)
            case .list(let values): return .int(values.count)
            case .stringMap(let map): return .int(map.count)
            case .map(let map): return .int(map.count)
            case .queryResult(let samples): return .int(samples.count)
            case .none: throw .init("len of nil pointer")
            default: throw .init("len of type \(arguments[0].goType)")
            }
        },
        "index": TemplateFunction([.any], variadic: .any) { _, arguments throws(TemplateFunction.Failure) in
            var item = arguments[0]
            for key in arguments.dropFirst() { item = try index(item, key) }
            return item
        },
        "slice": TemplateFunction([.any], variadic: .any) { _, arguments throws(TemplateFunction.Failure) in
            try slice(arguments[0], Array(arguments.dropFirst()))
        },
        "print": TemplateFunction([], variadic: .any) { _, arguments in .string(GoFormat.sprint(arguments)) },
        "println": TemplateFunction([], variadic: .any) { _, arguments in .string(GoFormat.sprintln(arguments)) },
        "printf": TemplateFunction([.string], variadic: .any) { _, arguments in
            .string(GoFormat.sprintf(arguments[0].stringValue, Array(arguments.dropFirst())))
        },
        "html": TemplateFunction([], variadic: .any) { _, arguments in .string(htmlEscape(evalArgs(arguments))) },
        "js": TemplateFunction([], variadic: .any) { _, arguments in .string(jsEscape(evalArgs(arguments))) },
        "urlquery": TemplateFunction([], variadic: .any) { _, arguments in .string(queryEscape(evalArgs(arguments))) },
        "call": TemplateFunction([.any], variadic: .any) { _, arguments throws(TemplateFunction.Failure) in
            throw .init("non-function of type \(arguments[0].goType)")
        },
        "eq": TemplateFunction([.any], variadic: .any) { _, arguments throws(TemplateFunction.Failure) in
            guard arguments.count > 1 else { throw .init("missing argument for comparison") }
            for other in arguments.dropFirst() {
                if try equal(arguments[0], other) { return .bool(true) }
            }
            return .bool(false)
        },
        "ne": TemplateFunction([.any, .any]) { _, arguments throws(TemplateFunction.Failure) in
            .bool(!(try equal(arguments[0], arguments[1])))
        },
        "lt": TemplateFunction([.any, .any]) { _, arguments throws(TemplateFunction.Failure) in
            .bool(try less(arguments[0], arguments[1]))
        },
        "le": TemplateFunction([.any, .any]) { _, arguments throws(TemplateFunction.Failure) in
            if try less(arguments[0], arguments[1]) { return .bool(true) }
            return .bool(try equal(arguments[0], arguments[1]))
        },
        "gt": TemplateFunction([.any, .any]) { _, arguments throws(TemplateFunction.Failure) in
            if try less(arguments[0], arguments[1]) { return .bool(false) }
            return .bool(!(try equal(arguments[0], arguments[1])))
        },
        "ge": TemplateFunction([.any, .any]) { _, arguments throws(TemplateFunction.Failure) in
            .bool(!(try less(arguments[0], arguments[1])))
        },
    ]

    /// Go's basic kinds, which decide what compares with what.
    private enum Kind {
        case bool, int, float, string
    }

    private static func kind(_ value: TemplateValue) -> Kind? {
        switch value {
        case .bool: .bool
        case .int: .int
        case .float: .float
        case .string: .string
        default: nil
        }
    }

    /// Go's `eq` for two values: basic kinds must match (an int never equals a float64); nil equals only nil.
    private static func equal(_ a: TemplateValue, _ b: TemplateValue) throws(TemplateFunction.Failure) -> Bool {
        let (ka, kb) = (kind(a), kind(b))
        if ka != kb {
            if a == .none || b == .none { return false }
            if ka != nil && kb != nil || ka != nil || kb != nil { throw .init("incompatible types for comparison") }
        }
        if ka == nil {
            if a == .none || b == .none { return a == b }
            let (textA, textB) = (GoFormat.format(a, verb: "s", flags: .init()), GoFormat.format(b, verb: "v", flags: .init()))
            guard a.goType == b.goType else {
                throw .init("non-comparable types \(textA): \(a.goType), \(b.goType): \(textB)")
            }
            throw .init("non-comparable type \(GoFormat.format(b, verb: "s", flags: .init())): \(b.goType)")
        }
        switch (a, b) {
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.float(x), .float(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        default: return false
        }
    }

    /// Go's `lt`: ordered basic kinds only, of the same kind.
    private static func less(_ a: TemplateValue, _ b: TemplateValue) throws(TemplateFunction.Failure) -> Bool {
        guard let ka = kind(a), let kb = kind(b) else { throw .init("invalid type for comparison") }
        guard ka == kb else { throw .init("incompatible types for comparison") }
        switch (a, b) {
        case let (.int(x), .int(y)): return x < y
        case let (.float(x), .float(y)): return x < y
        case let (.string(x), .string(y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        default: throw .init("invalid type for comparison")
        }
    }

    private static func index(_ item: TemplateValue, _ key: TemplateValue) throws(TemplateFunction.Failure) -> TemplateValue {
        switch item {
        case .stringMap(let map):
            guard case .string(let name) = key else { throw .init("value has type \(key.goType); should be string") }
            return .string(map[name] ?? "")
        case .map(let map):
            guard case .string(let name) = key else { throw .init("value has type \(key.goType); should be string") }
            return map[name] ?? .none
        case .list(let values):
            let position = try integer(key)
            guard values.indices.contains(position) else { throw .init("index out of range: \(position)") }
            return values[position]
        case .queryResult(let samples):
            let position = try integer(key)
            guard samples.indices.contains(position) else { throw .init("index out of range: \(position)") }
            return .sample(labels: samples[position].labels, value: samples[position].value)
        case .string(let string):
            let position = try integer(key)
            let bytes = Array(string.utf8)
            guard bytes.indices.contains(position) else { throw .init("index out of range: \(position)") }
            return .int(Int(bytes[position]))
        case .none:
            throw .init("index of untyped nil")
        default:
            throw .init("can't index item of type \(item.goType)")
        }
    }

    private static func integer(_ value: TemplateValue) throws(TemplateFunction.Failure) -> Int {
        guard case .int(let int) = value else {
            if case .none = value { throw .init("cannot index slice/array with nil") }
            throw .init("cannot index slice/array with type \(value.goType)")
        }
        return int
    }

    private static func slice(_ item: TemplateValue, _ bounds: [TemplateValue]) throws(TemplateFunction.Failure) -> TemplateValue {
        guard bounds.count <= 3 else { throw .init("too many slice indexes: \(bounds.count)") }
        var indexes: [Int] = []
        for bound in bounds { indexes.append(try integer(bound)) }
        switch item {
        case .string(let string):
            guard indexes.count < 3 else { throw .init("cannot 3-index slice a string") }
            let bytes = Array(string.utf8)
            let low = indexes.first ?? 0, high = indexes.count > 1 ? indexes[1] : bytes.count
            guard 0 <= low, low <= high, high <= bytes.count else { throw .init("index out of range: \(high)") }
            return .string(String(decoding: bytes[low..<high], as: UTF8.self))
        case .list(let values):
            let low = indexes.first ?? 0, high = indexes.count > 1 ? indexes[1] : values.count
            guard 0 <= low, low <= high, high <= values.count else { throw .init("index out of range: \(high)") }
            return .list(Array(values[low..<high]))
        default:
            throw .init("can't slice item of type \(item.goType)")
        }
    }

    /// Go's `evalArgs` for html, js and urlquery: one string argument as is, anything else through `fmt.Sprint`.
    private static func evalArgs(_ arguments: [TemplateValue]) -> String {
        if arguments.count == 1, case .string(let string) = arguments[0] { return string }
        return GoFormat.sprint(arguments)
    }

    private static func htmlEscape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\0": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func jsEscape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            default:
                if scalar.value < 0x20 || !GoFormat.isPrint(scalar) {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
