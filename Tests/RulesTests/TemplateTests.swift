import Rules
import TSDB
import Testing

/// Template behaviour beyond the promtool corpus: the humanize functions' documented values, the data model,
/// environments, and error values.
struct TemplateTests {
    static func expand(_ text: String, labels: Labels = ["instance": "a:9100", "job": "node"], value: Double = 0.5) throws -> String {
        try AlertTemplate(text, alertName: "T").expand(labels: labels, value: value)
    }

    /// Values from Prometheus's template reference and `template_test.go`.
    @Test(arguments: [
        (1234567.0, "1.235M"), (0, "0"), (1, "1"), (0.12, "120m"), (-1, "-1"), (1e-9, "1n"), (999.99, "1000"),
        (Double.nan, "NaN"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"),
    ])
    func humanize(_ value: Double, _ expected: String) {
        #expect(Humanize.humanize(value) == expected)
    }

    @Test(arguments: [(1048576.0, "1Mi"), (0.12, "0.12"), (1234567, "1.177Mi"), (1, "1"), (1024, "1ki"), (-2048, "-2ki")])
    func humanize1024(_ value: Double, _ expected: String) {
        #expect(Humanize.humanize1024(value) == expected)
    }

    @Test(arguments: [
        (3600.0, "1h 0m 0s"), (0, "0s"), (1, "1s"), (60, "1m 0s"), (86400, "1d 0h 0m 0s"), (90000, "1d 1h 0m 0s"),
        (-183845, "-2d 3h 4m 5s"), (899.99, "14m 59s"), (0.1, "100ms"), (0.0001, "100us"), (0.12345, "123.5ms"),
        (60.5, "1m 0s"), (1.2345, "1.234s"), (12.345, "12.35s"), (1234567, "14d 6h 56m 7s"),
    ])
    func humanizeDuration(_ value: Double, _ expected: String) {
        #expect(Humanize.humanizeDuration(value) == expected)
    }

    @Test(arguments: [(0.1234, "12.34%"), (-0.22222, "-22.22%"), (0, "0%"), (0.1234567, "12.35%"), (1.23456, "123.5%")])
    func humanizePercentage(_ value: Double, _ expected: String) {
        #expect(Humanize.humanizePercentage(value) == expected)
    }

    @Test(arguments: [
        (1435065584.128, "2015-06-23 13:19:44.128 +0000 UTC"), (0, "1970-01-01 00:00:00 +0000 UTC"),
        (-1, "1969-12-31 23:59:59 +0000 UTC"), (1234567, "1970-01-15 06:56:07 +0000 UTC"),
        (9223372036, "2262-04-11 23:47:16 +0000 UTC"),
    ])
    func humanizeTimestamp(_ value: Double, _ expected: String) throws {
        #expect(try Humanize.humanizeTimestamp(value) == expected)
    }

    @Test func humanizeTimestampRejectsOverflow() {
        #expect(throws: Humanize.HumanizeError.self) { try Humanize.humanizeTimestamp(-9.223372036854776e18) }
    }

    @Test func alertVariablesAndPipelines() throws {
        #expect(try Self.expand("{{ $labels.instance }} of {{ .Labels.job }}") == "a:9100 of node")
        #expect(try Self.expand("{{ $value | humanizePercentage }}") == "50%")
        #expect(try Self.expand("{{ if gt $value 0.4 }}high{{ else }}low{{ end }}") == "high")
        #expect(try Self.expand("{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}") == "instance=a:9100 job=node ")
        #expect(try Self.expand("  {{- $labels.job -}}  \n") == "node")
        #expect(try Self.expand("plain text, no actions") == "plain text, no actions")
    }

    @Test func externalLabelsAndURL() throws {
        let template = try AlertTemplate("{{ $externalLabels.region }} {{ $externalURL }} {{ pathPrefix }}", alertName: "T")
        let text = template.expand(labels: [:], value: 1, externalLabels: ["region": "eu"], externalURL: "https://vigil.example/prom")
        #expect(text == "eu https://vigil.example/prom /prom")
    }

    /// match and reReplaceAll run Go's regexp (RE2): unanchored, Go's `$name` expansion, Go's errors.
    @Test func regexFunctionsUseGoSemantics() throws {
        #expect(try Self.expand(#"{{ reReplaceAll "(?P<x>a)" "$x$x" "cat" }}"#) == "caat")
        #expect(try Self.expand(#"{{ reReplaceAll "x*" "-" "abc" }}"#) == "-a-b-c-")
        #expect(try Self.expand(#"{{ reReplaceAll "(a)" "$1x" "cat" }}"#) == "ct")
        #expect(try Self.expand(#"{{ match "a.c" "xa\rcx" }}"#) == "true")
        #expect(try Self.expand(#"{{ match "\\d" "\u0663" }}"#) == "false")
        let lookahead = try Self.expand(#"{{ match "(?=a)" "a" }}"#)
        #expect(lookahead.hasSuffix("error calling match: error parsing regexp: invalid or unsupported Perl syntax: `(?=`>"), "\(lookahead)")
        let unbalanced = try Self.expand(#"{{ reReplaceAll "(" "x" "y" }}"#)
        #expect(unbalanced.hasSuffix("error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`>"), "\(unbalanced)")
    }

    @Test func executionErrorsBecomeTheTextLikeInPrometheus() throws {
        let text = try Self.expand("{{ humanize \"x\" }}")
        #expect(text == #"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <humanize "x">: error calling humanize: strconv.ParseFloat: parsing "x": invalid syntax>"#)
    }

    @Test func executionErrorsAreAlsoThrownToCallersWhoAsk() throws {
        let template = try AlertTemplate("{{ .Nope }}", alertName: "T")
        do {
            _ = try template.execute(AlertTemplate.data(labels: [:], value: 1))
            Issue.record("executed")
        } catch {
            #expect(error.kind == .execution)
            #expect(error.line == 1)
            #expect(error.column == 115)
            #expect(error.context == ".Nope")
            #expect(error.message.hasPrefix("can't evaluate field Nope in type struct {"))
        }
    }

    @Test func parseErrorsCarryTheLine() {
        do {
            _ = try AlertTemplate("ok\n{{ nosuch }}", alertName: "T")
            Issue.record("parsed")
        } catch {
            #expect(error.kind == .parse)
            #expect(error.line == 2)
            #expect(error.description == #"template: __alert_T:2: function "nosuch" not defined"#)
        }
    }

    @Test func queryIsNotSupportedWithoutAQueryFunction() throws {
        let text = try Self.expand(#"{{ query "up" | len }}"#)
        #expect(text.hasSuffix("error calling query: query function not supported>"))
    }

    @Test func queryUsesTheEnvironmentsQueryFunction() throws {
        let environment = TemplateEnvironment(query: { query in
            #expect(query == "up == 0")
            return [TemplateSample(labels: ["instance": "b"], value: 0), TemplateSample(labels: ["instance": "a"], value: 0)]
        })
        let template = try AlertTemplate(
            #"{{ range query "up == 0" | sortByLabel "instance" }}{{ .Labels.instance }}={{ .Value }} {{ end }}{{ with query "up == 0" }}{{ . | first | label "instance" }}{{ end }}"#,
            alertName: "T")
        #expect(template.expand(AlertTemplate.data(labels: [:], value: 1), environment: environment) == "a=0 b=0 b")
    }

    @Test func oneParseManyExecutions() throws {
        let template = try Template("{{ .Labels.x }}:{{ .Value | humanize }}", name: "t")
        for index in 0..<100 {
            let data = AlertTemplate.data(labels: ["x": "\(index)"], value: Double(index) * 1000)
            #expect(try template.execute(data) == "\(index):\(Humanize.humanize(Double(index) * 1000))")
        }
    }

    @Test func namedTemplatesSeeOnlyTheirArgument() throws {
        let text = try Self.expand(#"{{ define "line" }}{{ .arg0 }}: {{ .arg1 | humanize }}{{ end }}{{ template "line" (args $labels.job $value) }}"#)
        #expect(text == "node: 500m")
    }
}

/// Turning a query result into alerts: labels, `alertname`, annotations, and duplicate detection.
struct AlertExpanderTests {
    @Test func buildsAlertLabelsAndAnnotations() throws {
        let expander = try AlertExpander(
            alertName: "HighLatency",
            labels: [Label("severity", "warning"), Label("team", "{{ $labels.job }}-team"), Label("job", "{{ $labels.nothing }}")],
            annotations: [Label("summary", "{{ $labels.instance }} at {{ $value }}"), Label("empty", "{{ $labels.none }}")])
        let elements = try expander.elements(for: [(["__name__": "latency", "instance": "a", "job": "api"], 1.5)])
        // __name__ is dropped, rule labels are set (an empty expansion removes the label), alertname is added.
        #expect(elements == [
            AlertingRuleState.Element(
                labels: ["alertname": "HighLatency", "instance": "a", "severity": "warning", "team": "api-team"],
                annotations: ["summary": "a at 1.5"], value: 1.5)
        ])
    }

    @Test func duplicateLabelSetsAreAnError() throws {
        let expander = try AlertExpander(alertName: "X", labels: [Label("instance", "fixed")], annotations: [])
        #expect(throws: AlertExpansionError.duplicateLabelSet(["alertname": "X", "instance": "fixed"])) {
            try expander.elements(for: [(["instance": "a"], 1), (["instance": "b"], 2)])
        }
        #expect(AlertExpansionError.duplicateLabelSet([:]).description == "vector contains metrics with the same labelset after applying alert labels")
    }

    @Test func brokenTemplatesAreRejectedWhenBuilt() {
        #expect(throws: TemplateError.self) { try AlertExpander(alertName: "X", labels: [], annotations: [Label("a", "{{")]) }
    }
}
