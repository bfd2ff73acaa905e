/// A label matcher of a selector: `name="v"`, `!=`, `=~` or `!~`.
///
/// Regular expressions are fully anchored, as in Prometheus: `job=~"api"` matches only "api". Values compare as
/// UTF-8 bytes, so `path="café"` (NFC) does not select a series whose value is NFD `cafe\u{301}`.
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
    /// The compiled `^(?:value)$` for `=~` and `!~`.
    public let regex: GoRegex?

    public init(_ type: MatchType, _ name: String, _ value: String) throws(MatcherError) {
        self.type = type
        self.name = name
        self.value = value
        switch type {
        case .equal, .notEqual: regex = nil
        case .regexMatch, .regexNoMatch:
            do { regex = try GoRegex.cached(anchored: value) } catch { throw MatcherError(message: error.description, regexError: error) }
        }
    }

    /// Whether a label value (empty when the label is absent) satisfies the matcher.
    public func matches(_ labelValue: String) -> Bool {
        switch type {
        case .equal: return labelValue.utf8Equal(value)
        case .notEqual: return !labelValue.utf8Equal(value)
        // `regex` is set for both regex types by the initialiser.
        case .regexMatch: return regex?.matches(labelValue) == true
        case .regexNoMatch: return regex?.matches(labelValue) == false
        }
    }

    public func matches(_ labels: Labels) -> Bool { matches(labels[name] ?? "") }

    /// True when the matcher also selects series that lack the label entirely.
    public var matchesEmpty: Bool { matches("") }

    public var description: String { "\(name)\(type.rawValue)\"\(Labels.escape(value))\"" }
}

/// A matcher that cannot be built: its regular expression does not compile.
public struct MatcherError: Error, Sendable, CustomStringConvertible {
    /// Go's wording, e.g. "error parsing regexp: missing closing ): `^(?:(a)$`".
    public var message: String
    public var regexError: GoRegexError?

    public init(message: String, regexError: GoRegexError? = nil) {
        self.message = message
        self.regexError = regexError
    }

    public var description: String { message }
}
