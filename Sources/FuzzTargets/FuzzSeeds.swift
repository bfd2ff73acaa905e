import API
import Foundation

/// FuzzSeeds builds each target's seed corpus at run time from the repository's fixtures and `../shared`.
///
/// Shared data from other projects is read where it lies and never copied into the repository.
public struct FuzzSeeds: Sendable {
    /// The repository's root directory.
    public var repository: URL
    /// The shared reference directory (`../shared`); nil or missing leaves only the repository's own seeds.
    public var shared: URL?
    /// At most this many seeds per target, so the bounded test run stays within its time.
    public var limit: Int

    public init(repository: URL, shared: URL?, limit: Int = 400) {
        self.repository = repository
        self.shared = shared
        self.limit = limit
    }

    /// Whether the shared conformance corpus is present.
    public var hasSharedCorpus: Bool {
        guard let shared else { return false }
        return FileManager.default.fileExists(atPath: shared.appendingPathComponent("conformance/promql").path)
    }

    /// corpus returns the seeds of one target, in a stable order.
    public func corpus(for target: String) -> [[UInt8]] {
        let seeds: [String]
        switch target {
        case "promql-parse", "promql-eval": seeds = promqlExpressions()
        case "api-params": seeds = apiParameterForms()
        case "exposition-text", "exposition-openmetrics": seeds = expositionBodies()
        case "config": seeds = files(in: ["Tests/ScraperTests/Fixtures/config", "config"], shared: [], extensions: ["yml", "yaml"])
        case "rule-file": seeds = ruleFiles()
        case "alert-template": seeds = templates()
        case "predict-body": seeds = Self.predictBodies
        case "predict-batch-body": seeds = Self.predictBatchBodies
        case "predict-body-schema": seeds = Self.schemaBodies(FuzzTarget.syntheticModel.schema)
        case "rule-tests": seeds = ruleTestFiles()
        default: seeds = []
        }
        var seen = Set<String>()
        return seeds.filter { seen.insert($0).inserted }.prefix(limit).map { Array($0.utf8) }
    }

    // MARK: Sources

