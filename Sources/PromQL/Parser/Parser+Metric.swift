import TSDB

/// parseMetric reads one series in metric notation — `name`, `name{a="b"}`, `{a="b"}`, `{}` — as a label set.
///
/// This is the grammar of series descriptions (Prometheus's `ParseMetric`), not of selectors: only `=` pairs are
/// allowed, `{}` and blank input are the empty label set, and `{__name__="x"}` names the metric. Errors carry the
/// byte position, as Prometheus prints them (`1:7: parse error: unexpected <op:=~> in label set, expected "="`).
public func parseMetric(_ input: String) throws(PromQLParseError) -> Labels {
    var parser = MetricParser(bytes: Array(input.utf8))
    return try parser.parse()
}

/// MetricParser walks the lexer's tokens through the series-description grammar, one token of lookahead.
private struct MetricParser {
    let bytes: [UInt8]
    var lexer: Lexer

    init(bytes: [UInt8]) {
        self.bytes = bytes
        lexer = Lexer(bytes: bytes)
    }

    mutating func parse() throws(PromQLParseError) -> Labels {
        var pairs: [Label] = []
        var token = try lexer.next()
        if token.canBeMetricName {
            pairs.append(Label(Labels.metricName, token.text))
            token = try lexer.next()
        }
        if token.kind == .leftBrace {
            pairs += try labelSet()
            token = try lexer.next()
        }
        guard token.kind == .eof else { throw unexpected(token) }
        return Labels(pairs)
    }

    /// labelSet reads `name="value"` pairs up to the closing brace; a trailing comma is allowed.
    private mutating func labelSet() throws(PromQLParseError) -> [Label] {
        var pairs: [Label] = []
        var token = try lexer.next()
        while token.kind != .rightBrace {
            guard token.kind == .identifier else {
                throw unexpected(token, in: "label set", expected: #"identifier or "}""#)
            }
            let assign = try lexer.next()
            guard assign.kind == .assign else { throw unexpected(assign, in: "label set", expected: #""=""#) }
            let value = try lexer.next()
            guard value.kind == .string else { throw unexpected(value, in: "label set", expected: "string") }
            pairs.append(Label(token.text, GoSyntax.unquote(bytes[value.start..<value.end])))
            let separator = try lexer.next()
            if separator.kind == .rightBrace { break }
            guard separator.kind == .comma else { throw unexpected(separator, in: "label set", expected: #""," or "}""#) }
            token = try lexer.next()
        }
        return pairs
    }

    private func unexpected(_ token: Token, in context: String? = nil, expected: String? = nil) -> PromQLParseError {
        var message = "unexpected \(token.description)"
        if let context { message += " in \(context)" }
        if let expected { message += ", expected \(expected)" }
        return PromQLParseError(code: .syntax, message: message, positionRange: token.range, in: bytes)
    }
}
