import TSDB

/// ValueType is the type of a PromQL expression, named as the Prometheus documentation names it.
public enum ValueType: String, Sendable, Hashable, CustomStringConvertible {
    case scalar
    case instantVector = "instant vector"
    case rangeVector = "range vector"
    case string

    public var description: String { rawValue }

    /// internalName is Prometheus's internal spelling, which leaks into a few of its messages.
    var internalName: String {
        switch self {
        case .scalar: "scalar"
        case .instantVector: "vector"
        case .rangeVector: "matrix"
        case .string: "string"
        }
    }
}

/// Expr is a parsed PromQL expression.
///
/// Every node carries the byte range it was parsed from. Equality ignores those ranges, so an
/// expression equals the re-parse of its printout and a reformatted rule compares as unchanged.
public indirect enum Expr: Sendable, Equatable {
    case number(NumberLiteral)
    case string(StringLiteral)
    case vectorSelector(VectorSelector)
    case matrixSelector(MatrixSelector)
    case subquery(SubqueryExpr)
    case unary(UnaryExpr)
    case binary(BinaryExpr)
    case aggregation(AggregateExpr)
    case call(Call)
    case paren(ParenExpr)

    /// type is the value type the expression evaluates to, as Prometheus infers it at parse time.
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .vectorSelector: .instantVector
        case .matrixSelector, .subquery: .rangeVector
        case .unary(let node): node.expr.type
        case .paren(let node): node.expr.type
        case .binary(let node): node.lhs.type == .scalar && node.rhs.type == .scalar ? .scalar : .instantVector
        case .aggregation: .instantVector
        case .call(let node): node.function.returnType
        }
    }

    /// positionRange is the byte range of the node in the parsed input.
    public var positionRange: PositionRange {
        switch self {
        case .number(let node): node.positionRange
        case .string(let node): node.positionRange
        case .vectorSelector(let node): node.positionRange
        case .matrixSelector(let node): node.positionRange
        case .subquery(let node): node.positionRange
        case .unary(let node): node.positionRange
        case .binary(let node): node.positionRange
        case .aggregation(let node): node.positionRange
        case .call(let node): node.positionRange
        case .paren(let node): node.positionRange
        }
    }

    /// maxDepth is the deepest tree `parseExpr` builds; deeper input is a parse error.
    ///
    /// Prometheus has no limit because Go stacks grow; Swift threads have fixed stacks and every
    /// pass over the tree (type check, printing, evaluation) recurses, so absurdly deep input
    /// is rejected instead of crashing the process. Real queries stay far below this.
    public static let maxDepth = 512

    /// children are the direct sub-expressions in source order, for walks over the tree.
    public var children: [Expr] {
        switch self {
        case .number, .string, .vectorSelector: []
        case .matrixSelector(let node): [.vectorSelector(node.vectorSelector)]
        case .subquery(let node): [node.expr]
        case .unary(let node): [node.expr]
        case .paren(let node): [node.expr]
        case .binary(let node): [node.lhs, node.rhs]
        case .aggregation(let node): (node.param.map { [$0] } ?? []) + [node.expr]
        case .call(let node): node.args
        }
    }
}

/// AtModifier is the `@` modifier of a selector or subquery.
public enum AtModifier: Sendable, Hashable {
    case none
    /// time pins evaluation to a Unix time in milliseconds.
    case time(Timestamp)
    /// start pins evaluation to the start of the query range (`@ start()`).
    case start
    /// end pins evaluation to the end of the query range (`@ end()`).
    case end
}

/// NumberLiteral is a float literal; a leading `-` or `+` is folded into it as Prometheus does.
public struct NumberLiteral: Sendable, Equatable {
    public var value: Double
    public var positionRange: PositionRange

    public init(_ value: Double, positionRange: PositionRange = .init(start: 0, end: 0)) {
        self.value = value
        self.positionRange = positionRange
    }

    /// == treats NaN as equal to NaN so that `NaN` round-trips through the printer.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.value.bitPattern == rhs.value.bitPattern || (lhs.value.isNaN && rhs.value.isNaN)
    }
}

/// StringLiteral is an unquoted string literal.
public struct StringLiteral: Sendable, Equatable {
    public var value: String
    public var positionRange: PositionRange

