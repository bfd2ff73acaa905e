import Yams

/// YAMLDocument is one YAML file composed into nodes that keep their positions, with merge keys already applied.
///
/// Every Vigil file format (prometheus.yml, rule files, rule test files) is read through it, so all of them accept
/// anchors, aliases and YAML 1.1 merge keys (`<<: *defaults`, `<<: [*a, *b]`) as Prometheus's YAML decoder does, and
/// every error can name a line and column. Merge keys are resolved once, up front, into plain mappings: decoding,
/// unknown-key checks and error lookup then see the same keys in the same places.
public struct YAMLDocument: @unchecked Sendable {
    /// The name used in error messages.
    public var file: String
    /// The document's root, or nil for an empty document.
    public var root: Node?

    /// The most nodes a document may expand to through aliases: a few small anchors can name an exponentially large
    /// tree ("billion laughs"), which would otherwise exhaust memory instead of failing.
    public static let maximumExpandedNodes = 4_000_000

    /// Parses `yaml` and applies its merge keys; `file` names it in errors.
    public init(yaml: String, file: String) throws(ConfigError) {
        self.file = file
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: yaml)
        } catch {
            throw Self.syntaxError(error, yaml: yaml, file: file)
        }
        var resolver = MergeResolver(file: file, budget: Self.maximumExpandedNodes)
        // A document that is only `~` or `null` decodes like an empty one, as Go's YAML decoder leaves the
        // target untouched for a null document.
        if let composed, case .scalar = composed, composed.tag == Tag(.null) {
            root = nil
            return
        }
        root = try composed.map { node throws(ConfigError) in try resolver.resolve(node) }
    }

    /// Decodes the document as `T` (or `empty` for an empty document), then runs `finish` for defaults and checks.
    ///
    /// Decoding and validation errors come back located at the node their coding path names.
    public func decode<T: Decodable>(
        _ type: T.Type, empty: T, finish: (T) throws(ConfigIssue) -> T = { $0 }
    ) throws(ConfigError) -> T {
        do {
            let value = try root.map { try YAMLDecoder().decode(T.self, from: $0) } ?? empty
            return try finish(value)
        } catch let issue as ConfigIssue {
            throw located(issue)
        } catch let error as DecodingError {
            throw located(Self.issue(for: error, in: root))
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(code: .invalidValue, file: file, message: "\(error)")
        }
    }

    /// Places an issue at the key or value its path names, or at the deepest part of the path that exists.
    public func located(_ issue: ConfigIssue) -> ConfigError {
        let mark = Self.locate(issue.path, pointingAtKey: issue.pointsAtKey, in: root).mark
        return ConfigError(code: issue.code, file: file, line: mark?.line, column: mark?.column, message: issue.message)
    }

    /// The node a coding path leads to, and the mark to report for it: the deepest part of the path that exists.
    ///
    /// Each step scans one mapping, so locating one error is linear in the document; callers that report many
    /// problems at once walk the tree themselves (see `YAMLShape`).
    public static func locate(
        _ path: [any CodingKey], pointingAtKey: Bool = false, in root: Node?
    ) -> (node: Node?, mark: Mark?) {
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

    /// A decoding error restated as an issue with a message about YAML rather than Swift types.
    public static func issue(for error: DecodingError, in root: Node?) -> ConfigIssue {
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let found = describe(locate(context.codingPath, in: root).node)
            var issue = ConfigIssue("expected \(describe(expected: type)), got \(found)", at: context.codingPath)
            if !context.codingPath.isEmpty { issue.message = "\(issue.pathDescription): \(issue.message)" }
            return issue
        case .keyNotFound(let key, let context):
            return ConfigIssue("missing field \(key.stringValue)", at: context.codingPath)
        case .dataCorrupted(let context):
            if let issue = context.underlyingError as? ConfigIssue { return issue }
            return ConfigIssue(context.debugDescription, at: context.codingPath)
        @unknown default:
            return ConfigIssue("\(error)", at: [])
        }
    }

    /// The YAML kind a Swift type is decoded from, for messages: "a list", "a string".
    public static func describe(expected type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") || name == "Sequence" { return "a list" }
        if name.hasPrefix("Dictionary") || name == "Mapping" || name.hasPrefix("KeyedDecodingContainer") { return "a mapping" }
        switch name {
        case "String": return "a string"
        case "Int", "Int64", "UInt64", "UInt", "Int32", "UInt32": return "an integer"
        case "Bool": return "a boolean"
        case "Double", "Float": return "a number"
        case "Scalar": return "a single value"
        default: return name
        }
    }

    /// What a node holds, for messages: a quoted scalar, "null", "a mapping", "a list" or "nothing".
    public static func describe(_ node: Node?) -> String {
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
    public static func syntaxError(_ error: any Error, yaml: String, file: String) -> ConfigError {
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
            for character in yaml.utf8.prefix(max(0, offset ?? 0)) {
                if character == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            }
            return ConfigError(
                code: .syntax, file: file, line: offset == nil ? nil : line, column: offset == nil ? nil : column,
                message: problem)
        default:
            return ConfigError(code: .syntax, file: file, message: "\(error)")
        }
    }
}