    /// The expressions of every `eval` line in the PromQL test scripts, then those of rule files.
    func promqlExpressions() -> [String] {
        let scripts = files(in: [], shared: ["conformance/promql"], extensions: ["test"])
        var expressions: [String] = []
        for script in scripts {
            for line in script.split(separator: "\n") where line.hasPrefix("eval") {
                // `eval[_fail|_ordered] instant at <time> <expr>`
                let words = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true)
                if words.count == 5, words[1] == "instant", words[2] == "at" { expressions.append(String(words[4])) }
            }
        }
        expressions += ruleFiles().flatMap { Self.values(of: "expr", in: $0) }
        return interleaved(expressions)
    }

    func apiParameterForms() -> [String] {
        let fixed = [
            "query=up&time=1e300", "query=1&time=-1e300", "query=up&start=0&end=600&step=15s", "start=0&end=1e18&step=0.001",
            "start=2015-07-01T20:10:51.781Z&end=2015-07-01T20:11:00Z&step=0.5", "step=-1", "timeout=1m30s", "timeout=1e300",
            "match[]=%7B__name__%3D~%22a.*%22%7D&match[]=up%7Bjob%3D%22x%22%7D", "limit=99999999999999999999",
            "query=sum(rate(http_requests_total%5B5m%5D))&time=2015-07-01T20:10:51Z", "query=+&%zz=%&&=",
        ]
        let encoded = promqlExpressions().prefix(limit / 2).map { expression in
            "query=" + (expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") + "&time=300&step=30s"
        }
        return fixed + encoded
    }

    func expositionBodies() -> [String] {
        let openMetrics = """
            # TYPE http_requests counter
            # HELP http_requests Requests served.
            http_requests_total{code="200"} 1027 1395066363.000 # {trace_id="abc"} 1 1395066363.5
            http_requests_created{code="200"} 1395066363.000
            # TYPE latency histogram
            # UNIT latency seconds
            latency_bucket{le="0.1"} 5
            latency_bucket{le="+Inf"} 7
            latency_count 7
            latency_sum 0.9
            # EOF

            """
        let text = """
            # HELP up Whether the target is up.
            # TYPE up gauge
            up{job="api",instance="a:1"} 1 1700000000000
            rpc_duration_seconds{quantile="0.5"} 4.773e-05
            rpc_duration_seconds_sum 1.7560473e+07
            weird{a="\\"\\n\\\\"} NaN

            """
        return [text, openMetrics]
            + files(in: ["Tests/ScraperTests/Fixtures/exposition"], shared: ["reference/seed-api"], extensions: ["txt", "prom", "om"])
    }

    /// Rule files: the repository's fixtures, promtool's, and a spread of the real-world corpus.
    func ruleFiles() -> [String] {
        let own = files(in: ["Tests/RulesTests/Fixtures/rules"], shared: ["conformance/promtool"], extensions: ["yml"])
        let conformance = files(in: [], shared: ["conformance/promtool", "conformance/external"], extensions: ["yml", "yaml"])
        return own + interleaved(conformance).filter { !$0.contains("rule_files:") }
    }

    /// Template text from every annotation and label in the rule files that has an action.
    func templates() -> [String] {
        let fixed = [
            "{{ $labels.instance }} is down ({{ $value | humanize }})", "{{ printf \"%.2f\" $value }}",
            "{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}", "{{ $value | humanizeDuration }}",
            "{{ with $labels.job }}{{ . | toUpper }}{{ else }}none{{ end }}", "{{ humanizeTimestamp 1e300 }}",
            "{{ define \"t\" }}x{{ end }}{{ template \"t\" }}", "{{ reReplaceAll \"(a+)+\" \"b\" $labels.job }}",
        ]
        var found: [String] = []
        for file in ruleFiles() {
            for line in file.split(separator: "\n") where line.contains("{{") {
                guard let colon = line.range(of: ": ") else { continue }
                var value = line[colon.upperBound...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                    value = String(value.dropFirst().dropLast())
                }
                found.append(value)
            }
        }
        return fixed + interleaved(found)
    }

    func ruleTestFiles() -> [String] {
        let candidates = files(in: [], shared: ["conformance/promtool"], extensions: ["yml"])
        let fixed = """
            rule_files: [rules.yml]
            evaluation_interval: 1m
            tests:
            - interval: 1m
              input_series:
              - series: 'up{job="api",instance="a"}'
                values: '1 1 0 0 0 0 stale'
              alert_rule_test:
              - eval_time: 5m
                alertname: InstanceDown
                exp_alerts:
                - exp_labels: {severity: page, job: api, instance: a}
              promql_expr_test:
              - expr: job:up:sum
                eval_time: 1m
                exp_samples:
                - labels: 'job:up:sum{job="api"}'
                  value: 1

            """
        return [fixed] + candidates.filter { $0.contains("tests:") }
    }

    static let patientJSON = #"{"Pregnancies": 6, "Glucose": 148, "BloodPressure": 72, "SkinThickness": 35, "Insulin": 0, "BMI": 33.6, "DiabetesPedigreeFunction": 0.627, "Age": 50}"#

    static let predictBodies = [
        patientJSON, "{}", #"{"Glucose": "high"}"#, "\u{FEFF}" + patientJSON, patientJSON.replacingOccurrences(of: "50}", with: "50.5}"),
        patientJSON.replacingOccurrences(of: "148", with: "1e400"), "[" + patientJSON + "]", "null",
        patientJSON.replacingOccurrences(of: "\"Age\": 50", with: "\"Age\": 50, \"Extra\": [1, {\"a\": null}]"),
    ]

    /// Bodies for a generated schema: a valid one in schema order and reversed, then one change each: a nullable
    /// field null or left out, a marker, a value past a bound, a fraction for an integer, an unknown and an escaped key.
    static func schemaBodies(_ schema: FeatureSchema) -> [String] {
        func value(_ spec: FeatureSpec) -> Double {
            let middle = ((spec.minimum ?? -10) + (spec.maximum ?? 10)) / 2
            return spec.type == .integer ? middle.rounded(.down) : middle + 0.25
        }
        func body(_ members: [(String, String)]) -> String {
            "{" + members.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }
        let valid = schema.features.map { ($0.name, jsonNumber(value($0))) }
        var bodies = [body(valid), body(valid.reversed())]
        for (i, spec) in schema.features.enumerated() {
            var changed = valid
            if spec.nullable {
                changed[i].1 = "null"
                bodies.append(body(changed))
                bodies.append(body(valid.enumerated().filter { $0.offset != i }.map(\.element)))
            }
            if let marker = spec.missingValues.first {
                changed = valid
                changed[i].1 = jsonNumber(marker)
                bodies.append(body(changed))
            }
            if let maximum = spec.maximum {
                changed = valid
                changed[i].1 = jsonNumber(maximum + 1)
                bodies.append(body(changed))
            }
            if spec.type == .integer {
                changed = valid
                changed[i].1 = "1.5"
                bodies.append(body(changed))
            }
        }
        bodies.append(body(valid + [("unknown", "1")]))
        // Keys outside ASCII written as \u escapes, which only the general decoder reads.
        let escaped = valid.map { name, value in
            (name.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u%04x", $0.value) }.joined(), value)
        }
        bodies.append(body(escaped))
        return bodies
    }

    /// A finite number as JSON: integers without a fraction.
    static func jsonNumber(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    static let predictBatchBodies = [
        "[" + patientJSON + "," + patientJSON + "]", "[]", patientJSON, "[" + patientJSON + ", {}]", "[1, \"a\", null, true]",
    ]

    // MARK: Files

    /// files reads every file under the given directories (repository-relative, then shared-relative) with one
    /// of `extensions`, smallest directories first and each directory in name order; files over 128 KiB are left out.
    func files(in repositoryDirectories: [String], shared sharedDirectories: [String], extensions: Set<String>) -> [String] {
        var roots = repositoryDirectories.map { repository.appendingPathComponent($0) }
        if let shared { roots += sharedDirectories.map { shared.appendingPathComponent($0) } }
        var texts: [String] = []
        for root in roots {
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey]) else { continue }
            var paths: [URL] = []
            for case let url as URL in walker where extensions.contains(url.pathExtension) { paths.append(url) }
            for url in paths.sorted(by: { $0.path < $1.path }) {
                let size = (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
                guard size <= 128 << 10, let data = FileManager.default.contents(atPath: url.path) else { continue }
                texts.append(String(decoding: data, as: UTF8.self))
            }
        }
        return texts
    }

    /// interleaved spreads a long list evenly, so the first `limit` seeds sample all of it rather than its first files.
    func interleaved(_ items: [String]) -> [String] {
        guard items.count > limit else { return items }
        let stride = items.count / limit + 1
        return (0..<stride).flatMap { offset in Swift.stride(from: offset, to: items.count, by: stride).map { items[$0] } }
    }

    /// values returns the one-line values of `key:` in YAML text, unquoted.
    static func values(of key: String, in yaml: String) -> [String] {
        yaml.split(separator: "\n").compactMap { line in
            let trimmed = line.drop { $0 == " " || $0 == "-" }
            guard trimmed.hasPrefix(key + ": ") else { return nil }
            var value = trimmed.dropFirst(key.count + 2).trimmingCharacters(in: .whitespaces)
            if value == "|" || value == ">" || value.isEmpty { return nil }
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
    }
}
