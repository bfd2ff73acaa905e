import Foundation
import Testing

@testable import PromQL

/// EvalCase is one `eval*` line of Prometheus's own engine tests (`../shared/conformance/promql/*.test`).
struct EvalCase: Sendable, CustomTestStringConvertible {
    var file: String
    var line: Int
    /// kind is `eval`, `eval_ordered` or `eval_fail`.
    var kind: String
    var expression: String

    var testDescription: String { "\(file):\(line) \(expression)" }

    /// all reads every eval line of Prometheus 2.42's test scripts in `../shared/conformance/promql`.
    static let all: [EvalCase] = {
        let directory = SharedConformance.directory.appendingPathComponent("promql")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var cases: [EvalCase] = []
        for file in files.filter({ $0.hasSuffix(".test") }).sorted() {
            let text = try! String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if let parsed = parse(rawLine.trimmingCharacters(in: .whitespaces)) {
                    cases.append(EvalCase(file: file, line: index + 1, kind: parsed.kind, expression: parsed.expression))
                }
            }
        }
        return cases
    }()

    /// parse splits `eval[_fail|_ordered] instant at <time> <expr>` into its kind and expression.
    private static func parse(_ line: String) -> (kind: String, expression: String)? {
        var rest = Substring(line)
        func word() -> Substring {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" })
            let word = rest.prefix(while: { $0 != " " && $0 != "\t" })
            rest = rest.dropFirst(word.count)
            return word
        }
        let kind = word()
        guard ["eval", "eval_fail", "eval_ordered"].contains(kind), word() == "instant" else { return nil }
        let checkpoint = rest
        if word() == "at" {
            _ = word()
        } else {
            rest = checkpoint
        }
        let expression = rest.drop(while: { $0 == " " || $0 == "\t" })
        return expression.isEmpty ? nil : (String(kind), String(expression))
    }
}

struct ParserCorpusTests {
    @Test func corpusHasEveryEvalOfTheElevenFiles() {
        #expect(Set(EvalCase.all.map(\.file)).count == 11)
        #expect(EvalCase.all.count == 566)
    }

    @Test(arguments: EvalCase.all.filter { $0.kind != "eval_fail" })
    func evalExpressionParsesAndRoundTrips(_ eval: EvalCase) throws {
        let expr = try parseExpr(eval.expression)
        let printed = expr.description
        #expect(try parseExpr(printed) == expr, "\(printed)")
        #expect(try parseExpr(printed).description == printed)
    }

    /// All seven `eval_fail` expressions of v2.42 are valid PromQL: they fail at evaluation
    /// (bad regex in label_replace, duplicate series after dropping names), not at parse time.
    @Test func evalFailExpressionsFailAtEvaluationNotParsing() {
        let failing = EvalCase.all.filter { $0.kind == "eval_fail" }
        let unparsable = failing.filter { (try? parseExpr($0.expression)) == nil }
        #expect(failing.count == 7)
        #expect(unparsable.isEmpty, "\(unparsable.map(\.testDescription))")
    }
}
