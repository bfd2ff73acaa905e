import Testing
import TSDB

@testable import PromQL

// MARK: - Helpers

private func selector(_ name: String, offset: Int64 = 0, at: AtModifier = .none) -> Expr {
    .vectorSelector(
        VectorSelector(
            name: name, matchers: [try! Matcher(.equal, Labels.metricName, name)], offset: offset, at: at))
}

private func number(_ value: Double) -> Expr { .number(NumberLiteral(value)) }

/// binary builds a node the way the type checker normalizes it: vector-vector operations carry
/// matching (many-to-many for set operators), anything involving a scalar carries none.
private func binary(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, returnBool: Bool = false) -> Expr {
    let bothVectors = lhs.type == .instantVector && rhs.type == .instantVector
    let matching = bothVectors ? VectorMatching(card: op.isSetOperator ? .manyToMany : .oneToOne) : nil
    return .binary(BinaryExpr(op: op, lhs: lhs, rhs: rhs, returnBool: returnBool, matching: matching))
}

private func parseError(
    _ input: String, sourceLocation: SourceLocation = #_sourceLocation
) -> PromQLParseError? {
    do {
        let expr = try parseExpr(input)
        Issue.record("expected a parse error, got \(expr)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

// MARK: - Tables recorded from Prometheus 2.42

struct ParserTableTests {
    @Test(arguments: ParserCases.valid)
    func validExpressionPrintsLikePrometheus(input: String, printed: String) throws {
        let expr = try parseExpr(input)
        #expect(expr.description == printed)
        let reparsed = try parseExpr(printed)
        #expect(reparsed == expr, "re-parsing the printout changed the tree")
        #expect(reparsed.description == printed)
    }

    @Test(arguments: ParserCases.invalid)
    func invalidExpressionFailsLikePrometheus(input: String, error: String) {
        #expect(parseError(input)?.description == error)
    }

    @Test func tablesAreLargeEnough() {
        #expect(ParserCases.valid.count >= 150)
        #expect(ParserCases.invalid.count >= 60)
    }
}

// MARK: - Precedence and associativity

struct ParserPrecedenceTests {
    @Test func powerIsRightAssociative() throws {
        #expect(try parseExpr("2 ^ 3 ^ 2") == binary(.pow, number(2), binary(.pow, number(3), number(2))))
    }

    @Test func unaryMinusBindsLooserThanPower() throws {
        let expected = Expr.unary(UnaryExpr(op: .minus, expr: binary(.pow, number(2), number(2))))
        #expect(try parseExpr("-2 ^ 2") == expected)
        #expect(try parseExpr("(-2) ^ 2") == binary(.pow, .paren(ParenExpr(number(-2))), number(2)))
    }

    @Test func unaryMinusBindsLikeMultiplication() throws {
        let negated = Expr.unary(UnaryExpr(op: .minus, expr: selector("a")))
        #expect(try parseExpr("-a * b") == binary(.mul, negated, selector("b")))
        #expect(try parseExpr("-a + b") == binary(.add, negated, selector("b")))
        #expect(try parseExpr("b * -a") == binary(.mul, selector("b"), negated))
    }

    @Test func multiplicationBeforeAddition() throws {
        #expect(try parseExpr("a + b * c") == binary(.add, selector("a"), binary(.mul, selector("b"), selector("c"))))
        #expect(try parseExpr("a * b + c") == binary(.add, binary(.mul, selector("a"), selector("b")), selector("c")))
        #expect(
            try parseExpr("a atan2 b * c") == binary(.mul, binary(.atan2, selector("a"), selector("b")), selector("c")))
    }

    @Test func andBindsTighterThanOr() throws {
        #expect(try parseExpr("a or b and c") == binary(.or, selector("a"), binary(.and, selector("b"), selector("c"))))
        #expect(try parseExpr("a and b or c") == binary(.or, binary(.and, selector("a"), selector("b")), selector("c")))
        #expect(
            try parseExpr("a and b unless c") == binary(.unless, binary(.and, selector("a"), selector("b")), selector("c")))
    }

    @Test func sameLevelOperatorsAreLeftAssociative() throws {
        #expect(try parseExpr("a - b - c") == binary(.sub, binary(.sub, selector("a"), selector("b")), selector("c")))
        #expect(try parseExpr("a / b % c") == binary(.mod, binary(.div, selector("a"), selector("b")), selector("c")))
        #expect(try parseExpr("a == b != c") == binary(.neq, binary(.eql, selector("a"), selector("b")), selector("c")))
    }

    @Test func comparisonsBindLooserThanArithmetic() throws {
        #expect(try parseExpr("a > b + 1") == binary(.gtr, selector("a"), binary(.add, selector("b"), number(1))))
        #expect(
            try parseExpr("a > bool 1 + 2")
                == binary(.gtr, selector("a"), binary(.add, number(1), number(2)), returnBool: true))
    }

    @Test func modifiersBindTighterThanOperators() throws {
        #expect(try parseExpr("a + b offset 5m") == binary(.add, selector("a"), selector("b", offset: 300_000)))
        #expect(try parseExpr("-b @ 10") == .unary(UnaryExpr(op: .minus, expr: selector("b", at: .time(10_000)))))
        // The subquery applies to `b` alone, so the right operand is a range vector.
        #expect(
            parseError("a + b[5m:]")?.description
                == "1:5: parse error: binary expression must contain only scalar and instant vector types")
    }

    @Test func signsFoldIntoNumberLiterals() throws {
        #expect(try parseExpr("-1") == number(-1))
        #expect(try parseExpr("- -1") == number(1))
        #expect(try parseExpr("+1") == number(1))
        #expect(try parseExpr("1 - -1") == binary(.sub, number(1), number(-1)))
        #expect(try parseExpr("-(1)") == .unary(UnaryExpr(op: .minus, expr: .paren(ParenExpr(number(1))))))
        #expect(try parseExpr("-1").positionRange == PositionRange(start: 0, end: 2))
    }
}

