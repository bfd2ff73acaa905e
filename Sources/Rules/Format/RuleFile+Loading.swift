import Foundation
import Yams

extension RuleFile {
    /// Parses and validates rule-file text; `file` names it in errors.
    ///
    /// An empty document is a file with no groups, as in Prometheus. Every problem promtool would report is
    /// collected into the thrown `RuleErrors`; YAML syntax and shape errors stop decoding, so they come alone.
    public init(yaml: String, file: String) throws(RuleErrors) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw RuleErrors([RuleFileDecoding.syntaxError(error, yaml: yaml, file: file)])
        }
        // All unknown fields at once, as promtool lists them, before decoding stops at the first problem.
        let unknown = RuleFileDecoding.unknownFields(in: root, file: file)
        if !unknown.isEmpty { throw RuleErrors(unknown) }
        let format: RuleFileFormat
        do {
            format = try root.map { try YAMLDecoder().decode(RuleFileFormat.self, from: $0) } ?? RuleFileFormat()
        } catch {
            throw RuleErrors([RuleFileDecoding.located(error, in: root, file: file)])
        }
        switch format.validate(file: file) {
        case .success(let ruleFile): self = ruleFile
        case .failure(let errors): throw errors
        }
    }

    /// Reads, parses and validates one rule file.
    public init(contentsOf path: String) throws(RuleErrors) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RuleErrors([RuleError(code: .io, file: path, message: "cannot read rule file: \(Self.reason(error))")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RuleErrors([RuleError(code: .syntax, file: path, message: "rule file is not valid UTF-8 text")])
        }
        try self.init(yaml: text, file: path)
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError { return "no such file or directory" }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue)).lowercased()
        }
        return error.localizedDescription
    }
}

/// loadRuleFiles expands the patterns (globs allowed) and loads every matching rule file, in order.
///
/// Each pattern's matches are sorted, as Go's `filepath.Glob` returns them, and a file matched twice is loaded
/// once. A glob that matches nothing is fine (Prometheus loads nothing for it), but a plain path that names no
/// file is an error: that is almost always a typo, and `promtool check config` rejects it too. Problems in all
/// files are collected before throwing.
public func loadRuleFiles(_ patterns: [String]) throws(RuleErrors) -> [LoadedRuleFile] {
    var errors: [RuleError] = []
    var loaded: [LoadedRuleFile] = []
    for path in try expandRuleFilePatterns(patterns) {
        do {
            loaded.append(LoadedRuleFile(path: path, ruleFile: try RuleFile(contentsOf: path)))
        } catch {
            errors += error.errors
        }
    }
    if !errors.isEmpty { throw RuleErrors(errors) }
    return loaded
}

/// expandRuleFilePatterns turns rule-file patterns into the paths they name, each pattern's matches sorted.
///
/// Patterns use `filepath.Glob` syntax (`*`, `?`, `[a-z]`, `\` escapes) in any path element.
public func expandRuleFilePatterns(_ patterns: [String]) throws(RuleErrors) -> [String] {
    var errors: [RuleError] = []
    var paths: [String] = []
    var seen: Set<String> = []
    for pattern in patterns {
        let matches: [String]
        if Glob.hasMeta(pattern) {
            guard Glob.isValid(pattern) else {
                errors.append(RuleError(code: .invalidValue, file: pattern, message: "syntax error in pattern"))
                continue
            }
            matches = Glob.expand(pattern)
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: pattern, isDirectory: &isDirectory) else {
                errors.append(RuleError(code: .io, file: pattern, message: "\"\(pattern)\" does not point to an existing file"))
                continue
            }
            if isDirectory.boolValue {
                errors.append(RuleError(code: .io, file: pattern, message: "\"\(pattern)\" is a directory, not a rule file"))
                continue
            }
            matches = [pattern]
        }
        for path in matches where seen.insert(path).inserted { paths.append(path) }
    }
    if !errors.isEmpty { throw RuleErrors(errors) }
    return paths
}

/// RuleFileDecoding turns YAML and decoding failures into located `RuleError`s.
///
/// Yams's `Decoder` knows no positions for errors, so each error's coding path is looked up in the composed
/// document, which also names the group and rule the error is in.
enum RuleFileDecoding {
    static func located(_ error: any Error, in root: Node?, file: String) -> RuleError {
        let path: [any CodingKey]
        let message: String
        var pointAtKey = false
        var code = RuleError.Code.invalidValue
        switch error {
        case let unknown as UnknownField:
            (path, message, pointAtKey, code) = (unknown.path, unknown.message, true, .unknownField)
        case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
            path = context.codingPath
            let field = path.last.map { $0.intValue == nil ? "\($0.stringValue): " : "" } ?? ""
            message = "\(field)expected \(describe(expected: type)), got \(describe(locate(path, in: root).node))"
        case DecodingError.keyNotFound(let key, let context):
            (path, message) = (context.codingPath, "missing field \(key.stringValue)")
        case DecodingError.dataCorrupted(let context):
            path = context.codingPath
            let field = path.last.map { $0.intValue == nil ? "\($0.stringValue): " : "" } ?? ""
            message = "\(field)\(context.debugDescription)"
        default:
            (path, message) = ([], "\(error)")
        }
        let mark = locate(path, pointingAtKey: pointAtKey, in: root).mark
        var result = RuleError(code: code, file: file, line: mark?.line, column: mark?.column, message: message)
        // Name the group and rule the error is in: groups[g].rules[r]...
        if path.count >= 2, path[0].stringValue == "groups", path[1].intValue != nil {
            let groupNode = locate(Array(path[0..<2]), in: root).node
            result.group = groupNode?.mapping?["name"]?.string ?? ""
            if path.count >= 4, path[2].stringValue == "rules", let ruleIndex = path[3].intValue {
                let ruleNode = locate(Array(path[0..<4]), in: root).node
                let alert = ruleNode?.mapping?["alert"]?.string ?? ""
                result.rule = ruleIndex + 1
                result.ruleName = alert.isEmpty ? ruleNode?.mapping?["record"]?.string ?? "" : alert
            }
        }
        return result
    }

