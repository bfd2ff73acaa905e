import Model
import TSDB

/// parseExpr parses a PromQL expression and type-checks it as Prometheus 2.42 does at parse time.
///
/// Errors read like Prometheus's, e.g. `1:6: parse error: expected type range vector in call
/// to function "rate", got instant vector`; only the first error is reported.
public func parseExpr(_ input: String) throws(PromQLParseError) -> Expr {
    var parser = Parser(input)
    return try parser.parse()
}

/// parseMetricSelector reads a bare series selector — `name`, `name{…}` or `{…}` — as the API's `match[]` and
/// `match_target` parameters take it (Prometheus's `ParseMetricSelector`).
///
/// Unlike `parseExpr`, anything after the selector is a syntax error (`1:4: parse error: unexpected "("` for
/// `sum(`), and a selector whose matchers all match the empty string is allowed: the caller decides.
public func parseMetricSelector(_ input: String) throws(PromQLParseError) -> [Matcher] {
    var parser = Parser(input)
    return try parser.parseMetricSelector()
}

/// Parser is a recursive-descent parser for PromQL with one token of lookahead.
///
/// Operator precedence follows Prometheus's grammar: `^` (right-associative) binds tightest,
/// then `* / % atan2`, `+ -`, comparisons, `and unless`, and `or`. A unary sign binds like `*`,
/// so `-2 ^ 2` is `-(2 ^ 2)`. Range brackets, `offset` and `@` bind tighter than any operator.
/// Syntax errors are thrown as soon as they are seen; type errors come from a separate pass
/// afterwards, so (as in Prometheus) a syntax error always wins over a type error.
struct Parser {
    let bytes: [UInt8]
    private var lexer: Lexer
    private var peeked: Token?
    /// aggregationDepth counts the aggregation bodies being parsed.
    ///
    /// Prometheus attributes any syntax error inside an aggregation's arguments to the
    /// aggregation ("unexpected … in aggregation") unless a closer construct claims it.
    private var aggregationDepth = 0
    /// nesting counts the active `parseExpr` calls, to refuse input that would exhaust the stack.
    private var nesting = 0

    static let maxDepth = Expr.maxDepth

    /// Parsed is a subtree with its height, tracked so that over-deep trees are never built.
    private struct Parsed {
        var expr: Expr
        var height: Int
    }

    init(_ input: String) {
        bytes = Array(input.utf8)
        lexer = Lexer(bytes: bytes)
    }

    mutating func parse() throws(PromQLParseError) -> Expr {
        if try peek().kind == .eof {
            throw error(.syntax, "no expression found in input", PositionRange(start: 0, end: 0))
        }
        let expr = try parseExpr(minPrecedence: 0).expr
        let trailing = try next()
        guard trailing.kind == .eof else { throw unexpected(trailing) }
        return try check(expr)
    }

    mutating func parseMetricSelector() throws(PromQLParseError) -> [Matcher] {
        let first = try next()
        let name: Token? = first.canBeMetricName ? first : nil
        let brace: Token?
        if name == nil {
            guard first.kind == .leftBrace else { throw unexpected(first) }
            brace = first
        } else {
            brace = try peek().kind == .leftBrace ? try next() : nil
        }
        let selector = try parseSelector(name: name, start: brace)
        let trailing = try next()
        guard trailing.kind == .eof else { throw unexpected(trailing) }
        return selector.matchers
    }

    /// node wraps a new subtree, refusing it when it would be deeper than `maxDepth`.
    private func node(_ expr: Expr, height: Int) throws(PromQLParseError) -> Parsed {
        guard height <= Self.maxDepth else { throw tooDeep(expr.positionRange) }
        return Parsed(expr: expr, height: height)
    }

    private func tooDeep(_ range: PositionRange) -> PromQLParseError {
        error(.syntax, "expression is nested too deeply (more than \(Self.maxDepth) levels)", range)
    }

    // MARK: Operators

    private mutating func parseExpr(minPrecedence: Int) throws(PromQLParseError) -> Parsed {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Self.maxDepth { throw tooDeep(try peek().range) }
        var lhs = try parseUnary()
        while true {
            guard case .binary(let op) = try peek().kind, op.precedence >= minPrecedence else { return lhs }
            _ = try next()
            var returnBool = false
            if case .keyword(.bool) = try peek().kind {
                _ = try next()
                returnBool = true
            }
            let matching = try parseVectorMatching()
            let rhs = try parseExpr(minPrecedence: op == .pow ? op.precedence : op.precedence + 1)
            let range = PositionRange(start: lhs.expr.positionRange.start, end: rhs.expr.positionRange.end)
            let binary = BinaryExpr(
                op: op, lhs: lhs.expr, rhs: rhs.expr, returnBool: returnBool, matching: matching, positionRange: range)
            lhs = try node(.binary(binary), height: max(lhs.height, rhs.height) + 1)
        }
    }