// MARK: - Tree shape

struct ParserTreeTests {
    @Test func selectorEndsWithImpliedNameMatcher() throws {
        guard case .vectorSelector(let selector) = try parseExpr(#"http_requests{job="api", code=~"5.."}"#) else {
            Issue.record("expected a vector selector")
            return
        }
        #expect(selector.name == "http_requests")
        #expect(selector.matchers.map(\.description) == [#"job="api""#, #"code=~"5..""#, #"__name__="http_requests""#])
        #expect(selector.matchers[1].matches("503"))
        #expect(!selector.matchers[1].matches("200"))
        #expect(selector.offset == 0)
        #expect(selector.at == .none)
    }

    @Test func selectorWithoutNameKeepsOnlyItsMatchers() throws {
        guard case .vectorSelector(let selector) = try parseExpr(#"{__name__=~"a.*"}"#) else {
            Issue.record("expected a vector selector")
            return
        }
        #expect(selector.name == nil)
        #expect(selector.matchers.count == 1)
        #expect(selector.matchers[0].type == .regexMatch)
    }

    @Test func offsetAndAtMayComeInEitherOrder() throws {
        let expected = selector("foo", offset: -300_000, at: .time(1_500))
        #expect(try parseExpr("foo offset -5m @ 1.5") == expected)
        #expect(try parseExpr("foo @ 1.5 offset -5m") == expected)
        #expect(try parseExpr("foo @ start()") == selector("foo", at: .start))
        #expect(try parseExpr("foo @ END()") == selector("foo", at: .end))
    }

    @Test func matrixSelectorKeepsModifiersOnItsVectorSelector() throws {
        guard case .matrixSelector(let matrix) = try parseExpr("foo[1h30m] @ 100 offset 1d") else {
            Issue.record("expected a matrix selector")
            return
        }
        #expect(matrix.range == 5_400_000)
        #expect(matrix.vectorSelector.offset == 86_400_000)
        #expect(matrix.vectorSelector.at == .time(100_000))
        #expect(try parseExpr("foo[1h30m] @ 100 offset 1d").type == .rangeVector)
    }

    @Test func subqueryStepIsOptional() throws {
        guard case .subquery(let withStep) = try parseExpr("rate(x[5m])[30m:1m] offset 1m"),
            case .subquery(let withoutStep) = try parseExpr("x[30m:]")
        else {
            Issue.record("expected subqueries")
            return
        }
        #expect(withStep.range == 1_800_000)
        #expect(withStep.step == 60_000)
        #expect(withStep.offset == 60_000)
        #expect(withoutStep.step == nil)
        #expect(withoutStep.expr == selector("x"))
    }

    @Test func vectorMatchingIsNormalized() throws {
        guard case .binary(let grouped) = try parseExpr("a * on(job, instance) group_left(team) b"),
            case .binary(let setOperation) = try parseExpr("a and ignoring(x) b"),
            case .binary(let withScalar) = try parseExpr("a + on() 1")
        else {
            Issue.record("expected binary expressions")
            return
        }
        #expect(grouped.matching == VectorMatching(card: .manyToOne, on: true, labels: ["job", "instance"], include: ["team"]))
        #expect(setOperation.matching == VectorMatching(card: .manyToMany, on: false, labels: ["x"]))
        #expect(withScalar.matching == nil)
        #expect(try parseExpr("1 + 2").type == .scalar)
        #expect(try parseExpr("1 + a").type == .instantVector)
    }

