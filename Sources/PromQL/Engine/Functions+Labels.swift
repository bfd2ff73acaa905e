import Model
import TSDB

/// label_replace and label_join.
extension Evaluator {
    /// labelReplace sets `dst` to the expansion of `replacement` when `regex` matches the whole `src` value.
    ///
    /// An empty expansion removes `dst`. The regex and `dst` are validated at every evaluation,
    /// even of an empty vector, as Prometheus does.
    func labelReplace(_ call: CallNode, at t: Timestamp) throws(QueryError) -> [VectorSample] {
        let vector = try evalVector(call.args[0], at: t)
        let destination = try stringArgument(call.args[1], at: t)
        let replacement = try stringArgument(call.args[2], at: t)
        let source = try stringArgument(call.args[3], at: t)
        let regex: GoRegex
        switch call.regex {
        case .success(let compiled)?:
            regex = compiled
        case .failure(let error)?:
            throw error
        case nil:
            let pattern = try stringArgument(call.args[4], at: t)
            do { regex = try GoRegex(anchoring: pattern) } catch {
                throw QueryError.execution("invalid regular expression in label_replace(): \(pattern)")
            }
        }
        guard LabelName.isValid(destination) else {
            throw QueryError.execution("invalid destination label name in label_replace(): \(destination)")
        }
        var out = vector
        let memo = memo(call.memo)
        memo.renamed.map(&out) { labels in
            guard let captures = regex.captures(wholeMatching: labels[source] ?? "") else { return labels }
            return labels.setting(destination, to: regex.expand(replacement, captures: captures))
        }
        try limits.tick(out.count)
        try checkDistinctLabels(out, memo: memo)
        return out
    }

    /// labelJoin sets `dst` to the values of the source labels joined by `separator`.
    func labelJoin(_ call: CallNode, at t: Timestamp) throws(QueryError) -> [VectorSample] {
        let vector = try evalVector(call.args[0], at: t)
        let destination = try stringArgument(call.args[1], at: t)
        let separator = try stringArgument(call.args[2], at: t)
        var sources: [String] = []
        for arg in call.args.dropFirst(3) {
            let source = try stringArgument(arg, at: t)
            guard LabelName.isValid(source) else {
                throw QueryError.execution("invalid source label name in label_join(): \(source)")
            }
            sources.append(source)
        }
        guard LabelName.isValid(destination) else {
            throw QueryError.execution("invalid destination label name in label_join(): \(destination)")
        }
        var out = vector
        let memo = memo(call.memo)
        memo.renamed.map(&out) { labels in
            labels.setting(destination, to: sources.map { labels[$0] ?? "" }.joined(separator: separator))
        }
        try limits.tick(out.count)
        try checkDistinctLabels(out, memo: memo)
        return out
    }

    private func stringArgument(_ node: Node, at t: Timestamp) throws(QueryError) -> String {
        switch try eval(node, at: t) {
        case .string(let value): return value
        case let other: throw QueryError.execution("expected string argument, got \(other.typeName)")
        }
    }
}

