import Yams

/// SecretRedaction shows a configuration file with every secret replaced by `<secret>`, for
/// `/api/v1/status/config` and any page that shows the configuration.
///
/// Secrets are the values of `password`, `credentials`, `bearer_token`, and `key` inside `tls_config`, wherever
/// they appear (scrape jobs, Alertmanagers, HTTP SD); file paths are not secret and stay, as in Prometheus.
public enum SecretRedaction {
    /// Keys whose values are secrets in any mapping.
    static let secretKeys: Set<String> = ["password", "credentials", "bearer_token"]

    /// The YAML re-serialised with secrets redacted; text that is not valid YAML is withheld entirely, since its
    /// secrets could not be found.
    public static func redact(yaml: String) -> String {
        let composed: Node?
        do { composed = try Yams.compose(yaml: yaml) } catch { return "# the configuration could not be parsed\n" }
        guard let root = composed else { return "" }
        let redacted = redact(root, inTLSConfig: false)
        return (try? Yams.serialize(node: redacted)) ?? "# the configuration could not be shown\n"
    }

    private static func redact(_ node: Node, inTLSConfig: Bool) -> Node {
        switch node {
        case .mapping(let mapping):
            var pairs: [(Node, Node)] = []
            for (key, value) in mapping {
                let name = key.string ?? ""
                if case .scalar = value, secretKeys.contains(name) || (inTLSConfig && name == "key"), value.string?.isEmpty == false {
                    pairs.append((key, Node(Secret.redacted)))
                } else {
                    pairs.append((key, redact(value, inTLSConfig: name == "tls_config")))
                }
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map { redact($0, inTLSConfig: false) }, sequence.tag, sequence.style, sequence.mark))
        default:
            return node
        }
    }
}
