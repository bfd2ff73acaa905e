import Foundation
import Yams

/// Loads and validates a Prometheus-format configuration file, resolving relative paths against its directory.
public func loadConfiguration(file: URL) throws(ConfigError) -> PrometheusConfiguration {
    let path = file.path
    let text: String
    do {
        text = try String(contentsOf: file, encoding: .utf8)
    } catch {
        throw ConfigError(code: .io, file: path, message: "cannot read configuration file: \(error.localizedDescription)")
    }
    return try PrometheusConfiguration(yaml: text, file: path)
        .resolvingPaths(relativeTo: file.deletingLastPathComponent().path)
}

extension PrometheusConfiguration {
    /// Parses and validates configuration text; `file` names it in errors. Relative paths are left as written.
    ///
    /// An empty document is the default configuration, as in Prometheus.
    public init(yaml: String, file: String) throws(ConfigError) {
        self = try YAMLLoader.decode(PrometheusConfiguration.self, yaml: yaml, file: file, empty: PrometheusConfiguration()) {
            (config: PrometheusConfiguration) throws(ConfigIssue) in try config.resolved()
        }
    }
}

/// YAMLLoader decodes YAML through Yams and turns every failure into a `ConfigError` with a line and column.
///
/// Yams's `Decoder` does not know positions, so the document is composed into `Node`s first (they carry marks),
/// decoded from that tree, and each error's coding path is looked up in the same tree.
enum YAMLLoader {
    /// Decodes `yaml` as `T` (or `empty` for an empty document), then runs `finish` for defaults and validation.
    static func decode<T: Decodable>(
        _ type: T.Type, yaml: String, file: String, empty: T,
        finish: (T) throws(ConfigIssue) -> T = { $0 }
    ) throws(ConfigError) -> T {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw syntaxError(error, yaml: yaml, file: file)
        }
        do {
            let value = try root.map { try YAMLDecoder().decode(T.self, from: $0) } ?? empty
            return try finish(value)
        } catch let issue as ConfigIssue {
            throw located(issue, in: root, file: file)
        } catch let error as DecodingError {
            throw located(issue(for: error, in: root), in: root, file: file)
        } catch {
            throw ConfigError(code: .invalidValue, file: file, message: "\(error)")
        }
    }

    /// Places an issue at the key or value its path names, or at the deepest part of the path that exists.
    static func located(_ issue: ConfigIssue, in root: Node?, file: String) -> ConfigError {
        let mark = locate(issue.path, pointingAtKey: issue.pointsAtKey, in: root).mark
        return ConfigError(code: issue.code, file: file, line: mark?.line, column: mark?.column, message: issue.message)
    }

    /// The node a coding path leads to, and the mark to report for it.
    static func locate(_ path: [any CodingKey], pointingAtKey: Bool = false, in root: Node?) -> (node: Node?, mark: Mark?) {
        guard var node = root else { return (nil, nil) }
        var mark = node.mark
        for (position, key) in path.enumerated() {
            switch node {
            case .mapping(let mapping):
                guard let pair = Self.pair(named: key.stringValue, in: mapping) else { return (nil, mark) }
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

    /// The key/value pair for `name`, looking through `<<` merge keys the way Yams's decoder does.
    private static func pair(named name: String, in mapping: Node.Mapping) -> (key: Node, value: Node)? {
        if let pair = mapping.first(where: { $0.key.tag.rawValue != Tag.Name.merge.rawValue && $0.key.string == name }) { return pair }
        for merge in mapping where merge.key.tag.rawValue == Tag.Name.merge.rawValue {
            let sources = merge.value.sequence.map(Array.init) ?? [merge.value]
            for case .mapping(let source) in sources {
                if let pair = pair(named: name, in: source) { return pair }
            }
        }
        return nil
    }

    /// A decoding error restated as an issue with a message about YAML rather than Swift types.
    static func issue(for error: DecodingError, in root: Node?) -> ConfigIssue {
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let found = describe(locate(context.codingPath, in: root).node)
            var issue = ConfigIssue("expected \(describe(expected: type)), got \(found)", at: context.codingPath)
            if !context.codingPath.isEmpty { issue.message = "\(issue.pathDescription): \(issue.message)" }
            return issue
        case .keyNotFound(let key, let context):
            return ConfigIssue("missing field \(key.stringValue)", at: context.codingPath)
        case .dataCorrupted(let context):
            return ConfigIssue(context.debugDescription, at: context.codingPath)
        @unknown default:
            return ConfigIssue("\(error)", at: [])
        }
    }

    private static func describe(expected type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") || name == "Sequence" { return "a list" }
        if name.hasPrefix("Dictionary") || name == "Mapping" { return "a mapping" }
        switch name {
        case "String": return "a string"
        case "Int", "Int64", "UInt64", "UInt", "Int32", "UInt32": return "an integer"
        case "Bool": return "a boolean"
        case "Double", "Float": return "a number"
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
    static func syntaxError(_ error: any Error, yaml: String, file: String) -> ConfigError {
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at \(context.mark.line):\(context.mark.column))"
        }
        switch error as? YamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            return ConfigError(code: .syntax, file: file, line: mark.line, column: mark.column, message: withContext(problem, context))
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return ConfigError(
                code: .syntax, file: file, line: context.mark.line, column: context.mark.column,
                message: "mapping key \(keys) defined more than once")
        case let .reader(problem, offset, _, _):
            var line = 1, column = 1
            for character in yaml.prefix(offset ?? 0) {
                if character == "\n" { line += 1; column = 1 } else { column += 1 }
            }
            return ConfigError(code: .syntax, file: file, line: offset == nil ? nil : line, column: offset == nil ? nil : column, message: problem)
        default:
            return ConfigError(code: .syntax, file: file, message: "\(error)")
        }
    }
}
