/// A label matcher of a selector: `name="v"`, `!=`, `=~` or `!~`.
///
/// Regular expressions are fully anchored, as in Prometheus: `job=~"api"` matches only "api".
public struct Matcher: Sendable, CustomStringConvertible {
    public enum MatchType: String, Sendable {
        case equal = "="
        case notEqual = "!="
        case regexMatch = "=~"
        case regexNoMatch = "!~"
    }

    public let type: MatchType
    public let name: String
    public let value: String
    private let regex: AnchoredRegex?

    public init(_ type: MatchType, _ name: String, _ value: String) throws(MatcherError) {
        self.type = type
        self.name = name
        self.value = value
        switch type {
        case .equal, .notEqual: regex = nil
        case .regexMatch, .regexNoMatch: regex = try AnchoredRegex(value)
        }
    }

    /// Whether a label value (empty when the label is absent) satisfies the matcher.
    public func matches(_ labelValue: String) -> Bool {
        switch type {
        case .equal: return labelValue == value
        case .notEqual: return labelValue != value
        case .regexMatch: return regex!.matches(labelValue)
        case .regexNoMatch: return !regex!.matches(labelValue)
        }
    }

    public func matches(_ labels: Labels) -> Bool { matches(labels[name] ?? "") }

    /// True when the matcher also selects series that lack the label entirely.
    public var matchesEmpty: Bool { matches("") }

    public var description: String { "\(name)\(type.rawValue)\"\(Labels.escape(value))\"" }
}

public struct MatcherError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A regular expression matched against whole strings, with literal fast paths.
///
/// Unchecked because the standard library does not mark `Regex` Sendable, though a compiled
/// regex is never mutated after construction here.
struct AnchoredRegex: @unchecked Sendable {
    private enum Kind { case literal(String), alternatives(Set<String>), any, general }
    private let kind: Kind
    private let regex: Regex<AnyRegexOutput>?

    init(_ pattern: String) throws(MatcherError) {
        let metacharacters = Set(#"\.+*?()[]{}|^$"#)
        if pattern == ".*" {
            kind = .any
            regex = nil
        } else if !pattern.contains(where: metacharacters.contains) {
            kind = .literal(pattern)
            regex = nil
        } else if !pattern.contains(where: { $0 != "|" && metacharacters.contains($0) }) {
            kind = .alternatives(Set(pattern.split(separator: "|", omittingEmptySubsequences: false).map(String.init)))
            regex = nil
        } else {
            kind = .general
            do {
                regex = try Regex("(?:" + pattern + ")")
            } catch {
                throw MatcherError(message: "invalid regular expression \"\(pattern)\": \(error)")
            }
        }
    }

    func matches(_ value: String) -> Bool {
        switch kind {
        case .any: return !value.contains("\n")
        case .literal(let literal): return value == literal
        case .alternatives(let set): return set.contains(value)
        case .general: return (try? regex!.wholeMatch(in: value)) != nil
        }
    }
}
