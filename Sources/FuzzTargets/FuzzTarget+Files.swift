import Foundation
import Rules
import Config
import Scraper

extension FuzzTarget {
    /// YAML structure and the values Vigil's configuration and rule files convert to numbers.
    static let yamlDictionary = numberDictionary + [
        ": ", "\n", "\n- ", "\n  ", "{{", "}}", "*a", "&a ", "<<: *a", "!!binary ", "!!int ", "~", "null", "[", "]", "{", "}", "'",
        "\"", "5m", "1y", "0s", "-1s", "99999999999d", "292y", "1.5h", "for: ", "keep_firing_for: ", "expr: ", "alert: ",
        "record: ", "labels: ", "annotations: ", "interval: ", "limit: ", "groups:\n- name: g\n  rules:\n", "eval_time: ",
        "values: ", "0+1x3", "1-1x1000000000", "_x3", "stale", "1+0x9223372036854775807", "series: ", "input_series:\n",
        "scrape_interval: ", "scrape_timeout: ", "evaluation_interval: ", "body_size_limit: ", "sample_limit: ", "1TB",
        "99999999999999999999KB", "scrape_configs:\n- job_name: j\n", "static_configs:\n- targets: [", "relabel_configs:\n",
        "regex: ", "modulus: ", "action: hashmod", "target_label: ", "source_labels: [", "honor_labels: ", "rule_files: [",
        "scheme: https", "tls_config: {", "ca_file: ", "min_version: TLS13", "basic_auth: {", "password_file: ",
        "authorization: {", "bearer_token: ", "bearer_token_file: ", "http_sd_configs:\n- url: http://h/\n",
    ]

    /// config: a prometheus.yml, through the loader `vigil check config` and reloads use.
    static let configFile = FuzzTarget(name: "config", maxInputBytes: 256 << 10, dictionary: yamlDictionary) { input in
        do {
            _ = try PrometheusConfiguration(yaml: text(input), file: "fuzz.yml")
            return .accepted
        } catch {
            return .rejected
        }
    }

    /// rule-file: a rule file through the loader `vigil check rules` uses, then built into runnable rule groups.
    static let ruleFile = FuzzTarget(name: "rule-file", maxInputBytes: 256 << 10, dictionary: yamlDictionary) { input in
        let file: RuleFile
        do { file = try RuleFile(yaml: text(input), file: "fuzz.yml") } catch { return .rejected }
        _ = file.duplicateRulesReport
        do {
            for spec in file.groups { _ = try RuleGroup(spec: spec, file: "fuzz.yml", defaultInterval: 60_000) }
        } catch {
            return .rejected
        }
        return .accepted
    }

    /// The most fake-clock steps and input samples a rule test may ask for before the harness skips it.
    static let maxRuleTestSteps: Int64 = 2_000
    static let maxRuleTestSamples = 20_000

    /// rule-tests: a `vigil test rules` file, parsed, then run against `rules.yml` beside it on a short timeline.
    static let ruleTests = FuzzTarget(name: "rule-tests", maxInputBytes: 64 << 10, dictionary: yamlDictionary) { input in
        let yaml = text(input)
        let file: RuleTestFile
        do { file = try RuleTestFile(yaml: yaml) } catch { return .rejected }
        guard isBounded(file) else { return .skipped }
        let directory = ruleTestDirectory
        let path = directory + "/test-\(UUID().uuidString).yml"
        guard FileManager.default.createFile(atPath: path, contents: Data(input)) else { return .skipped }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = await RuleTestRunner().test(file: path)
        _ = RuleTestReport(results: [result]).junitXML
        _ = RuleTestReport.chunks(for: result, color: true)
        return result.errors.isEmpty ? .accepted : .rejected
    }

    /// isBounded tells whether a rule test's timeline and input series are small enough to run within the harness's bounds.
    static func isBounded(_ file: RuleTestFile) -> Bool {
        guard file.evaluationInterval > 0 else { return false }
        var samples = 0
        for group in file.tests {
            guard group.interval > 0, group.maxEvalTime / file.evaluationInterval <= maxRuleTestSteps else { return false }
            for series in group.inputSeries {
                samples += expansionBound(series.values)
                if samples > maxRuleTestSamples { return false }
            }
        }
        return true
    }

    /// expansionBound over-estimates how many samples a series' values notation (`1+2x30 _x5`) expands to.
    static func expansionBound(_ values: String) -> Int {
        var total = 0
        var bytes = values.utf8[...]
        while let x = bytes.firstIndex(of: UInt8(ascii: "x")) {
            bytes = bytes[bytes.index(after: x)...]
            let digits = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            guard digits.count <= 9 else { return .max / 2 }
            total += (Int(String(decoding: digits, as: UTF8.self)) ?? 0) + 1
            bytes = bytes.dropFirst(digits.count)
        }
        return total + values.utf8.count
    }

    /// ruleTestDirectory holds the `rules.yml` every fuzzed rule test may name: one alerting and one recording rule.
    static let ruleTestDirectory: String = {
        let directory = NSTemporaryDirectory() + "vigil-fuzz-rule-tests-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let rules = """
            groups:
            - name: fuzz
              rules:
              - record: job:up:sum
                expr: sum by (job) (up)
              - alert: InstanceDown
                expr: up == 0
                for: 1m
                labels:
                  severity: page
                annotations:
                  summary: "{{ $labels.instance }} of {{ $labels.job }} is down ({{ $value | humanize }})"

            """
        _ = FileManager.default.createFile(atPath: directory + "/rules.yml", contents: Data(rules.utf8))
        return directory
    }()
}
