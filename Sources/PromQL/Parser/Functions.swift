/// Function is the signature of a PromQL function, used for parse-time type checking.
public struct Function: Sendable, Hashable {
    public let name: String
    public let argTypes: [ValueType]
    /// variadic is 0 for a fixed arity, n > 0 when up to n trailing arguments may be left out
    /// (`round(x)`, `hour()`), and -1 when the last argument type repeats without bound (`label_join`).
    public let variadic: Int
    public let returnType: ValueType

    public init(name: String, argTypes: [ValueType], variadic: Int = 0, returnType: ValueType) {
        self.name = name
        self.argTypes = argTypes
        self.variadic = variadic
        self.returnType = returnType
    }

    /// named looks a function up by its exact, case-sensitive name.
    public static func named(_ name: String) -> Function? { all[name] }

    /// all is every function of Prometheus 2.42, keyed by name.
    ///
    /// It includes the experimental native-histogram functions (`histogram_count`,
    /// `histogram_sum`, `histogram_fraction`) because 2.42's parser accepts them.
    public static let all: [String: Function] = {
        let v = ValueType.instantVector, m = ValueType.rangeVector, s = ValueType.scalar, str = ValueType.string
        var table: [String: Function] = [:]
        func add(_ name: String, _ args: [ValueType], variadic: Int = 0, returns: ValueType = v) {
            table[name] = Function(name: name, argTypes: args, variadic: variadic, returnType: returns)
        }
        // Per-sample math on an instant vector.
        for name in [
            "abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "timestamp", "sort", "sort_desc",
            "absent", "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh",
            "deg", "rad", "histogram_count", "histogram_sum",
        ] {
            add(name, [v])
        }
        // Functions over a range vector.
        for name in [
            "rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes", "absent_over_time",
            "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
            "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time",
        ] {
            add(name, [m])
        }
        // Date functions default to the evaluation time when called without an argument.
        for name in ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"] {
            add(name, [v], variadic: 1)
        }
        add("clamp", [v, s, s])
        add("clamp_max", [v, s])
        add("clamp_min", [v, s])
        add("round", [v, s], variadic: 1)
        add("predict_linear", [m, s])
        add("holt_winters", [m, s, s])
        add("quantile_over_time", [s, m])
        add("histogram_quantile", [s, v])
        add("histogram_fraction", [s, s, v])
        add("label_replace", [v, str, str, str, str])
        add("label_join", [v, str, str, str], variadic: -1)
        add("vector", [s])
        add("scalar", [v], returns: s)
        add("time", [], returns: s)
        add("pi", [], returns: s)
        return table
    }()
}
