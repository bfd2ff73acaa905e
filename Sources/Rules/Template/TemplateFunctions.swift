import Foundation
import Model
import PromQL

/// TemplateEnvironment is what template functions may use beyond their arguments.
public struct TemplateEnvironment: Sendable {
    /// Prometheus's `--web.external-url`, for `externalURL` and `pathPrefix`.
    public var externalURL: String
    /// Runs an instant query for the `query` function; nil makes `query` fail with "query function not supported".
    ///
    /// Synchronous on purpose: templates expand inside rule evaluation, which already holds the evaluation time.
    public var query: (@Sendable (String) throws -> [TemplateSample])?

    public init(externalURL: String = "", query: (@Sendable (String) throws -> [TemplateSample])? = nil) {
        self.externalURL = externalURL
        self.query = query
    }
}

/// TemplateFunction is a function callable from templates, with the parameter types Go would check.
struct TemplateFunction: Sendable {
    enum Parameter: Sendable {
        case any, string, queryResult, sample

        var goType: String {
            switch self {
            case .any: "interface {}"
            case .string: "string"
            case .queryResult: "template.queryResult"
            case .sample: "*template.sample"
            }
        }
    }

    struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    var parameters: [Parameter]
    /// The type of extra arguments, for variadic functions.
    var variadic: Parameter?
    var body: @Sendable (TemplateEnvironment, [TemplateValue]) throws(Failure) -> TemplateValue

    init(
        _ parameters: [Parameter], variadic: Parameter? = nil,
        _ body: @escaping @Sendable (TemplateEnvironment, [TemplateValue]) throws(Failure) -> TemplateValue
    ) {
        self.parameters = parameters
        self.variadic = variadic
        self.body = body
    }
}

/// TemplateFunctions is the function table: Go's builtins and Prometheus's template functions.
enum TemplateFunctions {
    static let names: Set<String> = Set(table.keys)

    static let table: [String: TemplateFunction] = {
        var table = builtins
        for (name, function) in prometheus { table[name] = function }
        return table
    }()

    // MARK: Prometheus

