import Yams

/// YAMLShape describes which keys each mapping of a file format may have, for reporting every unknown key at once.
///
/// Strict decoding stops at the first unknown key; promtool lists all of them (`line 3: field foo not found in type
/// rulefmt.RuleGroup`), so formats that must print the same list describe their keys here and walk the document once.
/// The walk is linear in the document: each key is looked up in a dictionary and reported with its own mark.
public indirect enum YAMLShape: Sendable {
    /// Anything: a scalar or a mapping whose keys are data (labels, annotations).
    case any
    /// A mapping with exactly these keys; `type` names it in messages.
    case mapping(type: String, fields: [String: YAMLShape])
    /// A list whose elements have the shape given.
    case list(YAMLShape)

    /// UnknownKey is one key the shape does not allow, where it is, and the type that does not have it.
    public struct UnknownKey: Sendable, Hashable {
        public var name: String
        public var type: String
        /// Line and column of the key, from 1.
        public var line: Int
        public var column: Int
        /// The path of the mapping holding the key, from the root: field names and list indices.
        public var path: [PathElement]
    }

    /// PathElement is a mapping key or a list index on the way to an unknown key.
    public enum PathElement: Sendable, Hashable {
        case field(String)
        case index(Int)
    }

    /// Every key of `root` that the shape does not allow, in document order.
    ///
    /// Nodes of the wrong kind (a list where a mapping belongs) are skipped: decoding reports those.
    public func unknownKeys(in root: Node?) -> [UnknownKey] {
        var found: [UnknownKey] = []
        var path: [PathElement] = []
        if let root { Self.walk(root, self, path: &path, into: &found) }
        return found
    }

    private static func walk(_ node: Node, _ shape: YAMLShape, path: inout [PathElement], into found: inout [UnknownKey]) {
        switch (shape, node) {
        case (.mapping(let type, let fields), .mapping(let mapping)):
            for (key, value) in mapping {
                let name = key.string ?? ""
                guard let child = fields[name] else {
                    found.append(UnknownKey(
                        name: name, type: type, line: key.mark?.line ?? 0, column: key.mark?.column ?? 0, path: path))
                    continue
                }
                if case .any = child { continue }
                path.append(.field(name))
                walk(value, child, path: &path, into: &found)
                path.removeLast()
            }
        case (.list(let element), .sequence(let sequence)):
            for (index, item) in sequence.enumerated() {
                path.append(.index(index))
                walk(item, element, path: &path, into: &found)
                path.removeLast()
            }
        default:
            return
        }
    }
}
