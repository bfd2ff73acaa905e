import Config
import Model

/// RelabelRegex is a relabeling regular expression, matched against whole values as Prometheus anchors it.
///
/// `regex: foo.*` matches "foobar" but not "xfoobar". Patterns are compiled by Swift `Regex`, which accepts the RE2
/// syntax Prometheus documents (including `(?P<name>…)`), adjusted to behave as Go does: matching is by Unicode
/// scalar, `.` excludes only `\n` (Swift also excludes `\r` and other line breaks), and `\d`, `\w`, `\s` are
/// ASCII-only. The common shapes (`(.*)`, literals, `a|b|c`) skip the regex engine because metric relabeling runs
/// per scraped series.
public struct RelabelRegex: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let kind: Kind

    private enum Kind: Sendable {
        case captureAll  // (.*)
        case matchAll  // .*
        case literal(String)
        case alternatives(Set<String>)
        case general(CompiledRegex)
    }

    /// CompiledRegex vouches for `Regex` across tasks: the standard library does not mark it `Sendable` because its
    /// output type may hold `Any`, but a compiled regex is immutable and safe to match from several threads.
    private struct CompiledRegex: @unchecked Sendable {
        let regex: Regex<AnyRegexOutput>
    }

    /// The default of `regex:` in a relabel config.
    public static let `default` = RelabelRegex(uncheckedCaptureAll: ())

    private init(uncheckedCaptureAll: Void) {
        pattern = "(.*)"
        kind = .captureAll
    }

    public init(_ pattern: String) throws(ParseError) {
        self.pattern = pattern
        let metacharacters = Set(#"\.+*?()[]{}|^$"#)
        if pattern == "(.*)" {
            kind = .captureAll
        } else if pattern == ".*" {
            kind = .matchAll
        } else if !pattern.contains(where: metacharacters.contains) {
            kind = .literal(pattern)
        } else if !pattern.contains(where: { $0 != "|" && metacharacters.contains($0) }) {
            kind = .alternatives(Set(pattern.split(separator: "|", omittingEmptySubsequences: false).map(String.init)))
        } else {
            do {
                let regex = try Regex("(?:" + Self.goDots(pattern) + ")")
                kind = .general(CompiledRegex(regex: regex.matchingSemantics(.unicodeScalar).asciiOnlyCharacterClasses()))
            } catch {
                throw ParseError(message: "error parsing regexp \"\(pattern)\": \(error)")
            }
        }
    }

    /// The pattern with each `.` outside a bracket expression spelled `[^\n]`, Go's meaning of `.`.
    ///
    /// Left alone when the pattern sets the `s` flag inline, since `(?s)` makes `.` match newlines in both engines.
    static func goDots(_ pattern: String) -> String {
        guard pattern.contains("."), !setsDotAll(pattern) else { return pattern }
        let characters = Array(pattern)
        var out = ""
        var i = 0
        var inClass = false
        while i < characters.count {
            let character = characters[i]
            if character == "\\" && i + 1 < characters.count {
                out.append(character)
                out.append(characters[i + 1])
                i += 2
                continue
            }
            if inClass {
                if character == "[" && i + 1 < characters.count && characters[i + 1] == ":" {
                    // A POSIX class such as [:alpha:] inside the brackets; copy it whole.
                    var end = i + 2
                    while end + 1 < characters.count && !(characters[end] == ":" && characters[end + 1] == "]") { end += 1 }
                    out += String(characters[i...min(end + 1, characters.count - 1)])
                    i = end + 2
                    continue
                }
                if character == "]" { inClass = false }
                out.append(character)
            } else if character == "[" {
                inClass = true
                out.append(character)
                // A "]" right after "[" or "[^" is a literal member, not the end.
                if i + 1 < characters.count && characters[i + 1] == "^" {
                    out.append("^")
                    i += 1
                }
                if i + 1 < characters.count && characters[i + 1] == "]" {
                    out.append("]")
                    i += 1
                }
            } else if character == "." {
                out += "[^\\n]"
            } else {
                out.append(character)
            }
            i += 1
        }
        return out
    }

    /// Whether a flag group such as `(?s)`, `(?is:…)` or `(?-s)` mentions `s`.
    private static func setsDotAll(_ pattern: String) -> Bool {
        var rest = Substring(pattern)
        while let start = rest.firstRange(of: "(?") {
            rest = rest[start.upperBound...]
            let flags = rest.prefix { "imsU-".contains($0) }
            if flags.contains("s"), let next = rest.dropFirst(flags.count).first, next == ")" || next == ":" { return true }
        }
        return false
    }

    /// Whether the whole of `value` matches.
    public func matches(_ value: String) -> Bool {
        switch kind {
        case .captureAll, .matchAll: !value.contains("\n")
        case .literal(let literal): value == literal
        case .alternatives(let set): set.contains(value)
        case .general(let compiled): (try? compiled.regex.wholeMatch(in: value)) != nil
        }
    }

    /// The capture groups when the whole of `value` matches; group 0 is the whole value.
    func match(_ value: String) -> Captures? {
        switch kind {
        case .captureAll:
            return value.contains("\n") ? nil : Captures(groups: [value, value], names: [:])
        case .matchAll, .literal, .alternatives:
            return matches(value) ? Captures(groups: [value], names: [:]) : nil
        case .general(let compiled):
            guard let match = try? compiled.regex.wholeMatch(in: value) else { return nil }
            var groups: [String?] = []
            var names: [String: Int] = [:]
            for (index, group) in match.output.enumerated() {
                groups.append(group.substring.map(String.init))
                if let name = group.name, names[name] == nil { names[name] = index }
            }
            return Captures(groups: groups, names: names)
        }
    }

    public var description: String { pattern }

    public static func == (lhs: RelabelRegex, rhs: RelabelRegex) -> Bool { lhs.pattern == rhs.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }

    /// ParseError carries the regex engine's complaint about a pattern.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Captures are the groups of one match, by number and by name; a nil group did not participate.
    struct Captures {
        var groups: [String?]
        var names: [String: Int]

        /// Substitutes `$1`, `${1}`, `$name`, `${name}` and `$$` in `template` as Go's `Regexp.Expand` does.
        ///
        /// A name is the longest run of letters, digits and `_`, so `$1x` means the group named "1x" (empty), not
        /// group 1 followed by "x"; write `${1}x` for that. Unknown or unmatched groups expand to nothing, and a `$`
        /// that starts no valid reference is kept literally.
        func expand(_ template: String) -> String {
            guard template.contains("$") else { return template }
            let scalars = Array(template.unicodeScalars)
            var out = String.UnicodeScalarView()
            var i = 0
            while i < scalars.count {
                guard scalars[i] == "$" else {
                    out.append(scalars[i])
                    i += 1
                    continue
                }
                if i + 1 < scalars.count, scalars[i + 1] == "$" {
                    out.append("$")
                    i += 2
                    continue
                }
                guard let (name, next) = Self.reference(in: scalars, after: i) else {
                    out.append("$")
                    i += 1
                    continue
                }
                out.append(contentsOf: value(of: name).unicodeScalars)
                i = next
            }
            return String(out)
        }

        /// The name referenced by the `$` at `dollar` and the index after the reference, or nil when malformed.
        private static func reference(in scalars: [Unicode.Scalar], after dollar: Int) -> (String, Int)? {
            var i = dollar + 1
            let braced = i < scalars.count && scalars[i] == "{"
            if braced { i += 1 }
            let start = i
            while i < scalars.count, scalars[i] == "_" || scalars[i].properties.isAlphabetic
                || scalars[i].properties.numericType == .decimal {
                i += 1
            }
            guard i > start else { return nil }
            let name = String(String.UnicodeScalarView(scalars[start..<i]))
            if braced {
                guard i < scalars.count, scalars[i] == "}" else { return nil }
                i += 1
            }
            return (name, i)
        }

        private func value(of name: String) -> String {
            let index: Int?
            if name.utf8.allSatisfy(LabelName.isDigit) {
                index = name.utf8.count <= 8 ? Int(name) : nil
            } else {
                index = names[name]
            }
            guard let index, index < groups.count else { return "" }
            return groups[index] ?? ""
        }
    }
}

extension RelabelRegex: Decodable {
    public init(from decoder: any Decoder) throws {
        let pattern = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(pattern)
        } catch {
            throw ConfigIssue(error.message, at: decoder.codingPath)
        }
    }
}
