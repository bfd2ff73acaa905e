import TSDB

/// Printer renders expressions in Prometheus's canonical `String()` form, e.g.
/// `sum by (job) (rate(x[5m]))`, which alerts and the UI show to users.
///
/// Parsing the printout yields an equal expression. Keywords are lowercase, matchers are
/// sorted, numbers use Go's `%v` layout and strings Go's `%q` quoting.
extension Expr: CustomStringConvertible {
    public var description: String {
        switch self {
        case .number(let node): node.description
        case .string(let node): node.description
        case .vectorSelector(let node): node.description
        case .matrixSelector(let node): node.description
        case .subquery(let node): node.description
        case .unary(let node): node.description
        case .binary(let node): node.description
        case .aggregation(let node): node.description
        case .call(let node): node.description
        case .paren(let node): node.description
        }
    }
}

extension NumberLiteral: CustomStringConvertible {
    public var description: String { GoSyntax.formatFloat(value) }
}

extension StringLiteral: CustomStringConvertible {
    public var description: String { GoSyntax.quote(value) }
}

extension VectorSelector: CustomStringConvertible {
    public var description: String { selectorText + Printer.modifiers(at: at, offset: offset) }

    /// selectorText is the name and matchers without `@` and `offset`.
    var selectorText: String {
        let shown = matchers.filter { matcher in
            !(name != nil && matcher.name == Labels.metricName && matcher.type == .equal && matcher.value.utf8Equal(name ?? ""))
        }
        let rendered = shown.map { "\($0.name)\($0.type.rawValue)\(GoSyntax.quote($0.value))" }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if rendered.isEmpty { return name ?? "" }
        return (name ?? "") + "{" + rendered.joined(separator: ",") + "}"
    }
}

extension MatrixSelector: CustomStringConvertible {
    public var description: String {
        vectorSelector.selectorText + "[\(formatDuration(range))]"
            + Printer.modifiers(at: vectorSelector.at, offset: vectorSelector.offset)
    }
}

extension SubqueryExpr: CustomStringConvertible {
    public var description: String {
        "\(expr)[\(formatDuration(range)):\(step.map(formatDuration) ?? "")]" + Printer.modifiers(at: at, offset: offset)
    }
}

extension UnaryExpr: CustomStringConvertible {
    public var description: String { op.rawValue + expr.description }
}

extension BinaryExpr: CustomStringConvertible {
    public var description: String {
        var text = "\(lhs) \(op.rawValue)"
        if returnBool { text += " bool" }
        if let matching {
            // Prometheus omits an empty `ignoring ()` even before `group_left`, which changes the
            // meaning; it is kept here whenever the cardinality needs it.
            let grouped = matching.card == .manyToOne || matching.card == .oneToMany
            if matching.on || !matching.labels.isEmpty || grouped {
                text += " \(matching.on ? "on" : "ignoring") (\(matching.labels.joined(separator: ", ")))"
            }
            if grouped {
                let side = matching.card == .manyToOne ? "left" : "right"
                text += " group_\(side) (\(matching.include.joined(separator: ", ")))"
            }
        }
        return text + " \(rhs)"
    }
}

extension AggregateExpr: CustomStringConvertible {
    public var description: String {
        var text = op.rawValue
        if without {
            text += " without (\(grouping.joined(separator: ", "))) "
        } else if !grouping.isEmpty {
            text += " by (\(grouping.joined(separator: ", "))) "
        }
        text += "("
        if let param { text += "\(param), " }
        return text + "\(expr))"
    }
}

extension Call: CustomStringConvertible {
    public var description: String { "\(function.name)(\(args.map(\.description).joined(separator: ", ")))" }
}

extension ParenExpr: CustomStringConvertible {
    public var description: String { "(\(expr))" }
}

enum Printer {
    /// modifiers renders ` @ <t>` then ` offset <d>`, the order Prometheus prints them in.
    static func modifiers(at: AtModifier, offset: Int64) -> String {
        var text = ""
        switch at {
        case .none: break
        case .time(let milliseconds): text += " @ " + seconds(milliseconds)
        case .start: text += " @ start()"
        case .end: text += " @ end()"
        }
        if offset > 0 {
            text += " offset " + formatDuration(offset)
        } else if offset < 0 {
            text += " offset -" + formatDuration(-offset)
        }
        return text
    }

    /// seconds prints milliseconds as seconds with three decimals, like Go's `%.3f`.
    static func seconds(_ milliseconds: Int64) -> String {
        let magnitude = milliseconds.magnitude
        let fraction = String(magnitude % 1000)
        return (milliseconds < 0 ? "-" : "") + "\(magnitude / 1000)."
            + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
