import Yams

/// SecretRedaction shows a prometheus.yml with every secret replaced by `<secret>`, as Prometheus shows its
/// configuration in `/api/v1/status/config` and on its pages.
///
/// The fields are those Prometheus types as secrets (passwords, credentials, tokens, inline keys); paths to files
/// holding secrets (`password_file`, `credentials_file`, `bearer_token_file`) stay visible, as in Prometheus.
/// Empty secrets stay empty. The document is re-emitted from its parsed form, so comments do not survive.
public enum SecretRedaction {
    public static let marker = "<secret>"
    public static let secretFields: Set<String> = [
        "password", "credentials", "bearer_token", "client_secret", "key", "secret_key", "auth_token", "api_key",
    ]

    /// The YAML with secrets replaced; text that does not parse is replaced as a whole, since its secrets cannot be found.
    public static func redact(yaml: String) -> String {
        guard let node = try? Yams.compose(yaml: yaml) else {
            return yaml.isEmpty ? yaml : "# the configuration could not be parsed, so it is not shown\n"
        }
        guard let emitted = try? Yams.serialize(node: redact(node)) else { return "" }
        return emitted
    }

    static func redact(_ node: Node) -> Node {
        switch node {
        case .mapping(let mapping):
            var pairs: [(Node, Node)] = []
            for (key, value) in mapping {
                if let name = key.string, secretFields.contains(name), case .scalar(let scalar) = value, !scalar.string.isEmpty {
                    pairs.append((key, Node(marker)))
                } else {
                    pairs.append((key, redact(value)))
                }
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map(redact), sequence.tag, sequence.style, sequence.mark))
        default:
            return node
        }
    }
}