/// GoRegex is a regular expression anchored at both ends, with Go's `$1`/`${name}` expansion.
///
/// Swift's regex syntax is a superset of Go's RE2 for practical patterns; the RE2 features
/// Swift would accept but Go rejects (backreferences, lookaround) are refused up front so
/// that a pattern fails here exactly when it fails in Prometheus. Matching works on Unicode
/// scalars like RE2, not on grapheme clusters. Unchecked Sendable because `Regex` is not
/// marked Sendable, though a compiled regex is never mutated.
struct GoRegex: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>
    /// names maps capture group names to their indices.
    private let names: [String: Int]

    struct SyntaxError: Error {}

    init(anchoring pattern: String) throws(SyntaxError) {
        guard !GoRegex.usesUnsupportedSyntax(pattern) else { throw SyntaxError() }
        do {
            regex = try Regex("^(?:" + pattern + ")$").matchingSemantics(.unicodeScalar)
        } catch {
            throw SyntaxError()
        }
        var names: [String: Int] = [:]
        for (index, name) in GoRegex.groupNames(pattern) { names[name] = index }
        self.names = names
    }

    /// captures returns every group's text (nil for groups that did not take part) when the whole value matches.
    func captures(wholeMatching value: String) -> [Substring?]? {
        guard let match = try? regex.wholeMatch(in: value) else { return nil }
        return match.output.map { $0.substring }
    }

    /// expand is Go's `Regexp.ExpandString`: `$n`, `${n}`, `$name`, `${name}` and `$$`.
    ///
    /// A name is the longest run of letters, digits and underscores, so `$1x` is the group
    /// named "1x" (empty here), not group 1 followed by "x"; unknown groups expand to nothing.
    func expand(_ template: String, captures: [Substring?]) -> String {
        var out = ""
        var rest = Substring(template)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            if rest.first == "$" {
                out += "$"
                rest = rest.dropFirst()
                continue
            }
            guard let (name, remainder) = GoRegex.extractName(rest) else {
                out += "$"
                continue
            }
            rest = remainder
            if let number = GoRegex.groupNumber(name) {
                if number < captures.count, let text = captures[number] { out += text }
            } else if let index = names[String(name)], index < captures.count, let text = captures[index] {
                out += text
            }
        }
        out += rest
        return out
    }

    /// extractName reads `name` or `{name}` after a `$`; nil when malformed.
    private static func extractName(_ text: Substring) -> (Substring, Substring)? {
        var body = text
        let braced = body.first == "{"
        if braced { body = body.dropFirst() }
        let end = body.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? body.endIndex
        guard end > body.startIndex else { return nil }
        let name = body[..<end]
        var rest = body[end...]
        if braced {
            guard rest.first == "}" else { return nil }
            rest = rest.dropFirst()
        }
        return (name, rest)
    }

    /// groupNumber parses a group index the way Go does: digits only, no leading zeros, below 1e8.
    private static func groupNumber(_ name: Substring) -> Int? {
        guard name.allSatisfy({ $0.isASCII && $0.isNumber }), name.count < 9 else { return nil }
        if name.first == "0" && name.count > 1 { return nil }
        return Int(name)
    }

    /// groupNames lists named groups `(?P<name>…)` and `(?<name>…)` with their group indices.
    private static func groupNames(_ pattern: String) -> [(Int, String)] {
        let chars = Array(pattern)
        var result: [(Int, String)] = []
        var group = 0
        var index = 0
        var inClass = false
        while index < chars.count {
            let c = chars[index]
            if c == "\\" {
                index += 2
                continue
            }
            if inClass {
                if c == "]" { inClass = false }
                index += 1
                continue
            }
            if c == "[" {
                inClass = true
            } else if c == "(" {
                if index + 1 < chars.count && chars[index + 1] == "?" {
                    var nameStart: Int?
                    if index + 3 < chars.count && chars[index + 2] == "P" && chars[index + 3] == "<" {
                        nameStart = index + 4
                    } else if index + 2 < chars.count && chars[index + 2] == "<" {
                        nameStart = index + 3
                    }
                    if let start = nameStart, let end = chars[start...].firstIndex(of: ">") {
                        group += 1
                        result.append((group, String(chars[start..<end])))
                    }
                } else {
                    group += 1
                }
            }
            index += 1
        }
        return result
    }

    /// usesUnsupportedSyntax spots constructs Swift accepts but RE2 rejects.
    private static func usesUnsupportedSyntax(_ pattern: String) -> Bool {
        let chars = Array(pattern)
        var index = 0
        while index < chars.count {
            if chars[index] == "\\", index + 1 < chars.count {
                let next = chars[index + 1]
                if next.isNumber && next != "0" { return true }  // backreference
                if next == "k" || next == "g" { return true }  // named backreference
                index += 2
                continue
            }
            if chars[index] == "(", index + 2 < chars.count, chars[index + 1] == "?" {
                let kind = chars[index + 2]
                if kind == "=" || kind == "!" || kind == ">" { return true }  // lookahead, atomic group
                if kind == "<", index + 3 < chars.count, chars[index + 3] == "=" || chars[index + 3] == "!" {
                    return true  // lookbehind
                }
            }
            index += 1
        }
        return false
    }
}
