import TSDB

extension Parser {
    /// check type-checks a parsed expression the way Prometheus's `checkAST` does and returns it
    /// with vector matching normalized.
    ///
    /// Normalizing means set operators get many-to-many matching and binary expressions with a
    /// scalar side lose their matching, so the evaluator can rely on `matching` alone. Errors are
    /// raised in Prometheus's order: children first, then the node's own rules.
    func check(_ expr: Expr) throws(PromQLParseError) -> Expr {
        // Each case delegates to a separate function so this recursive frame stays small.
        switch expr {
        case .number, .string: return expr
        case .vectorSelector, .matrixSelector: return try checkSelector(expr)
        case .subquery: return try checkSubquery(expr)
        case .paren: return try checkParen(expr)
        case .unary: return try checkUnary(expr)
        case .call: return try checkCall(expr)
        case .aggregation: return try checkAggregation(expr)
        case .binary: return try checkBinary(expr)
        }
    }

    @inline(never)
    private func checkSubquery(_ expr: Expr) throws(PromQLParseError) -> Expr {
        guard case .subquery(var subquery) = expr else { return expr }
        subquery.expr = try check(subquery.expr)
        guard subquery.expr.type == .instantVector else {
            throw error(
                .type, "subquery is only allowed on instant vector, got \(subquery.expr.type.internalName) instead",
                subquery.positionRange)
        }
        return .subquery(subquery)
    }

    @inline(never)
    private func checkParen(_ expr: Expr) throws(PromQLParseError) -> Expr {
        guard case .paren(var paren) = expr else { return expr }
        paren.expr = try check(paren.expr)
        return .paren(paren)
    }

    @inline(never)
    private func checkUnary(_ expr: Expr) throws(PromQLParseError) -> Expr {
        guard case .unary(var unary) = expr else { return expr }
        unary.expr = try check(unary.expr)
        let type = unary.expr.type
        guard type == .scalar || type == .instantVector else {
            let got = GoSyntax.quote(type.rawValue)
            throw error(
                .type, "unary expression only allowed on expressions of type scalar or instant vector, got \(got)",
                unary.positionRange)
        }
        return .unary(unary)
    }

    @inline(never)
    private func checkAggregation(_ expr: Expr) throws(PromQLParseError) -> Expr {
        guard case .aggregation(var aggregation) = expr else { return expr }
        aggregation.expr = try expectType(aggregation.expr, .instantVector, in: "aggregation expression")
        switch aggregation.op {
        case .topk, .bottomk, .quantile:
            aggregation.param = try expectType(aggregation.param!, .scalar, in: "aggregation parameter")
        case .countValues:
            aggregation.param = try expectType(aggregation.param!, .string, in: "aggregation parameter")
        default:
            break
        }
        return .aggregation(aggregation)
    }

    private func expectType(_ expr: Expr, _ want: ValueType, in context: String) throws(PromQLParseError) -> Expr {
        let checked = try check(expr)
        guard checked.type == want else {
            throw error(.type, "expected type \(want) in \(context), got \(checked.type)", checked.positionRange)
        }
        return checked
    }

    @inline(never)
    private func checkSelector(_ expr: Expr) throws(PromQLParseError) -> Expr {
        switch expr {
        case .vectorSelector(let selector): try checkSelector(selector)
        case .matrixSelector(let matrix): try checkSelector(matrix.vectorSelector)
        default: break
        }
        return expr
    }

    private func checkSelector(_ selector: VectorSelector) throws(PromQLParseError) {
        if let name = selector.name {
            // The last matcher is the one implied by the name.
            for matcher in selector.matchers.dropLast() where matcher.name == Labels.metricName {
                throw error(
                    .type,
                    "metric name must not be set twice: \(GoSyntax.quote(name)) or \(GoSyntax.quote(matcher.value))",
                    selector.positionRange)
            }
            return
        }
        // Refuse selectors that would match every series, which is usually a typo.
        guard selector.matchers.contains(where: { !$0.matchesEmpty }) else {
            throw error(.type, "vector selector must contain at least one non-empty matcher", selector.positionRange)
        }
    }