    /// Every key of the document that the rule format does not know, located and attributed to its group and rule.
    static func unknownFields(in root: Node?, file: String) -> [RuleError] {
        var errors: [RuleError] = []
        func check(_ node: Node?, known: [String], section: String, path: [any CodingKey]) {
            guard case .mapping(let mapping)? = node else { return }
            for (key, _) in mapping {
                guard let name = key.string, !known.contains(name) else { continue }
                let issue = UnknownField(name: name, known: known, section: section, path: path + [AnyCodingKey(name)])
                errors.append(located(issue, in: root, file: file))
            }
        }
        check(root, known: RuleFileFormat.CodingKeys.allCases.map(\.rawValue), section: "rule file", path: [])
        guard case .sequence(let groups)? = root?.mapping?["groups"] else { return errors }
        for (groupIndex, group) in groups.enumerated() {
            let groupPath: [any CodingKey] = [AnyCodingKey("groups"), AnyCodingKey(index: groupIndex)]
            check(group, known: RuleGroupFormat.CodingKeys.allCases.map(\.rawValue), section: "rule group", path: groupPath)
            guard case .sequence(let rules)? = group.mapping?["rules"] else { continue }
            for ruleIndex in rules.indices {
                let rulePath = groupPath + [AnyCodingKey("rules"), AnyCodingKey(index: ruleIndex)]
                check(rules[ruleIndex], known: RuleFormat.CodingKeys.allCases.map(\.rawValue), section: "rule", path: rulePath)
            }
        }
        return errors
    }

    /// The node a coding path leads to, and the mark to report for it: the deepest part of the path that exists.
    static func locate(_ path: [any CodingKey], pointingAtKey: Bool = false, in root: Node?) -> (node: Node?, mark: Mark?) {
        guard var node = root else { return (nil, nil) }
        var mark = node.mark
        for (position, key) in path.enumerated() {
            switch node {
            case .mapping(let mapping):
                guard let pair = mapping.first(where: { $0.key.string == key.stringValue }) else { return (nil, mark) }
                node = pair.value
                mark = pointingAtKey && position == path.count - 1 ? pair.key.mark : pair.value.mark ?? pair.key.mark
            case .sequence(let sequence):
                guard let index = key.intValue, sequence.indices.contains(index) else { return (nil, mark) }
                node = sequence[index]
                mark = node.mark ?? mark
            default:
                return (nil, mark)
            }
        }
        return (node, mark)
    }

    private static func describe(expected type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") || name == "Sequence" { return "a list" }
        if name.hasPrefix("Dictionary") || name == "Mapping" || name.hasPrefix("KeyedDecodingContainer") { return "a mapping" }
        switch name {
        case "String": return "a string"
        case "Int", "Int64": return "an integer"
        case "Scalar": return "a single value"
        default: return name
        }
    }

    private static func describe(_ node: Node?) -> String {
        switch node {
        case .scalar(let scalar)?:
            let isNull = scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
            return isNull ? "null" : "\"\(scalar.string)\""
        case .mapping?: return "a mapping"
        case .sequence?: return "a list"
        default: return "nothing"
        }
    }

    /// A YAML syntax error with libyaml's description and position.
    static func syntaxError(_ error: any Error, yaml: String, file: String) -> RuleError {
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at \(context.mark.line):\(context.mark.column))"
        }
        switch error as? YamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            return RuleError(code: .syntax, file: file, line: mark.line, column: mark.column, message: withContext(problem, context))
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return RuleError(
                code: .syntax, file: file, line: context.mark.line, column: context.mark.column,
                message: "mapping key \(keys) defined more than once")
        case let .reader(problem, offset, _, _):
            var line = 1, column = 1
            for character in yaml.prefix(offset ?? 0) {
                if character == "\n" { line += 1; column = 1 } else { column += 1 }
            }
            return RuleError(
                code: .syntax, file: file, line: offset == nil ? nil : line, column: offset == nil ? nil : column, message: problem)
        default:
            return RuleError(code: .syntax, file: file, message: "\(error)")
        }
    }
}
