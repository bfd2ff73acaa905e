import Config
import Foundation
import Model
import Yams

extension RuleFile {
    /// Parses and validates rule-file text; `file` names it in errors.
    ///
    /// An empty document is a file with no groups, as in Prometheus. Every problem promtool would report is
    /// collected into the thrown `RuleErrors`; YAML syntax and shape errors stop decoding, so they come alone.
    public init(yaml: String, file: String) throws(RuleErrors) {
        let document: YAMLDocument
        do {
            document = try YAMLDocument(yaml: yaml, file: file)
        } catch {
            throw RuleErrors([RuleError(error)])
        }
        // All unknown fields at once, as promtool lists them, before decoding stops at the first problem.
        let unknown = RuleFileDecoding.unknownFields(in: document)
        if !unknown.isEmpty { throw RuleErrors(unknown) }
        let format: RuleFileFormat
        do {
            format = try document.root.map { try YAMLDecoder().decode(RuleFileFormat.self, from: $0) } ?? RuleFileFormat()
        } catch {
            throw RuleErrors([RuleFileDecoding.located(error, in: document.root, file: file)])
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
/// Yams's `Decoder` knows no positions for errors, so each error's coding path is looked up in the document
/// (`YAMLDocument.locate`), which also names the group and rule the error is in.
enum RuleFileDecoding {
    /// The keys of Prometheus's rule-file types, named as promtool names them in `field x not found in type T`.
    static let shape: YAMLShape = {
        func fields(_ keys: [String], _ children: [String: YAMLShape] = [:]) -> [String: YAMLShape] {
            Dictionary(uniqueKeysWithValues: keys.map { ($0, children[$0] ?? .any) })
        }
        let rule = YAMLShape.mapping(type: "rulefmt.RuleNode", fields: fields(RuleFormat.CodingKeys.allCases.map(\.rawValue)))
        let group = YAMLShape.mapping(
            type: "rulefmt.RuleGroup", fields: fields(RuleGroupFormat.CodingKeys.allCases.map(\.rawValue), ["rules": .list(rule)]))
        return .mapping(
            type: "rulefmt.RuleGroups", fields: fields(RuleFileFormat.CodingKeys.allCases.map(\.rawValue), ["groups": .list(group)]))
    }()

    static func located(_ error: any Error, in root: Node?, file: String) -> RuleError {
        let path: [any CodingKey]
        let message: String
        switch error {
        case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
            path = context.codingPath
            let field = path.last.map { $0.intValue == nil ? "\($0.stringValue): " : "" } ?? ""
            message = "\(field)expected \(YAMLDocument.describe(expected: type)), got \(YAMLDocument.describe(YAMLDocument.locate(path, in: root).node))"
        case DecodingError.keyNotFound(let key, let context):
            (path, message) = (context.codingPath, "missing field \(key.stringValue)")
        case DecodingError.dataCorrupted(let context):
            path = context.codingPath
            let field = path.last.map { $0.intValue == nil ? "\($0.stringValue): " : "" } ?? ""
            message = "\(field)\(context.debugDescription)"
        default:
            (path, message) = ([], "\(error)")
        }
        let mark = YAMLDocument.locate(path, in: root).mark
        var result = RuleError(code: .invalidValue, file: file, line: mark?.line, column: mark?.column, message: message)
        let indices = path.map(\.intValue)
        if path.count >= 2, path[0].stringValue == "groups", let group = indices[1] {
            let rule = path.count >= 4 && path[2].stringValue == "rules" ? indices[3] : nil
            var names = GroupNames(root: root)
            (result.group, result.rule, result.ruleName) = names.names(group: group, rule: rule)
        }
        return result
    }

    /// Every key of the document that the rule format does not know, in document order, each attributed to its
    /// group and rule. One pass over the document, whatever the number of unknown keys.
    static func unknownFields(in document: YAMLDocument) -> [RuleError] {
        let unknown = shape.unknownKeys(in: document.root)
        guard !unknown.isEmpty else { return [] }
        var names = GroupNames(root: document.root)
        return unknown.map { key in
            var error = RuleError(
                code: .unknownField, file: document.file, line: key.line, column: key.column,
                message: "field \(key.name) not found in type \(key.type)")
            if key.path.count >= 2, key.path[0] == .field("groups"), case .index(let group) = key.path[1] {
                var rule: Int?
                if key.path.count >= 4, key.path[2] == .field("rules"), case .index(let index) = key.path[3] { rule = index }
                (error.group, error.rule, error.ruleName) = names.names(group: group, rule: rule)
            }
            return error
        }
    }
}

/// GroupNames finds the names promtool shows for a group and a rule, remembering each one it has read.
///
/// Looking a name up scans one mapping; the caches keep a report of many errors in one big group or rule linear.
struct GroupNames {
    var root: Node?
    private var groups: [Int: (name: String, rules: [Node])] = [:]
    private var rules: [[Int]: String] = [:]

    init(root: Node?) {
        self.root = root
    }

    /// The group's name, and the rule's 1-based number and alert or record name when `rule` is given.
    mutating func names(group: Int, rule: Int?) -> (String?, Int?, String?) {
        let entry: (name: String, rules: [Node])
        if let cached = groups[group] {
            entry = cached
        } else {
            guard case .sequence(let list)? = root?.mapping?["groups"], list.indices.contains(group) else { return (nil, nil, nil) }
            var name = "", rules: [Node] = []
            for (key, value) in list[group].mapping ?? Node.Mapping([]) {
                if key.string == "name" { name = value.string ?? "" }
                if key.string == "rules", case .sequence(let sequence) = value { rules = Array(sequence) }
            }
            entry = (name, rules)
            groups[group] = entry
        }
        guard let rule, entry.rules.indices.contains(rule) else { return (entry.name, nil, nil) }
        if let cached = rules[[group, rule]] { return (entry.name, rule + 1, cached) }
        var alert = "", record = ""
        for (key, value) in entry.rules[rule].mapping ?? Node.Mapping([]) {
            if key.string == "alert" { alert = value.string ?? "" }
            if key.string == "record" { record = value.string ?? "" }
        }
        let ruleName = alert.isEmpty ? record : alert
        rules[[group, rule]] = ruleName
        return (entry.name, rule + 1, ruleName)
    }
}

extension RuleError {
    /// A YAML problem found while reading the document, before any group is known.
    init(_ error: ConfigError) {
        self.init(code: error.code == .io ? .io : .syntax, file: error.file, line: error.line, column: error.column, message: error.message)
    }
}
