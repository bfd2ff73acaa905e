/// TokenKind is the kind of a PromQL token.
enum TokenKind: Equatable, Sendable {
    case eof
    case comma, leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket, colon
    case identifier, metricIdentifier, number, string, duration
    /// `=`, only meaningful inside braces.
    case assign
    case eqlRegex, neqRegex
    case at
    case binary(BinaryOperator)
    case aggregator(AggregateOp)
    case keyword(Keyword)
    /// `start` and `end`, the `@` preprocessors.
    case start, end

    /// Keyword is a PromQL keyword that is neither operator nor aggregator.
    enum Keyword: String, Sendable {
        case bool, by, groupLeft = "group_left", groupRight = "group_right", ignoring, offset, on, without
    }

    /// words maps lowercased words to their token kinds; keywords are case-insensitive.
    static let words: [String: TokenKind] = {
        var table: [String: TokenKind] = [
            "and": .binary(.and), "or": .binary(.or), "unless": .binary(.unless), "atan2": .binary(.atan2),
            "start": .start, "end": .end, "inf": .number, "nan": .number,
        ]
        for op in AggregateOp.allCases { table[op.rawValue] = .aggregator(op) }
        for keyword in [Keyword.bool, .by, .groupLeft, .groupRight, .ignoring, .offset, .on, .without] {
            table[keyword.rawValue] = .keyword(keyword)
        }
        return table
    }()
}

/// Token is one lexed token with its byte range and source text.
struct Token: Sendable {
    var kind: TokenKind
    var start: Int
    var end: Int
    var text: String

    var range: PositionRange { PositionRange(start: start, end: end) }

    /// canBeMetricName is true for tokens Prometheus accepts as a metric name at the start of
    /// an expression, which includes several keywords (`sum`, `by`, `offset`, `and`, `start`…).
    var canBeMetricName: Bool {
        switch kind {
        case .identifier, .metricIdentifier, .aggregator, .start, .end: true
        case .keyword(let keyword): keyword == .by || keyword == .without || keyword == .offset
        case .binary(let op): op == .and || op == .or || op == .unless
        default: false
        }
    }

    /// canStartExpression is true for tokens that can begin an operand.
    var canStartExpression: Bool {
        switch kind {
        case .number, .string, .leftParen, .leftBrace, .binary(.add), .binary(.sub): true
        default: canBeMetricName
        }
    }

    /// canBeLabelName is true for tokens accepted in `by (…)`, `on (…)` and `group_left (…)` lists.
    var canBeLabelName: Bool {
        switch kind {
        case .identifier, .aggregator, .keyword, .start, .end: true
        case .binary(let op): op == .and || op == .or || op == .unless || op == .atan2
        default: false
        }
    }

    /// description names the token as Prometheus does in "unexpected …" messages:
    /// `end of input`, `identifier "foo"`, `<op:+>`, `<aggr:sum>`, `<by>`, `"("`, `number "1"`.
    var description: String {
        switch kind {
        case .eof: return "end of input"
        case .identifier: return "identifier \(GoSyntax.quote(text))"
        case .metricIdentifier: return "metric identifier \(GoSyntax.quote(text))"
        case .number, .string, .duration:
            let kindName = kind == .number ? "number" : kind == .string ? "string" : "duration"
            return "\(kindName) \(Token.shortQuote(text))"
        case .binary, .eqlRegex, .neqRegex: return "<op:\(text)>"
        // Prometheus has no display name for `@` and prints its internal item number here.
        case .at: return "\"<Item 57385>\" <op:@>"
        case .aggregator: return "<aggr:\(text)>"
        case .keyword: return "<\(text)>"
        case .start, .end: return Token.shortQuote(text)
        case .comma, .leftParen, .rightParen, .leftBrace, .rightBrace, .leftBracket, .rightBracket, .colon, .assign:
            return GoSyntax.quote(text)
        }
    }

    /// shortQuote quotes like Go's `%q`, truncating values longer than 10 bytes to `%.10q...`.
    private static func shortQuote(_ text: String) -> String {
        text.utf8.count > 10 ? GoSyntax.quote(text, maxRunes: 10) + "..." : GoSyntax.quote(text)
    }
}
