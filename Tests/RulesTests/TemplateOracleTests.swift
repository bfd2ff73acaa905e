import Foundation
import Rules
import TSDB
import Testing

/// Each case of `Fixtures/templates-promtool.json` is a template with the text promtool 2.42 expanded it to.
///
/// The expected texts come from Prometheus itself: `Fixtures/promtool-template-oracle.py` writes every template
/// into an annotation of one alerting rule and runs `promtool test rules`, whose failure report shows the expanded
/// annotations. Execution errors are part of the corpus, so `<error expanding template: …>` must match too,
/// position and node included.
struct TemplateOracleTests {
    struct Corpus: Decodable {
        var labels: [String: String]
        var value: Double
        var externalLabels: [String: String]
        var externalURL: String
        var cases: [Case]
    }

    struct Case: Decodable, CustomTestStringConvertible {
        var template: String
        var expected: String
        var testDescription: String { template }
    }

    static let corpus: Corpus = {
        do {
            return try JSONDecoder().decode(Corpus.self, from: Fixtures.data("templates-promtool.json"))
        } catch {
            fatalError("templates-promtool.json: \(error)")
        }
    }()

    @Test("expands like promtool 2.42", arguments: corpus.cases)
    func expandsLikePromtool(_ example: Case) throws {
        let corpus = Self.corpus
        let template = try AlertTemplate(example.template, alertName: "A")
        let result = template.expand(
            labels: Labels(corpus.labels), value: corpus.value, externalLabels: Labels(corpus.externalLabels),
            externalURL: corpus.externalURL)
        #expect(result == example.expected)
    }
}

/// Each case of `Fixtures/template-parse-errors-promtool.json` is a template with the parse error promtool 2.42
/// reports for it in `check rules` (or none), so Vigil accepts and rejects the same annotations.
struct TemplateParseOracleTests {
    struct Case: Decodable, CustomTestStringConvertible {
        var template: String
        var error: String?
        var testDescription: String { template }
    }

    struct Corpus: Decodable {
        var cases: [Case]
    }

    static let cases: [Case] = {
        do {
            return try JSONDecoder().decode(Corpus.self, from: Fixtures.data("template-parse-errors-promtool.json")).cases
        } catch {
            fatalError("template-parse-errors-promtool.json: \(error)")
        }
    }()

    @Test("parses like promtool 2.42", arguments: cases)
    func parsesLikePromtool(_ example: Case) {
        do {
            _ = try AlertTemplate(example.template, alertName: "A")
            #expect(example.error == nil, "expected \(example.error ?? "")")
        } catch {
            #expect(error.description == example.error)
        }
    }
}
