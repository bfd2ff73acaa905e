import TSDB

/// PromQLTestScript is a parsed Prometheus engine test script (`promql/testdata/*.test`).
///
/// The format: `load <step>` followed by series in expanding notation (`0+10x5`, `1x3`,
/// `_`, `_x2`, `stale`, `Inf`, `NaN`), `eval[_ordered|_fail] instant at <time> <expr>`
/// followed by the expected samples or a scalar, and `clear`. A blank line ends a block;
/// `#` starts a comment line. Parsing follows Prometheus 2.42's `promql/test.go`.
public struct PromQLTestScript: Sendable {
    public var name: String
    public var commands: [Command]

    public enum Command: Sendable {
        case load(Load)
        case clear(line: Int)
        case eval(Eval)
    }

    /// Load adds series whose i-th value is at `i * interval` milliseconds.
    public struct Load: Sendable {
        public var line: Int
        public var interval: Int64
        /// series are in definition order; a later definition of the same labels replaces an earlier one.
        public var series: [Series]
    }

    /// Eval is one instant query with its expected outcome.
    public struct Eval: Sendable {
        /// line is the 1-based line of the `eval` command, which identifies the block.
        public var line: Int
        public var expression: String
        public var expr: Expr
        public var time: Timestamp
        public var ordered: Bool
        public var shouldFail: Bool
        public var expected: Expected
    }

    /// Expected is a scalar or the samples of a vector; an empty vector expects no result.
    public enum Expected: Sendable {
        case scalar(Double)
        case vector([ExpectedSample])
    }

    public struct ExpectedSample: Sendable {
        public var labels: Labels
        public var value: Double
        /// position is the 1-based line offset within the block, checked by `eval_ordered`.
        public var position: Int
    }

    /// ParseError locates a malformed line: `file:line: message`.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public init(source: String, name: String) throws(ParseError) {
        self.name = name
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { raw -> Substring in
            let line = raw.trimmingWhitespace()
            return line.hasPrefix("#") ? "" : line
        }
        func fail(_ index: Int, _ message: String) -> ParseError { ParseError(file: name, line: index + 1, message: message) }
        var commands: [Command] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line.isEmpty {
                i += 1
                continue
            }
            let word = line.prefix { !$0.isWhitespace }.lowercased()
            if word == "clear" {
                commands.append(.clear(line: i + 1))
            } else if word == "load" {
                let text = line.dropFirst(4).trimmingWhitespace()
                let interval: Int64
                do { interval = try parseDuration(String(text)) } catch {
                    throw fail(i, "invalid step definition \(GoSyntax.quote(String(text))): \(error.message)")
                }
                let start = i
                var series: [Series] = []
                var positions: [Labels: Int] = [:]
                while i + 1 < lines.count, !lines[i + 1].isEmpty {
                    i += 1
                    let definition: SeriesDescription
                    do { definition = try SeriesDescription(lines[i]) } catch { throw fail(i, error.message) }
                    var samples: [Sample] = []
                    for (step, value) in definition.values.enumerated() {
                        // A long interval times many values can pass the largest timestamp; that is bad input, not a trap.
                        let (t, overflow) = Int64(step).multipliedReportingOverflow(by: interval)
                        if overflow { throw fail(i, "value \(step) of the series lies beyond the largest timestamp at step \(text)") }
                        if let value { samples.append(Sample(t: t, v: value)) }
                    }
                    if let position = positions[definition.labels] {
                        series[position].samples = samples
                    } else {
                        positions[definition.labels] = series.count
                        series.append(Series(labels: definition.labels, samples: samples))
                    }
                }
                commands.append(.load(Load(line: start + 1, interval: interval, series: series)))
            } else if word.hasPrefix("eval") {
                let (eval, next) = try Self.parseEval(lines, i, fail)
                commands.append(.eval(eval))
                i = next
            } else {
                throw fail(i, "invalid command \(GoSyntax.quote(String(line)))")
            }
            i += 1
        }
        self.commands = commands
    }

    /// parseEval reads an eval command and its expectations; returns the index of its last line.
    private static func parseEval(
        _ lines: [Substring], _ start: Int, _ fail: (Int, String) -> ParseError
    ) throws(ParseError) -> (Eval, Int) {
        var rest = lines[start]
        let command = rest.prefix { !$0.isWhitespace }
        rest = rest.dropFirst(command.count).trimmingWhitespace()
        var ordered = false, shouldFail = false
        switch command {
        case "eval": break
        case "eval_ordered": ordered = true
        case "eval_fail": shouldFail = true
        default: throw fail(start, "invalid evaluation command. (eval[_fail|_ordered] instant [at <offset:duration>] <query>")
        }
        guard rest.hasPrefix("instant") else {
            throw fail(start, "invalid evaluation command. (eval[_fail|_ordered] instant [at <offset:duration>] <query>")
        }
        rest = rest.dropFirst("instant".count).trimmingWhitespace()
        var time: Timestamp = 0
        if rest.hasPrefix("at"), rest.dropFirst(2).first?.isWhitespace == true {
            rest = rest.dropFirst(2).trimmingWhitespace()
            let text = rest.prefix { !$0.isWhitespace }
            rest = rest.dropFirst(text.count).trimmingWhitespace()
            do { time = try parseDuration(String(text)) } catch {
                throw fail(start, "invalid step definition \(GoSyntax.quote(String(text))): \(error.message)")
            }
        }
        let expression = String(rest)
        let expr: Expr
        do { expr = try parseExpr(expression) } catch { throw fail(start, error.description) }

        var samples: [ExpectedSample] = []
        var scalar: Double?
        var i = start
        var position = 1
        while i + 1 < lines.count, !lines[i + 1].isEmpty {
            i += 1
            if let number = parseGoNumber(String(lines[i])) {
                scalar = number
                break
            }
            let definition: SeriesDescription
            do { definition = try SeriesDescription(lines[i]) } catch { throw fail(i, error.message) }
            guard definition.values.count <= 1 else {
                throw fail(i, "expecting multiple values in instant evaluation not allowed")
            }
            let value = definition.values.first.flatMap { $0 } ?? 0
            samples.removeAll { $0.labels == definition.labels }
            samples.append(ExpectedSample(labels: definition.labels, value: value, position: position))
            position += 1
        }
        let expected: Expected = scalar.map { .scalar($0) } ?? .vector(samples)
        let eval = Eval(
            line: start + 1, expression: expression, expr: expr, time: time, ordered: ordered, shouldFail: shouldFail,
            expected: expected)
        return (eval, i)
    }
}

/// parseGoNumber is the test format's scalar syntax: Go's `ParseInt(s, 0, 64)`, else `ParseFloat`.
func parseGoNumber(_ text: String) -> Double? {
    var body = Substring(text)
    var negative = false
    if let first = body.first, first == "+" || first == "-" {
        negative = first == "-"
        body = body.dropFirst()
    }
    if case .success(let value) = GoSyntax.parseNumber(String(body)), !body.isEmpty, body.first != "+", body.first != "-" {
        return negative ? -value : value
    }
    return nil
}

extension Substring {
    /// trimmingWhitespace drops leading and trailing spaces and tabs.
    func trimmingWhitespace() -> Substring {
        var start = startIndex
        while start < endIndex && self[start].isWhitespace { formIndex(after: &start) }
        var end = endIndex
        while end > start && self[index(before: end)].isWhitespace { formIndex(before: &end) }
        return self[start..<end]
    }
}
