import Foundation
import PromQL
import Rules
import TSDB
import Testing

/// Loading rule files: the parsed structure of a good file, and every problem of the bad fixtures.
///
/// Each `Fixtures/rules/bad-*.yml` starts with `# expect:` lines, the errors Vigil must report (without the file
/// name prefix), and a `# promtool:` line saying how it compares with promtool 2.42: `same` (the same messages once
/// positions are ignored, since Vigil adds positions promtool lacks) or `verdict` (both reject the file).
struct RuleFileTests {
    static let badFixtures: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.path("rules"))) ?? []
        return names.filter { $0.hasPrefix("bad-") && $0.hasSuffix(".yml") }.sorted()
    }()

    @Test func goodFileHasTheExpectedStructure() throws {
        let file = try RuleFile(contentsOf: Fixtures.path("rules/good.yml"))
        #expect(file.ruleCount == 4)
        #expect(file.groups.map(\.name) == ["api-recording", "api-alerts"])
        #expect(file.groups.map(\.interval) == [30_000, nil])
        #expect(file.groups.map(\.limit) == [0, 10])
        #expect(file.groups.map(\.line) == [3, 13])

        let recording = file.groups[0].rules[0]
        #expect(recording.kind == .recording("job:api_requests:rate5m"))
        #expect(recording.exprText == "sum by (job) (rate(api_requests_total[5m]))")
        #expect(recording.expr == (try parseExpr("sum by (job) (rate(api_requests_total[5m]))")))
        #expect(recording.labels == [Label("source", "recording")])
        #expect(recording.line == 6)

        let alert = file.groups[1].rules[0]
        #expect(alert.kind == .alerting("APIDown"))
        #expect(alert.name == "APIDown")
        #expect(alert.holdDuration == 60_000)
        #expect(alert.keepFiringFor == 300_000)
        #expect(alert.labels == [Label("severity", "critical"), Label("team", "{{ $labels.job }}-oncall")])
        #expect(alert.annotations.map(\.name) == ["description", "summary"])
        #expect(alert.annotations[0].value.hasSuffix("Value: {{ $value | humanize }}.\n"))
        #expect(alert.line == 16)
        #expect(alert.column == 9)

        let quiet = file.groups[1].rules[1]
        #expect(quiet.holdDuration == 0)
        #expect(quiet.labels.isEmpty && quiet.annotations.isEmpty)
    }

    @Test func emptyDocumentHasNoGroups() throws {
        #expect(try RuleFile(yaml: "", file: "empty.yml").groups.isEmpty)
        #expect(try RuleFile(yaml: "# only a comment\n", file: "empty.yml").groups.isEmpty)
        #expect(try RuleFile(yaml: "groups: []\n", file: "empty.yml").ruleCount == 0)
    }

    @Test func zeroIntervalMeansTheGlobalInterval() throws {
        let file = try RuleFile(yaml: "groups:\n  - name: g\n    interval: 0s\n    rules: []\n", file: "r.yml")
        #expect(file.groups[0].interval == nil)
    }

    @Test("bad fixtures report every problem", arguments: badFixtures)
    func badFixtureReportsEveryProblem(_ name: String) throws {
        let path = Fixtures.path("rules/\(name)")
        let expected = try Fixtures.text("rules/\(name)").split(separator: "\n")
            .filter { $0.hasPrefix("# expect: ") }.map { "\(path): " + $0.dropFirst("# expect: ".count) }
        #expect(!expected.isEmpty, "fixture has no # expect: lines")
        do {
            _ = try RuleFile(contentsOf: path)
            Issue.record("\(name) loaded without errors")
        } catch {
            #expect(error.errors.map(\.description) == expected)
        }
    }

    @Test func errorsCarryTheirLocation() throws {
        let path = Fixtures.path("rules/bad-expr.yml")
        do {
            _ = try RuleFile(contentsOf: path)
            Issue.record("bad-expr.yml loaded")
        } catch {
            let first = try #require(error.errors.first)
            #expect(first.code == .invalidExpression)
            #expect(first.file == path)
            #expect((first.line, first.column) == (9, 15))
            #expect(first.group == "g")
            #expect(first.rule == 1)
            #expect(first.ruleName == "Unclosed")
            #expect(first.cause is PromQLParseError)
        }
    }

    @Test func missingAndUnreadableFiles() {
        #expect(throws: RuleErrors.self) { try RuleFile(contentsOf: "/nonexistent/rules.yml") }
        do {
            _ = try loadRuleFiles(["/nonexistent/rules.yml"])
        } catch {
            #expect(error.errors.map(\.description) == ["/nonexistent/rules.yml: \"/nonexistent/rules.yml\" does not point to an existing file"])
            #expect(error.errors.first?.code == .io)
        }
    }

    @Test func globsExpandSortedAndSkipNothingMatched() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["b.yml", "a.yml", "c.yaml", "notes.txt"] {
            try "groups:\n  - name: \(name)\n    rules: []\n".write(
                to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let base = directory.path
        let loaded = try loadRuleFiles(["\(base)/*.yml", "\(base)/c.y?ml", "\(base)/[a]*.yml", "\(base)/none-*.yml"])
        #expect(loaded.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["a.yml", "b.yml", "c.yaml"])
        #expect(loaded.map { $0.groups[0].name } == ["a.yml", "b.yml", "c.yaml"])
    }

    @Test func errorsOfAllFilesAreCollected() {
        do {
            _ = try loadRuleFiles([Fixtures.path("rules/bad-groups.yml"), Fixtures.path("rules/good.yml"), Fixtures.path("rules/bad-yaml.yml")])
            Issue.record("loaded bad files")
        } catch {
            #expect(error.errors.count == 5)
            #expect(Set(error.errors.map { URL(fileURLWithPath: $0.file).lastPathComponent }) == ["bad-groups.yml", "bad-yaml.yml"])
        }
    }

    @Test func duplicateRulesAreReportedLikePromtool() throws {
        let yaml = """
            groups:
              - name: a
                rules:
                  - record: x
                    expr: up
                    labels: {a: b}
                  - record: x
                    expr: up
                    labels: {a: b}
                  - alert: y
                    expr: up
              - name: b
                rules:
                  - alert: y
                    expr: up
                  - record: x
                    expr: up
            """
        let file = try RuleFile(yaml: yaml, file: "dup.yml")
        #expect(file.duplicateRules.map(\.name) == ["x", "y"])
        #expect(file.duplicateRulesReport == """
            2 duplicate rule(s) found.
            Metric: x
            Label(s):
            \ta: b
            Metric: y
            Label(s):
            Might cause inconsistency while recording expressions
            """)
        #expect(try RuleFile(contentsOf: Fixtures.path("rules/good.yml")).duplicateRulesReport == nil)
    }

    @Test func ruleErrorDescriptionsOmitWhatIsUnknown() {
        #expect(RuleError(code: .io, file: "r.yml", message: "gone").description == "r.yml: gone")
        #expect(RuleError(code: .syntax, file: "r.yml", line: 3, column: 1, message: "bad").description == "r.yml: 3:1: bad")
        #expect(RuleError(code: .invalidValue, file: "r.yml", line: 3, column: 1, group: "g\"", message: "m").description
            == "r.yml: 3:1: group \"g\\\"\": m")
        #expect(RuleError(code: .invalidValue, file: "r.yml", group: "g", rule: 2, ruleName: "X", message: "m").description
            == "r.yml: group \"g\", rule 2, \"X\": m")
    }
}

/// Scalars in rule files decode as Go's YAML decoder decodes them into strings.
struct RuleFileScalarTests {
    @Test func scalarsOfAnyTypeAreStringsAndNullIsEmpty() throws {
        let yaml = """
            groups:
              - name: 5
                rules:
                  - alert: 123
                    expr: 1
                    for: ~
                    labels:
                      number: 1
                      flag: true
                      nothing:
            """
        let file = try RuleFile(yaml: yaml, file: "r.yml")
        let rule = file.groups[0].rules[0]
        #expect(file.groups[0].name == "5")
        #expect(rule.kind == .alerting("123"))
        #expect(rule.holdDuration == 0)
        #expect(rule.labels == [Label("flag", "true"), Label("nothing", ""), Label("number", "1")])
    }
}
