/// Secret is a password, token or private key from the configuration; it prints as `<secret>` so that logging a
/// configuration value or showing it on a page never reveals it, as Prometheus's `config.Secret` does.
///
/// The text itself is only reachable through `exposedValue`, which is meant for building the request that needs it.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, ExpressibleByStringLiteral {
    /// What secrets are shown as wherever the configuration is shown.
    public static let redacted = "<secret>"

    /// The secret text, for the HTTP header or TLS handshake that needs it and nothing else.
    public let exposedValue: String

    public init(_ value: String) { exposedValue = value }
    public init(stringLiteral value: String) { exposedValue = value }

    public var isEmpty: Bool { exposedValue.isEmpty }
    public var description: String { Self.redacted }
    public var debugDescription: String { Self.redacted }
}

extension Secret: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }
}