    public init(_ value: String, positionRange: PositionRange = .init(start: 0, end: 0)) {
        self.value = value
        self.positionRange = positionRange
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.value.utf8Equal(rhs.value) }
}

/// VectorSelector selects series by label matchers, e.g. `http_requests_total{job="api"} offset 5m`.
///
/// When the selector names a metric, `matchers` ends with the implied `__name__="<name>"`
/// matcher, so evaluation only needs `matchers`.
public struct VectorSelector: Sendable, Equatable {
    public var name: String?
    public var matchers: [Matcher]
    /// offset is the `offset` modifier in milliseconds; negative offsets look ahead.
    public var offset: Int64
    public var at: AtModifier
    public var positionRange: PositionRange

    public init(
        name: String?, matchers: [Matcher], offset: Int64 = 0, at: AtModifier = .none,
        positionRange: PositionRange = .init(start: 0, end: 0)
    ) {
        self.name = name
        self.matchers = matchers
        self.offset = offset
        self.at = at
        self.positionRange = positionRange
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name.map { ByteString($0) } == rhs.name.map { ByteString($0) } && lhs.offset == rhs.offset && lhs.at == rhs.at
            && sortedMatcherKeys(lhs.matchers) == sortedMatcherKeys(rhs.matchers)
    }

    /// sortedMatcherKeys makes equality ignore matcher order, which the printer normalizes.
    private static func sortedMatcherKeys(_ matchers: [Matcher]) -> [[ByteString]] {
        matchers.map { [ByteString($0.name), ByteString($0.type.rawValue), ByteString($0.value)] }
            .sorted { $0.lexicographicallyPrecedes($1) }
    }
}

/// MatrixSelector is a range selector such as `x[5m]`; its offset and `@` live on `vectorSelector`.
public struct MatrixSelector: Sendable, Equatable {
    public var vectorSelector: VectorSelector
    /// range is the window length in milliseconds.
    public var range: Int64
    public var positionRange: PositionRange

    public init(vectorSelector: VectorSelector, range: Int64, positionRange: PositionRange = .init(start: 0, end: 0)) {
        self.vectorSelector = vectorSelector
        self.range = range
        self.positionRange = positionRange
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.vectorSelector == rhs.vectorSelector && lhs.range == rhs.range
    }
}

/// SubqueryExpr evaluates an instant-vector expression over a range: `expr[30m:1m]`.
public struct SubqueryExpr: Sendable, Equatable {
    public var expr: Expr
    /// range is the window length in milliseconds.
    public var range: Int64
    /// step is the resolution in milliseconds; nil (`[30m:]`) means the engine's default interval.
    public var step: Int64?
    public var offset: Int64
    public var at: AtModifier
    public var positionRange: PositionRange

    public init(
        expr: Expr, range: Int64, step: Int64?, offset: Int64 = 0, at: AtModifier = .none,
        positionRange: PositionRange = .init(start: 0, end: 0)
    ) {
        self.expr = expr
        self.range = range
        self.step = step
        self.offset = offset
        self.at = at
        self.positionRange = positionRange
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.expr == rhs.expr && lhs.range == rhs.range && lhs.step == rhs.step
            && lhs.offset == rhs.offset && lhs.at == rhs.at
    }
}

/// UnaryOperator is a prefix sign.
public enum UnaryOperator: String, Sendable, Hashable {
    case plus = "+"
    case minus = "-"
}

/// UnaryExpr is `-expr` or `+expr` on anything but a number literal (those are folded).
public struct UnaryExpr: Sendable, Equatable {
    public var op: UnaryOperator
    public var expr: Expr
    public var positionRange: PositionRange

    public init(op: UnaryOperator, expr: Expr, positionRange: PositionRange = .init(start: 0, end: 0)) {
        self.op = op
        self.expr = expr
        self.positionRange = positionRange
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.op == rhs.op && lhs.expr == rhs.expr }
}

/// BinaryOperator is an infix operator; its raw value is the canonical spelling.
public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^", atan2
    case eql = "==", neq = "!=", lte = "<=", lss = "<", gte = ">=", gtr = ">"
    case and, or, unless

    /// precedence orders operators from `or` (1) to `^` (6); only `^` is right-associative.
    public var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .eql, .neq, .lte, .lss, .gte, .gtr: 3
        case .add, .sub: 4
        case .mul, .div, .mod, .atan2: 5
        case .pow: 6
        }
    }

    public var isComparison: Bool { precedence == 3 }
    public var isSetOperator: Bool { self == .and || self == .or || self == .unless }
}