    private static let prometheus: [String: TemplateFunction] = [
        "query": TemplateFunction([.string]) { environment, arguments throws(TemplateFunction.Failure) in
            guard let query = environment.query else { throw .init("query function not supported") }
            do {
                return .queryResult(try query(arguments[0].stringValue))
            } catch {
                throw .init("\(error)")
            }
        },
        "first": TemplateFunction([.queryResult]) { _, arguments throws(TemplateFunction.Failure) in
            guard case .queryResult(let samples) = arguments[0], let first = samples.first else {
                throw .init("first() called on vector with no elements")
            }
            return .sample(labels: first.labels, value: first.value)
        },
        "label": TemplateFunction([.string, .sample]) { _, arguments throws(TemplateFunction.Failure) in
            guard case .sample(let labels, _) = arguments[1] else { throw nilPointer }
            return .string(labels[arguments[0].stringValue] ?? "")
        },
        "value": TemplateFunction([.sample]) { _, arguments throws(TemplateFunction.Failure) in
            guard case .sample(_, let value) = arguments[0] else { throw nilPointer }
            return .float(value)
        },
        "strvalue": TemplateFunction([.sample]) { _, arguments throws(TemplateFunction.Failure) in
            guard case .sample(let labels, _) = arguments[0] else { throw nilPointer }
            return .string(labels["__value__"] ?? "")
        },
        "args": TemplateFunction([], variadic: .any) { _, arguments in
            var map: [String: TemplateValue] = [:]
            for (index, argument) in arguments.enumerated() { map["arg\(index)"] = argument }
            return .map(map)
        },
        "reReplaceAll": TemplateFunction([.string, .string, .string]) { _, arguments throws(TemplateFunction.Failure) in
            // Go's MustCompile panics on a bad pattern; text/template reports the panic as this error.
            let pattern = arguments[0].stringValue
            let regex: GoRegex
            do { regex = try GoRegex.cached(unanchored: pattern) } catch {
                throw .init("regexp: Compile(\(goRegexpQuote(pattern))): \(String(describing: error))")
            }
            return .string(regex.replaceAll(in: arguments[2].stringValue, with: arguments[1].stringValue))
        },
        "safeHtml": TemplateFunction([.string]) { _, arguments in arguments[0] },
        "match": TemplateFunction([.string, .string]) { _, arguments throws(TemplateFunction.Failure) in
            do { return .bool(try GoRegex.cached(unanchored: arguments[0].stringValue).matches(arguments[1].stringValue)) } catch {
                throw .init(String(describing: error))
            }
        },
        "title": TemplateFunction([.string]) { _, arguments in .string(title(arguments[0].stringValue)) },
        "toUpper": TemplateFunction([.string]) { _, arguments in .string(mapCase(arguments[0].stringValue, upper: true)) },
        "toLower": TemplateFunction([.string]) { _, arguments in .string(mapCase(arguments[0].stringValue, upper: false)) },
        "graphLink": TemplateFunction([.string]) { _, arguments in
            .string("/graph?g0.expr=\(queryEscape(arguments[0].stringValue))&g0.tab=0")
        },
        "tableLink": TemplateFunction([.string]) { _, arguments in
            .string("/graph?g0.expr=\(queryEscape(arguments[0].stringValue))&g0.tab=1")
        },
        "sortByLabel": TemplateFunction([.string, .queryResult]) { _, arguments in
            guard case .queryResult(let samples) = arguments[1] else { return arguments[1] }
            let label = arguments[0].stringValue
            let sorted = samples.enumerated().sorted { lhs, rhs in
                let (a, b) = (lhs.element.labels[label] ?? "", rhs.element.labels[label] ?? "")
                return a != b ? a < b : lhs.offset < rhs.offset
            }.map(\.element)
            return .queryResult(sorted)
        },
        "stripPort": TemplateFunction([.string]) { _, arguments in
            let hostPort = arguments[0].stringValue
            return .string(splitHostPort(hostPort)?.host ?? hostPort)
        },
        "stripDomain": TemplateFunction([.string]) { _, arguments in
            let hostPort = arguments[0].stringValue
            let split = splitHostPort(hostPort)
            let host = split?.host ?? hostPort
            if isIPAddress(host) { return .string(hostPort) }
            let short = String(host.split(separator: ".", omittingEmptySubsequences: false).first ?? "")
            guard let port = split?.port, !port.isEmpty else { return .string(short) }
            return .string(short.contains(":") ? "[\(short)]:\(port)" : "\(short):\(port)")
        },
        "humanize": floatFunction { value in Humanize.humanize(value) },
        "humanize1024": floatFunction { value in Humanize.humanize1024(value) },
        "humanizeDuration": floatFunction { value in Humanize.humanizeDuration(value) },
        "humanizePercentage": floatFunction { value in Humanize.humanizePercentage(value) },
        "humanizeTimestamp": TemplateFunction([.any]) { _, arguments throws(TemplateFunction.Failure) in
            let value = try toFloat(arguments[0])
            do throws(Humanize.HumanizeError) {
                return .string(try Humanize.humanizeTimestamp(value))
            } catch {
                throw .init(error.description)
            }
        },
        "toTime": TemplateFunction([.any]) { _, arguments throws(TemplateFunction.Failure) in
            let value = try toFloat(arguments[0])
            if value.isNaN || value.isInfinite { throw .init("value is NaN or Inf") }
            do throws(Humanize.HumanizeError) {
                return .time(nanoseconds: try Humanize.timeNanoseconds(value))
            } catch {
                throw .init(error.description)
            }
        },
        "pathPrefix": TemplateFunction([]) { environment, _ in
            .string(URLComponents(string: environment.externalURL)?.path ?? "")
        },
        "externalURL": TemplateFunction([]) { environment, _ in .string(environment.externalURL) },
        "parseDuration": TemplateFunction([.string]) { _, arguments throws(TemplateFunction.Failure) in
            do throws(PromQLParseError) {
                return .float(Double(try PromQL.parseDuration(arguments[0].stringValue)) / 1000)
            } catch {
                throw .init(error.message)
            }
        },
    ]

    private static let nilPointer = TemplateFunction.Failure("runtime error: invalid memory address or nil pointer dereference")

    private static func floatFunction(_ body: @escaping @Sendable (Double) -> String) -> TemplateFunction {
        TemplateFunction([.any]) { _, arguments throws(TemplateFunction.Failure) in .string(body(try toFloat(arguments[0]))) }
    }

    /// Prometheus's `convertToFloat`: numbers as they are, strings through Go's `strconv.ParseFloat`.
    static func toFloat(_ value: TemplateValue) throws(TemplateFunction.Failure) -> Double {
        switch value {
        case .float(let float): return float
        case .int(let int): return Double(int)
        case .string(let text):
            guard let parsed = parseGoFloat(text) else {
                throw .init("strconv.ParseFloat: parsing \(GoFormat.quote(text)): invalid syntax")
            }
            if parsed.isInfinite && !text.lowercased().contains("inf") {
                throw .init("strconv.ParseFloat: parsing \(GoFormat.quote(text)): value out of range")
            }
            return parsed
        default:
            throw .init("can't convert \(value.goType) to float")
        }
    }