    @inline(never)
    private func checkCall(_ expr: Expr) throws(PromQLParseError) -> Expr {
        guard case .call(var call) = expr else { return expr }
        let function = call.function
        let declared = function.argTypes.count
        let quotedName = GoSyntax.quote(function.name)
        if function.variadic == 0 {
            if declared != call.args.count {
                throw error(
                    .type, "expected \(declared) argument(s) in call to \(quotedName), got \(call.args.count)",
                    call.positionRange)
            }
        } else {
            let required = declared - 1
            if required > call.args.count {
                throw error(
                    .type, "expected at least \(required) argument(s) in call to \(quotedName), got \(call.args.count)",
                    call.positionRange)
            }
            if function.variadic > 0, required + function.variadic < call.args.count {
                throw error(
                    .type,
                    "expected at most \(required + function.variadic) argument(s) in call to \(quotedName), got \(call.args.count)",
                    call.positionRange)
            }
        }
        for index in call.args.indices {
            let type = function.argTypes[min(index, declared - 1)]
            call.args[index] = try expectType(call.args[index], type, in: "call to function \(quotedName)")
        }
        return .call(call)
    }

    @inline(never)
    private func checkBinary(_ expr: Expr) throws(PromQLParseError) -> Expr {
        guard case .binary(var binary) = expr else { return expr }
        binary.lhs = try check(binary.lhs)
        binary.rhs = try check(binary.rhs)
        let lhsType = binary.lhs.type
        let rhsType = binary.rhs.type
        let op = binary.op
        let quotedOp = GoSyntax.quote(op.rawValue)

        if binary.returnBool && !op.isComparison {
            throw error(.type, "bool modifier can only be used on comparison operators", operatorRange(binary))
        }
        if op.isComparison && !binary.returnBool && lhsType == .scalar && rhsType == .scalar {
            throw error(.type, "comparisons between scalars must use BOOL modifier", operatorRange(binary))
        }
        var matching = binary.matching ?? VectorMatching()
        if op.isSetOperator && matching.card == .oneToOne { matching.card = .manyToMany }
        if matching.on, let label = matching.labels.first(where: matching.include.contains) {
            throw error(
                .type, "label \(GoSyntax.quote(label)) must not occur in ON and GROUP clause at once",
                operatorRange(binary))
        }
        for side in [binary.lhs, binary.rhs] where side.type != .scalar && side.type != .instantVector {
            throw error(.type, "binary expression must contain only scalar and instant vector types", side.positionRange)
        }
        if lhsType != .instantVector || rhsType != .instantVector {
            if !matching.labels.isEmpty {
                throw error(.type, "vector matching only allowed between instant vectors", binary.positionRange)
            }
            binary.matching = nil
        } else {
            if op.isSetOperator {
                if matching.card == .oneToMany || matching.card == .manyToOne {
                    throw error(.type, "no grouping allowed for \(quotedOp) operation", binary.positionRange)
                }
                if matching.card != .manyToMany {
                    throw error(.type, "set operations must always be many-to-many", binary.positionRange)
                }
            }
            binary.matching = matching
        }
        if (lhsType == .scalar || rhsType == .scalar) && op.isSetOperator {
            throw error(.type, "set operator \(quotedOp) not allowed in binary scalar expression", binary.positionRange)
        }
        return .binary(binary)
    }

    /// operatorRange is the span between the operands, trimmed of whitespace, where Prometheus
    /// reports errors about the operator and its modifiers.
    private func operatorRange(_ binary: BinaryExpr) -> PositionRange {
        var start = binary.lhs.positionRange.end
        while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
        return PositionRange(start: start, end: max(start, binary.rhs.positionRange.start))
    }
}