/// VectorMatching describes how the series of two instant vectors are paired.
public struct VectorMatching: Sendable, Hashable {
    /// Cardinality is the matching mode; set operators are always many-to-many.
    public enum Cardinality: Sendable, Hashable {
        case oneToOne, manyToOne, oneToMany, manyToMany
    }

    public var card: Cardinality
    /// on is true for `on(…)`, false for `ignoring(…)` or no clause.
    public var on: Bool
    /// labels are the labels listed in `on(…)` or `ignoring(…)`.
    public var labels: [String]
    /// include are the extra labels of `group_left(…)` / `group_right(…)`.
    public var include: [String]

    public init(card: Cardinality = .oneToOne, on: Bool = false, labels: [String] = [], include: [String] = []) {
        self.card = card
        self.on = on
        self.labels = labels
        self.include = include
    }
}

/// BinaryExpr applies an operator to two operands.
///
/// `matching` is nil unless both operands are instant vectors, as in Prometheus.
public struct BinaryExpr: Sendable, Equatable {
    public var op: BinaryOperator
    public var lhs: Expr
    public var rhs: Expr
    /// returnBool is the `bool` modifier: comparisons yield 0/1 instead of filtering.
    public var returnBool: Bool
    public var matching: VectorMatching?
    public var positionRange: PositionRange

    public init(
        op: BinaryOperator, lhs: Expr, rhs: Expr, returnBool: Bool = false, matching: VectorMatching? = nil,
        positionRange: PositionRange = .init(start: 0, end: 0)
    ) {
        self.op = op
        self.lhs = lhs
        self.rhs = rhs
        self.returnBool = returnBool
        self.matching = matching
        self.positionRange = positionRange
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.op == rhs.op && lhs.lhs == rhs.lhs && lhs.rhs == rhs.rhs && lhs.returnBool == rhs.returnBool
            && lhs.matching == rhs.matching
    }
}

/// AggregateOp is an aggregation operator; its raw value is the canonical spelling.
public enum AggregateOp: String, Sendable, Hashable, CaseIterable {
    case sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk
    case countValues = "count_values"
    case quantile

    /// hasParameter is true for the operators whose first argument is a parameter.
    public var hasParameter: Bool {
        self == .topk || self == .bottomk || self == .countValues || self == .quantile
    }
}

/// AggregateExpr is an aggregation such as `sum by (job) (x)` or `topk(3, x)`.
public struct AggregateExpr: Sendable, Equatable {
    public var op: AggregateOp
    public var expr: Expr
    /// param is the scalar of topk/bottomk/quantile or the label-name string of count_values.
    public var param: Expr?
    public var grouping: [String]
    /// without is true for `without (…)`; false for `by (…)` or no clause.
    public var without: Bool
    public var positionRange: PositionRange

    public init(
        op: AggregateOp, expr: Expr, param: Expr? = nil, grouping: [String] = [], without: Bool = false,
        positionRange: PositionRange = .init(start: 0, end: 0)
    ) {
        self.op = op
        self.expr = expr
        self.param = param
        self.grouping = grouping
        self.without = without
        self.positionRange = positionRange
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.op == rhs.op && lhs.expr == rhs.expr && lhs.param == rhs.param && lhs.grouping == rhs.grouping
            && lhs.without == rhs.without
    }
}

/// Call is a function call such as `rate(x[5m])`.
public struct Call: Sendable, Equatable {
    public var function: Function
    public var args: [Expr]
    public var positionRange: PositionRange

    public init(function: Function, args: [Expr], positionRange: PositionRange = .init(start: 0, end: 0)) {
        self.function = function
        self.args = args
        self.positionRange = positionRange
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.function == rhs.function && lhs.args == rhs.args }
}

/// ParenExpr keeps explicit parentheses so the printer reproduces them.
public struct ParenExpr: Sendable, Equatable {
    public var expr: Expr
    public var positionRange: PositionRange

    public init(_ expr: Expr, positionRange: PositionRange = .init(start: 0, end: 0)) {
        self.expr = expr
        self.positionRange = positionRange
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.expr == rhs.expr }
}