    /// Go's `strconv.ParseFloat` syntax: decimal or hex floats, `inf`, `infinity` and `nan` in any case.
    private static func parseGoFloat(_ text: String) -> Double? {
        var body = Substring(text)
        var sign = 1.0
        if body.hasPrefix("+") || body.hasPrefix("-") {
            sign = body.hasPrefix("-") ? -1 : 1
            body = body.dropFirst()
        }
        switch body.lowercased() {
        case "inf", "infinity": return sign * .infinity
        case "nan": return .nan
        default: break
        }
        guard let first = body.first, first.isNumber || first == "." else { return nil }
        let hasBasePrefix = body.lowercased().hasPrefix("0x")
        if body.contains("_") {
            // Go allows underscores only between digits, or between a base prefix and a digit.
            let characters = Array(body)
            for (index, character) in characters.enumerated() where character == "_" {
                let before = index > 0 ? characters[index - 1] : " "
                let after = index + 1 < characters.count ? characters[index + 1] : " "
                let beforeOK = before.isHexDigit || (index == 2 && hasBasePrefix)
                guard beforeOK, after.isHexDigit else { return nil }
            }
            body = Substring(body.replacingOccurrences(of: "_", with: ""))
        }
        if hasBasePrefix && !body.lowercased().contains("p") {
            guard let int = UInt64(body.dropFirst(2), radix: 16) else { return nil }
            return sign * Double(int)
        }
        return Double(String(body)).map { sign * $0 }
    }

    /// Go's deprecated `strings.Title`: the first letter of each word in upper case, the rest untouched.
    static func title(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previousIsSeparator = true
        for scalar in text.unicodeScalars {
            if previousIsSeparator, let upper = simpleMapping(scalar, upper: true) {
                out.append(upper)
            } else {
                out.append(scalar)
            }
            previousIsSeparator = isSeparator(scalar)
        }
        return String(out)
    }

    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let byte = UInt8(scalar.value)
            if LabelName.isWordByte(byte) { return false }
            return true
        }
        if scalar.properties.isAlphabetic || scalar.properties.numericType != nil { return false }
        return scalar.properties.isWhitespace
    }

    /// Upper or lower case, rune by rune as Go does (no expansion of `ß` to `SS`).
    static func mapCase(_ text: String, upper: Bool) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { out.append(simpleMapping(scalar, upper: upper) ?? scalar) }
        return String(out)
    }

    private static func simpleMapping(_ scalar: Unicode.Scalar, upper: Bool) -> Unicode.Scalar? {
        let mapped = upper ? scalar.properties.uppercaseMapping : scalar.properties.lowercaseMapping
        let scalars = mapped.unicodeScalars
        return scalars.count == 1 ? scalars.first : nil
    }

    /// Go's `url.QueryEscape`: unreserved characters kept, space as `+`, everything else `%XX`.
    static func queryEscape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Go's `net.SplitHostPort`; nil where Go returns an error.
    static func splitHostPort(_ hostPort: String) -> (host: String, port: String)? {
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return nil }
            let host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let rest = hostPort[hostPort.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            let port = rest.dropFirst()
            guard !port.contains(":"), !port.contains("[") && !port.contains("]") else { return nil }
            return (host, String(port))
        }
        guard let colon = hostPort.lastIndex(of: ":") else { return nil }
        let host = hostPort[..<colon]
        guard !host.contains(":"), !host.contains("["), !host.contains("]") else { return nil }
        return (String(host), String(hostPort[hostPort.index(after: colon)...]))
    }

    /// Whether `host` is an IPv4 or IPv6 address, as `net.ParseIP` would accept it.
    static func isIPAddress(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && (UInt8(part).map { _ in true } ?? false)
        }) {
            return true
        }
        guard host.contains(":") else { return false }
        return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } && host.components(separatedBy: "::").count <= 2
    }
}

extension TemplateValue {
    /// The string of a `.string` value; functions call it only after their parameters were type-checked.
    var stringValue: String {
        if case .string(let string) = self { return string }
        return ""
    }
}

/// The `regexp` package's quoting of a pattern in panics: backquoted when Go's `strconv.CanBackquote` allows.
private func goRegexpQuote(_ pattern: String) -> String {
    let canBackquote = pattern.unicodeScalars.allSatisfy { scalar in
        scalar != "`" && scalar != "\u{FEFF}" && (scalar == "\t" || !(scalar.value < 0x20 || scalar.value == 0x7F))
    }
    return canBackquote ? "`" + pattern + "`" : GoFormat.quote(pattern)
}