    @Test func aggregationKeepsParameterAndGrouping() throws {
        guard case .aggregation(let topk) = try parseExpr("topk(3, x) without (a, b)"),
            case .aggregation(let countValues) = try parseExpr(#"COUNT_VALUES BY (job) ("value", x)"#)
        else {
            Issue.record("expected aggregations")
            return
        }
        #expect(topk.op == .topk)
        #expect(topk.param == number(3))
        #expect(topk.expr == selector("x"))
        #expect(topk.grouping == ["a", "b"])
        #expect(topk.without)
        #expect(countValues.op == .countValues)
        #expect(countValues.param == .string(StringLiteral("value")))
        #expect(countValues.grouping == ["job"])
        #expect(!countValues.without)
    }

    @Test func keywordsServeAsLabelAndMetricNames() throws {
        guard case .aggregation(let sum) = try parseExpr("sum by (and, offset, bool, start) (x)") else {
            Issue.record("expected an aggregation")
            return
        }
        #expect(sum.grouping == ["and", "offset", "bool", "start"])
        #expect(try parseExpr("sum") == selector("sum"))
        #expect(try parseExpr("offset + by") == binary(.add, selector("offset"), selector("by")))
        #expect(try parseExpr("Inf") == number(.infinity))
    }

    @Test func positionsCoverTheSource() throws {
        let expr = try parseExpr("sum(rate(x[5m])) by (job) + 1")
        #expect(expr.positionRange == PositionRange(start: 0, end: 29))
        guard case .binary(let node) = expr, case .aggregation(let sum) = node.lhs, case .call(let rate) = sum.expr else {
            Issue.record("unexpected shape")
            return
        }
        #expect(sum.positionRange == PositionRange(start: 0, end: 25))
        #expect(rate.positionRange == PositionRange(start: 4, end: 15))
        #expect(rate.args[0].positionRange == PositionRange(start: 9, end: 14))
        #expect(node.rhs.positionRange == PositionRange(start: 28, end: 29))
        #expect(expr.children.count == 2)
    }

    @Test func stringLiteralsDecodeGoEscapes() throws {
        #expect(try parseExpr(#""a\tb\n\\\"\x41\101\u00e9\U0001F600""#) == .string(StringLiteral("a\tb\n\\\"AAé😀")))
        #expect(try parseExpr(#"'it\'s'"#) == .string(StringLiteral("it's")))
        #expect(try parseExpr(#"`raw\n`"#) == .string(StringLiteral(#"raw\n"#)))
        #expect(try parseExpr(#""\xc3\xa9""#) == .string(StringLiteral("é")))
    }

    @Test func equalityIgnoresPositionsAndMatcherOrder() throws {
        #expect(try parseExpr(#"foo{b="2",a="1"}"#) == parseExpr(#"  foo{ a="1", b="2" }"#))
        #expect(try parseExpr("NaN") == parseExpr("-NaN"))
        #expect(try parseExpr("foo offset 5m") != parseExpr("foo offset 6m"))
    }
}

// MARK: - Functions

struct ParserFunctionTests {
    @Test(arguments: ParserCases.functionCalls)
    func functionCallIsCheckedLikePrometheus(input: String, ok: Bool, output: String) {
        do {
            let expr = try parseExpr(input)
            #expect(ok, "Prometheus rejects \(input): \(output)")
            #expect(expr.description == output)
        } catch {
            #expect(!ok, "Prometheus accepts \(input)")
            #expect(error.description == output)
        }
    }

    @Test func tableHasEveryFunctionOfPrometheus242() {
        #expect(Function.all.count == ParserCases.signatures.count)
        for signature in ParserCases.signatures {
            let function = Function.named(signature.name)
            #expect(function?.argTypes == signature.args, "\(signature.name)")
            #expect(function?.variadic == signature.variadic, "\(signature.name)")
            #expect(function?.returnType == signature.returns, "\(signature.name)")
        }
    }

    @Test func functionNamesAreCaseSensitive() {
        #expect(parseError("RATE(x[5m])")?.description == #"1:1: parse error: unknown function with name "RATE""#)
    }

    @Test func callTypeIsTheReturnType() throws {
        #expect(try parseExpr("scalar(x)").type == .scalar)
        #expect(try parseExpr("time()").type == .scalar)
        #expect(try parseExpr("rate(x[5m])").type == .instantVector)
        #expect(try parseExpr(#"label_join(x, "d", ",", "a", "b", "c", "e")"#).type == .instantVector)
    }
}

// MARK: - Durations

struct ParserDurationTests {
    @Test(arguments: [
        ("1h30m", 5_400_000), ("5m", 300_000), ("1d", 86_400_000), ("1w", 604_800_000), ("1y", 31_536_000_000),
        ("500ms", 500), ("1s500ms", 1500), ("0", 0), ("0s", 0), ("1y2w3d4h5m6s7ms", 33_019_506_007),
    ] as [(String, Int64)])
    func parsesDurations(text: String, milliseconds: Int64) throws {
        #expect(try parseDuration(text) == milliseconds)
    }