/// MergeResolver rewrites a composed tree so that every `<<` merge key is replaced by the pairs it merges.
///
/// YAML 1.1's merge type: a mapping's own keys win over merged ones, and in `<<: [*a, *b]` earlier mappings win
/// over later ones. Nodes keep their marks, so an error in a merged key points at the anchor it came from.
struct MergeResolver {
    var file: String
    /// Nodes still allowed to be produced; aliases are already expanded by the composer, so this bounds the work.
    var budget: Int

    mutating func resolve(_ node: Node) throws(ConfigError) -> Node {
        budget -= 1
        if budget < 0 {
            throw ConfigError(
                code: .syntax, file: file, line: node.mark?.line, column: node.mark?.column,
                message: "document contains excessive aliasing (more than \(YAMLDocument.maximumExpandedNodes) nodes once expanded)")
        }
        switch node {
        case .scalar, .alias:
            return node
        case .sequence(let sequence):
            var nodes: [Node] = []
            nodes.reserveCapacity(sequence.count)
            for element in sequence { nodes.append(try resolve(element)) }
            return .sequence(Node.Sequence(nodes, sequence.tag, sequence.style, sequence.mark))
        case .mapping(let mapping):
            return .mapping(try resolve(mapping))
        }
    }

    private mutating func resolve(_ mapping: Node.Mapping) throws(ConfigError) -> Node.Mapping {
        // Merged pairs go where their `<<` was; own keys are collected first so they can override them.
        var entries: [(pair: (Node, Node), merged: Bool)] = []
        var ownKeys: Set<String> = []
        for (key, value) in mapping {
            if Self.isMergeKey(key) {
                for pair in try mergedPairs(value, at: key) { entries.append((pair, true)) }
            } else {
                if let text = Self.identity(key) { ownKeys.insert(text) }
                entries.append(((try resolve(key), try resolve(value)), false))
            }
        }
        var mergedKeys: Set<String> = []
        var pairs: [(Node, Node)] = []
        pairs.reserveCapacity(entries.count)
        for entry in entries {
            if entry.merged, let identity = Self.identity(entry.pair.0) {
                if ownKeys.contains(identity) || !mergedKeys.insert(identity).inserted { continue }
            }
            pairs.append(entry.pair)
        }
        return Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark, mapping.anchor)
    }

    /// The pairs a `<<` value contributes, earlier sources first, each already resolved.
    private mutating func mergedPairs(_ value: Node, at key: Node) throws(ConfigError) -> [(Node, Node)] {
        let sources: [Node]
        switch value {
        case .mapping: sources = [value]
        case .sequence(let sequence): sources = Array(sequence)
        default: throw notMergeable(value, at: key)
        }
        var pairs: [(Node, Node)] = []
        var seen: Set<String> = []
        for source in sources {
            guard case .mapping = source else { throw notMergeable(source, at: key) }
            guard case .mapping(let resolved) = try resolve(source) else { continue }
            for (key, value) in resolved {
                if let identity = Self.identity(key), !seen.insert(identity).inserted { continue }
                pairs.append((key, value))
            }
        }
        return pairs
    }

    private func notMergeable(_ node: Node, at key: Node) -> ConfigError {
        let mark = node.mark ?? key.mark
        return ConfigError(
            code: .syntax, file: file, line: mark?.line, column: mark?.column,
            message: "map merge requires map or sequence of maps as the value")
    }

    private static func isMergeKey(_ key: Node) -> Bool {
        key.tag.rawValue == Tag.Name.merge.rawValue
    }

    /// A key as compared for overriding: its text for scalars, nil (never equal) for the rare complex key.
    private static func identity(_ key: Node) -> String? {
        if case .scalar(let scalar) = key { return scalar.string }
        return nil
    }
}