    /// parseVectorMatching reads an optional `on(…)`/`ignoring(…)` and `group_left/right(…)`.
    private mutating func parseVectorMatching() throws(PromQLParseError) -> VectorMatching {
        var matching = VectorMatching()
        guard case .keyword(let keyword) = try peek().kind, keyword == .on || keyword == .ignoring else {
            return matching
        }
        _ = try next()
        matching.on = keyword == .on
        matching.labels = try parseLabelList().labels
        guard case .keyword(let group) = try peek().kind, group == .groupLeft || group == .groupRight else {
            return matching
        }
        _ = try next()
        matching.card = group == .groupLeft ? .manyToOne : .oneToMany
        let following = try peek()
        if following.kind == .leftParen {
            matching.include = try parseLabelList().labels
        } else if !following.canStartExpression {
            throw unexpected(following, in: "grouping opts", expected: #""(""#)
        }
        return matching
    }

    private mutating func parseUnary() throws(PromQLParseError) -> Parsed {
        let token = try peek()
        guard case .binary(let op) = token.kind, op == .add || op == .sub else {
            let primary = try parsePrimary()
            return try parsePostfix(primary)
        }
        _ = try next()
        let operand = try parseExpr(minPrecedence: BinaryOperator.pow.precedence)
        let range = PositionRange(start: token.start, end: operand.expr.positionRange.end)
        if case .number(var literal) = operand.expr {
            if op == .sub { literal.value = -literal.value }
            literal.positionRange = range
            return Parsed(expr: .number(literal), height: 1)
        }
        let unary = UnaryExpr(op: op == .add ? .plus : .minus, expr: operand.expr, positionRange: range)
        return try node(.unary(unary), height: operand.height + 1)
    }

    private mutating func parsePrimary() throws(PromQLParseError) -> Parsed {
        let token = try next()
        switch token.kind {
        case .number:
            return Parsed(expr: .number(NumberLiteral(try numberValue(token), positionRange: token.range)), height: 1)
        case .string:
            let value = GoSyntax.unquote(bytes[token.start..<token.end])
            return Parsed(expr: .string(StringLiteral(value, positionRange: token.range)), height: 1)
        case .leftParen:
            let inner = try parseExpr(minPrecedence: 0)
            let close = try next()
            guard close.kind == .rightParen else { throw unexpected(close) }
            let range = PositionRange(start: token.start, end: close.end)
            return try node(.paren(ParenExpr(inner.expr, positionRange: range)), height: inner.height + 1)
        case .leftBrace:
            return Parsed(expr: .vectorSelector(try parseSelector(name: nil, start: token)), height: 1)
        default:
            // Report the token itself before lexing further, as Prometheus's parser does.
            guard token.canBeMetricName else { throw unexpected(token) }
        }
        let following = try peek().kind
        if token.kind == .identifier, following == .leftParen {
            return try parseCall(name: token)
        }
        if case .aggregator(let op) = token.kind,
            following == .leftParen || following == .keyword(.by) || following == .keyword(.without)
        {
            return try parseAggregation(op, opToken: token)
        }
        let brace = following == .leftBrace ? try next() : nil
        return Parsed(expr: .vectorSelector(try parseSelector(name: token, start: brace)), height: 1)
    }

    // MARK: Selectors

    /// parseSelector reads the matchers after `start` (a consumed `{`, if any) and adds the
    /// `__name__` matcher for a metric name.
    private mutating func parseSelector(name: Token?, start brace: Token?) throws(PromQLParseError) -> VectorSelector {
        var matchers: [Matcher] = []
        var end = name?.end ?? 0
        if brace != nil {
            var token = try next()
            while token.kind != .rightBrace {
                matchers.append(try parseMatcher(label: token))
                let separator = try next()
                if separator.kind == .rightBrace {
                    token = separator
                    break
                }
                guard separator.kind == .comma else { throw unexpected(separator, in: "label matching", expected: #""," or "}""#) }
                token = try next()
            }
            end = token.end
        }
        if let name {
            matchers.append(try! Matcher(.equal, Labels.metricName, name.text))
        }
        let start = name?.start ?? brace!.start
        return VectorSelector(
            name: name?.text, matchers: matchers, positionRange: PositionRange(start: start, end: end))
    }

    private mutating func parseMatcher(label: Token) throws(PromQLParseError) -> Matcher {
        guard label.kind == .identifier else {
            throw unexpected(label, in: "label matching", expected: #"identifier or "}""#)
        }
        let opToken = try next()
        let type: Matcher.MatchType
        switch opToken.kind {
        case .assign: type = .equal
        case .binary(.neq): type = .notEqual
        case .eqlRegex: type = .regexMatch
        case .neqRegex: type = .regexNoMatch
        default: throw unexpected(opToken, in: "label matching", expected: "label matching operator")
        }
        let valueToken = try next()
        guard valueToken.kind == .string else { throw unexpected(valueToken, in: "label matching", expected: "string") }
        let value = GoSyntax.unquote(bytes[valueToken.start..<valueToken.end])
        do {
            return try Matcher(type, label.text, value)
        } catch {
            throw self.error(
                .invalidValue, error.message, PositionRange(start: label.start, end: valueToken.end), cause: error)
        }
    }

    // MARK: Calls and aggregations

    private mutating func parseCall(name: Token) throws(PromQLParseError) -> Parsed {
        let (args, close) = try parseArguments()
        guard let function = Function.named(name.text) else {
            throw error(.syntax, "unknown function with name \(GoSyntax.quote(name.text))", name.range)
        }
        let call = Call(
            function: function, args: args.map(\.expr), positionRange: PositionRange(start: name.start, end: close.end))
        return try node(.call(call), height: (args.map(\.height).max() ?? 0) + 1)
    }

    /// parseArguments reads `( expr, … )`; the caller has seen the `(`.
    private mutating func parseArguments() throws(PromQLParseError) -> (args: [Parsed], close: Token) {
        _ = try next()
        var args: [Parsed] = []
        if try peek().kind == .rightParen { return (args, try next()) }
        while true {
            args.append(try parseExpr(minPrecedence: 0))
            let token = try next()
            if token.kind == .rightParen { return (args, token) }
            guard token.kind == .comma else { throw unexpected(token) }
            // Like Prometheus, a comma followed by anything that cannot start an argument
            // counts as a trailing comma.
            if try !peek().canStartExpression {
                throw error(.syntax, "trailing commas not allowed in function call args", token.range)
            }
        }
    }

    private mutating func parseAggregation(_ op: AggregateOp, opToken: Token) throws(PromQLParseError) -> Parsed {
        var grouping: [String] = []
        var without = false
        var hasModifier = false
        if case .keyword(let keyword) = try peek().kind, keyword == .by || keyword == .without {
            _ = try next()
            without = keyword == .without
            grouping = try parseLabelList().labels
            hasModifier = true
        }
        let body = try peek()
        guard body.kind == .leftParen else {
            _ = try next()
            throw unexpected(body, in: "aggregation")
        }
        aggregationDepth += 1
        let (args, close) = try parseArguments()
        aggregationDepth -= 1
        var end = close.end
        if !hasModifier, case .keyword(let keyword) = try peek().kind, keyword == .by || keyword == .without {
            _ = try next()
            without = keyword == .without
            (grouping, end) = try parseLabelList()
        }
        let range = PositionRange(start: opToken.start, end: end)
        if args.isEmpty {
            throw error(.type, "no arguments for aggregate expression provided", range)
        }
        let expected = op.hasParameter ? 2 : 1
        guard args.count == expected else {
            throw error(
                .type,
                "wrong number of arguments for aggregate expression provided, expected \(expected), got \(args.count)",
                range)
        }
        let aggregation = AggregateExpr(
            op: op, expr: args[expected - 1].expr, param: op.hasParameter ? args[0].expr : nil, grouping: grouping,
            without: without, positionRange: range)
        return try node(.aggregation(aggregation), height: (args.map(\.height).max() ?? 0) + 1)
    }

    /// parseLabelList reads `(label, …)` after `by`, `without`, `on`, `ignoring` or `group_x`.
    ///
    /// Keywords are valid label names here (`by (and, offset)`), as in Prometheus.
    private mutating func parseLabelList() throws(PromQLParseError) -> (labels: [String], end: Int) {
        let open = try next()
        guard open.kind == .leftParen else { throw unexpected(open, in: "grouping opts", expected: #""(""#) }
        var labels: [String] = []
        var token = try next()
        while token.kind != .rightParen {
            guard token.canBeLabelName else { throw unexpected(token, in: "grouping opts", expected: "label") }
            labels.append(token.text)
            let separator = try next()
            if separator.kind == .rightParen {
                token = separator
                break
            }
            guard separator.kind == .comma else {
                throw unexpected(separator, in: "grouping opts", expected: #""," or ")""#)
            }
            token = try next()
        }
        return (labels, token.end)
    }

    // MARK: Postfix modifiers

    /// parsePostfix applies `[range]`, `[range:step]`, `offset` and `@` to a primary expression.
    private mutating func parsePostfix(_ base: Parsed) throws(PromQLParseError) -> Parsed {
        var parsed = base
        while true {
            let token = try peek()
            switch token.kind {
            case .leftBracket:
                _ = try next()
                parsed = try node(try parseRangeOrSubquery(parsed.expr, open: token), height: parsed.height + 1)
            case .keyword(.offset):
                _ = try next()
                parsed.expr = try parseOffset(parsed.expr)
            case .at:
                _ = try next()
                parsed.expr = try parseAt(parsed.expr)
            default:
                return parsed
            }
        }
    }

    private mutating func parseRangeOrSubquery(_ expr: Expr, open: Token) throws(PromQLParseError) -> Expr {
        let rangeToken = try next()
        guard rangeToken.kind == .duration else {
            throw unexpected(rangeToken, in: "subquery selector", expected: "duration")
        }
        let range = try durationValue(rangeToken)
        let token = try next()
        switch token.kind {
        case .rightBracket:
            let bracketRange = PositionRange(start: open.start, end: token.end)
            guard case .vectorSelector(let selector) = expr else {
                throw error(.type, "ranges only allowed for vector selectors", bracketRange)
            }
            if selector.offset != 0 { throw error(.type, "no offset modifiers allowed before range", bracketRange) }
            // Prometheus only rejects a numeric `@` here; `x @ start()[5m]` means `x[5m] @ start()`.
            if case .time = selector.at { throw error(.type, "no @ modifiers allowed before range", bracketRange) }
            return .matrixSelector(
                MatrixSelector(
                    vectorSelector: selector, range: range,
                    positionRange: PositionRange(start: selector.positionRange.start, end: token.end)))
        case .colon:
            var step: Int64?
            var close = try next()
            if close.kind == .duration {
                step = try durationValue(close)
                close = try next()
                guard close.kind == .rightBracket else {
                    throw unexpected(close, in: "subquery selector", expected: #""]""#)
                }
            } else if close.kind != .rightBracket {
                throw unexpected(close, in: "subquery selector", expected: #"duration or "]""#)
            }
            return .subquery(
                SubqueryExpr(
                    expr: expr, range: range, step: step,
                    positionRange: PositionRange(start: expr.positionRange.start, end: close.end)))
        default:
            throw unexpected(token, in: "subquery or range", expected: #"":" or "]""#)
        }
    }

    private mutating func parseOffset(_ expr: Expr) throws(PromQLParseError) -> Expr {
        var token = try next()
        let negative = token.kind == .binary(.sub)
        if negative { token = try next() }
        guard token.kind == .duration else { throw unexpected(token, in: "offset", expected: "duration") }
        let magnitude = try durationValue(token)
        let offset = negative ? -magnitude : magnitude
        let multiple = error(.type, "offset may not be set multiple times", expr.positionRange)
        switch expr {
        case .vectorSelector(var selector):
            guard selector.offset == 0 else { throw multiple }
            selector.offset = offset
            selector.positionRange.end = token.end
            return .vectorSelector(selector)
        case .matrixSelector(var matrix):
            guard matrix.vectorSelector.offset == 0 else { throw multiple }
            matrix.vectorSelector.offset = offset
            matrix.positionRange.end = token.end
            return .matrixSelector(matrix)
        case .subquery(var subquery):
            guard subquery.offset == 0 else { throw multiple }
            subquery.offset = offset
            subquery.positionRange.end = token.end
            return .subquery(subquery)
        default:
            throw error(
                .type,
                "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                expr.positionRange)
        }
    }

    private mutating func parseAt(_ expr: Expr) throws(PromQLParseError) -> Expr {
        let token = try next()
        let modifier: AtModifier
        var end = token.end
        switch token.kind {
        case .number, .binary(.add), .binary(.sub):
            var numberToken = token
            if token.kind != .number {
                numberToken = try next()
                guard numberToken.kind == .number else { throw unexpected(numberToken, in: "@", expected: "timestamp") }
                end = numberToken.end
            }
            let seconds = try numberValue(numberToken) * (token.kind == .binary(.sub) ? -1 : 1)
            if !seconds.isFinite || seconds >= 0x1p63 || seconds <= -0x1p63 {
                throw error(
                    .invalidValue, "timestamp out of bounds for @ modifier: \(Self.formatFixed(seconds))",
                    expr.positionRange)
            }
            // Like Go on amd64, an unrepresentable product becomes the minimum Int64.
            modifier = .time(Int64(exactly: (seconds * 1000).rounded()) ?? .min)
        case .start, .end:
            let open = try next()
            guard open.kind == .leftParen else { throw unexpected(open, in: "@", expected: "timestamp") }
            let close = try next()
            guard close.kind == .rightParen else { throw unexpected(close, in: "@", expected: "timestamp") }
            modifier = token.kind == .start ? .start : .end
            end = close.end
        default:
            throw unexpected(token, in: "@", expected: "timestamp")
        }
        let multiple = error(.type, "@ <timestamp> may not be set multiple times", expr.positionRange)
        switch expr {
        case .vectorSelector(var selector):
            guard selector.at == .none else { throw multiple }
            selector.at = modifier
            selector.positionRange.end = end
            return .vectorSelector(selector)
        case .matrixSelector(var matrix):
            guard matrix.vectorSelector.at == .none else { throw multiple }
            matrix.vectorSelector.at = modifier
            matrix.positionRange.end = end
            return .matrixSelector(matrix)
        case .subquery(var subquery):
            guard subquery.at == .none else { throw multiple }
            subquery.at = modifier
            subquery.positionRange.end = end
            return .subquery(subquery)
        default:
            throw error(
                .type,
                "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                expr.positionRange)
        }
    }

    // MARK: Literals

    private func numberValue(_ token: Token) throws(PromQLParseError) -> Double {
        switch GoSyntax.parseNumber(token.text) {
        case .success(let value): return value
        case .failure(let failure): throw error(.invalidValue, "error parsing number: \(failure.message)", token.range)
        }
    }

    /// durationValue parses a duration token; PromQL ranges, steps and offsets must be positive.
    private func durationValue(_ token: Token) throws(PromQLParseError) -> Int64 {
        let milliseconds: Int64
        do {
            milliseconds = try PrometheusDuration(parsing: token.text).milliseconds
        } catch let failure {
            throw error(.invalidValue, failure.description, token.range)
        }
        guard milliseconds > 0 else { throw error(.invalidValue, "duration must be greater than 0", token.range) }
        return milliseconds
    }

    /// formatFixed is Go's `%f` for the out-of-range timestamps that reach it: non-finite
    /// values or integers of at least 2^63, printed exactly with six zero decimals.
    static func formatFixed(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        guard value.magnitude >= 0x1p63 else {
            let rounded = (value * 1_000_000).rounded() / 1_000_000
            return "\(rounded)"
        }
        // The value is an integer significand times a power of two; expand it in decimal.
        var digits: [UInt8] = []  // Least significant first.
        var significand = value.significandBitPattern | (1 << 52)
        while significand > 0 {
            digits.append(UInt8(significand % 10))
            significand /= 10
        }
        for _ in 0..<(Int(value.exponent) - 52) {
            var carry: UInt8 = 0
            for index in digits.indices {
                let doubled = digits[index] * 2 + carry
                digits[index] = doubled % 10
                carry = doubled / 10
            }
            if carry > 0 { digits.append(carry) }
        }
        let text = String(digits.reversed().map { Character(Unicode.Scalar($0 + 48)) })
        return (value < 0 ? "-" : "") + text + ".000000"
    }

    // MARK: Tokens and errors

    private mutating func peek() throws(PromQLParseError) -> Token {
        if let peeked { return peeked }
        let token = try lexer.next()
        peeked = token
        return token
    }

    private mutating func next() throws(PromQLParseError) -> Token {
        if let token = peeked {
            peeked = nil
            return token
        }
        return try lexer.next()
    }

    func error(
        _ code: PromQLParseError.Code, _ message: String, _ range: PositionRange, cause: (any Error & Sendable)? = nil
    ) -> PromQLParseError {
        PromQLParseError(code: code, message: message, positionRange: range, in: bytes, cause: cause)
    }

    /// unexpected builds Prometheus's `unexpected <token>[ in <context>][, expected <what>]` error.
    private func unexpected(_ token: Token, in context: String? = nil, expected: String? = nil) -> PromQLParseError {
        var message = "unexpected \(token.description)"
        if let context = context ?? (aggregationDepth > 0 ? "aggregation" : nil) { message += " in \(context)" }
        if let expected { message += ", expected \(expected)" }
        return error(.syntax, message, token.range)
    }
}