    @Test(arguments: [
        ("5m1h", #"not a valid duration string: "5m1h""#), ("1hs", #"not a valid duration string: "1hs""#),
        ("5", #"not a valid duration string: "5""#), ("1.5m", #"not a valid duration string: "1.5m""#),
        ("", "empty duration string"), ("300y", "duration out of range"),
        ("99999999999999999999s", "duration out of range"),
    ])
    func rejectsBadDurations(text: String, message: String) {
        #expect(throws: PromQLParseError.self) { try parseDuration(text) }
        do {
            _ = try parseDuration(text)
        } catch {
            #expect(error.message == message)
            #expect(error.code == .invalidValue)
        }
    }

    @Test(arguments: [
        (5_400_000, "1h30m"), (86_400_000 * 14, "2w"), (86_400_000 * 90, "90d"), (31_536_000_000, "1y"),
        (1500, "1s500ms"), (0, "0s"), (-300_000, "-5m"),
    ] as [(Int64, String)])
    func formatsDurationsLikePrometheus(milliseconds: Int64, text: String) {
        #expect(formatDuration(milliseconds) == text)
    }
}

// MARK: - Errors

struct ParserErrorTests {
    @Test func errorsReportLineAndColumn() {
        let error = parseError("foo\n  +\n  * 2")
        #expect(error?.line == 3)
        #expect(error?.column == 3)
        #expect(error?.positionRange.start == 10)
        #expect(error?.code == .syntax)
        #expect(error?.description == "3:3: parse error: unexpected <op:*>")
    }

    @Test func columnsCountBytesLikePrometheus() {
        // "é" is two UTF-8 bytes, so the selector starts at column 9, as Prometheus reports.
        #expect(parseError(#""é" == {}"#)?.position.column == 9)
    }

    @Test func badRegexIsReportedAtTheMatcher() {
        let error = parseError(#"foo{job=~"(unclosed"}"#)
        #expect(error?.line == 1)
        #expect(error?.column == 5)
        #expect(error?.code == .invalidValue)
        #expect(error?.cause is MatcherError)
        #expect(error?.message.contains("(unclosed") == true)
    }

    @Test func typeErrorsComeAfterSyntaxErrors() {
        // `rate(x)` alone is a type error, but the syntax error later in the input wins.
        #expect(parseError("rate(x) +")?.description == "1:10: parse error: unexpected end of input")
        #expect(parseError("rate(x)")?.code == .type)
    }

    @Test func deepTreesAreRefusedInsteadOfExhaustingTheStack() throws {
        let chain = Array(repeating: "x", count: 500).joined(separator: " + ")
        #expect(try parseExpr(chain).description == chain)
        let longChain = Array(repeating: "x", count: 10_000).joined(separator: " + ")
        #expect(parseError(longChain)?.message == "expression is nested too deeply (more than 512 levels)")
        let parens = String(repeating: "(", count: 10_000) + "x" + String(repeating: ")", count: 10_000)
        #expect(parseError(parens)?.position.column == 513)
    }

    @Test func errorsInsideAggregationsNameTheAggregation() {
        #expect(parseError("sum(rate(x[5m]) foo)")?.description == #"1:17: parse error: unexpected identifier "foo" in aggregation"#)
        #expect(parseError("rate(x[5m] foo)")?.description == #"1:12: parse error: unexpected identifier "foo""#)
    }
}

// MARK: - Known deviations from Prometheus

struct ParserDeviationTests {
    @Test func emptyIgnoringIsPrintedWhenItCarriesGroupLeft() throws {
        // Prometheus prints `a + b`, which would re-parse as one-to-one matching.
        let expr = try parseExpr("a + ignoring() group_left() b")
        #expect(expr.description == "a + ignoring () group_left () b")
        #expect(try parseExpr(expr.description) == expr)
    }

    @Test func invalidUTF8FromEscapesBecomesReplacementCharacter() throws {
        // Go keeps the raw byte 0xff and prints `\xff`; a Swift String cannot hold it.
        let expr = try parseExpr(#"foo{a="\xff"}"#)
        #expect(expr.description == #"foo{a="\ufffd"}"#)
        #expect(try parseExpr(expr.description) == expr)
    }
}
