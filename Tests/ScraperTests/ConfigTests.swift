@testable import Config
import Foundation
import Model
import TSDB
import Testing

@testable import Scraper

/// The directory holding this suite's configuration fixtures.
private let configFixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/config")

/// Loads a fixture and returns its error printed with the fixture's name instead of its absolute path.
private func loadError(_ name: String) -> String? {
    do {
        _ = try loadConfiguration(file: configFixtures.appendingPathComponent(name))
        return nil
    } catch {
        var relative = error
        relative.file = name
        return relative.description
    }
}

@Suite struct PrometheusDurationTests {
    static let parsed: [(String, Int64)] = [
        ("1h30m", 5_400_000), ("15s", 15_000), ("500ms", 500), ("1d", 86_400_000), ("1w", 604_800_000),
        ("1y", 31_536_000_000), ("0s", 0), ("0", 0), ("1m0s", 60_000), ("2h15m30s250ms", 8_130_250),
    ]

    @Test(arguments: parsed)
    func parses(text: String, milliseconds: Int64) throws {
        #expect(try PrometheusDuration(parsing: text).milliseconds == milliseconds)
    }

    static let day: Int64 = 86_400_000
    static let formatted: [(Int64, String)] = [
        (90_000, "1m30s"), (3_600_000, "1h"), (0, "0s"), (1_500, "1s500ms"), (14 * day, "2w"),
        (8 * day, "8d"), (365 * day, "1y"), (366 * day, "366d"), (-300_000, "-5m"),
    ]

    @Test(arguments: formatted)
    func formatsLikePrometheus(milliseconds: Int64, text: String) {
        #expect(PrometheusDuration(milliseconds: milliseconds).description == text)
    }

    @Test(arguments: ["1h30m", "15s", "500ms", "1d", "2w", "1y", "1h1m1s1ms"])
    func roundTrips(text: String) throws {
        #expect(try PrometheusDuration(parsing: text).description == text)
    }

    @Test(arguments: ["1", "1x", "m", "1m1h", "1s1s", "-1s", "1.5h", " 1s", "1s ", "1 s", "1S", "00"])
    func rejectsInvalidStrings(text: String) {
        #expect(throws: PrometheusDuration.ParseError(text: text, reason: .syntax)) {
            try PrometheusDuration(parsing: text)
        }
    }

    @Test func rejectsOverflow() {
        #expect(throws: PrometheusDuration.ParseError(text: "300000000y", reason: .outOfRange)) {
            try PrometheusDuration(parsing: "300000000y")
        }
        #expect(PrometheusDuration.ParseError(text: "1x", reason: .syntax).description == #"not a valid duration string: "1x""#)
    }
}

@Suite struct ByteSizeTests {
    static let sizes: [(String, Int64)] = [
        ("10MB", 10_485_760), ("512KiB", 524_288), ("0", 0), ("1GB", 1_073_741_824), ("1.5KB", 1536),
        ("100B", 100), ("1MB512KB", 1_572_864),
    ]

    @Test(arguments: sizes)
    func parsesBase2Units(text: String, bytes: Int64) throws {
        #expect(try ByteSize(parsing: text).bytes == bytes)
    }

    @Test(arguments: ["100", "10mb", "", "MB", "10XB", "-1MB"])
    func requiresAKnownUnit(text: String) {
        #expect(throws: ByteSize.ParseError.self) { try ByteSize(parsing: text) }
    }

    @Test func formatsWithBinaryUnits() {
        #expect(ByteSize(bytes: 10_485_760).description == "10MiB")
        #expect(ByteSize(bytes: 1536).description == "1536B")
        #expect(ByteSize.zero.description == "0B")
    }
}

@Suite struct ConfigLoadingTests {
    @Test func loadsEveryFeature() throws {
        let config = try loadConfiguration(file: configFixtures.appendingPathComponent("good-full.yml"))
        #expect(config.global.scrapeInterval == .seconds(15))
        #expect(config.global.scrapeTimeout == .seconds(5))
        #expect(config.global.evaluationInterval == .seconds(30))
        #expect(config.global.externalLabels == ["cluster": "eu-1", "replica": "a"])
        #expect(config.ruleFiles == [configFixtures.path + "/rules/*.yml", "/etc/vigil/alerts.yml"])

        #expect(config.alerting.alertRelabelConfigs == [RelabelConfig(regex: try GoRegex(anchored: "replica"), action: .labeldrop)])
        let alertmanager = try #require(config.alerting.alertmanagers.first)
        #expect(alertmanager.staticConfigs == [TargetGroup(targets: ["alertmanager:9093"], source: "0")])
        #expect(alertmanager.pathPrefix == "/am")
        #expect(alertmanager.timeout == .seconds(5))
        #expect(alertmanager.apiVersion == .v2)
        #expect(alertmanager.scheme == "http")

        #expect(config.scrapeConfigs.map(\.jobName) == ["vigil", "node"])
        let vigil = config.scrapeConfigs[0]
        #expect(vigil.scrapeInterval == .seconds(15))
        #expect(vigil.scrapeTimeout == .seconds(5))
        #expect(vigil.metricsPath == "/metrics")
        #expect(vigil.scheme == "http")
        #expect(!vigil.honorLabels && vigil.honorTimestamps)
        #expect(vigil.sampleLimit == 0 && vigil.bodySizeLimit == .zero)

        let node = config.scrapeConfigs[1]
        #expect(node.scrapeInterval == .seconds(90))
        #expect(node.scrapeTimeout == .seconds(20))
        #expect(node.metricsPath == "/custom/metrics")
        #expect(node.params == ["module": ["http_2xx"], "target": ["a", "b"]])
        #expect(node.honorLabels && !node.honorTimestamps)
        #expect(node.sampleLimit == 5000 && node.labelLimit == 30)
        #expect(node.labelNameLengthLimit == 100 && node.labelValueLengthLimit == 200)
        #expect(node.bodySizeLimit == ByteSize(bytes: 10 * 1024 * 1024))
        #expect(node.staticConfigs == [
            TargetGroup(targets: ["node-1:9100", "node-2:9100"], labels: ["env": "prod"], source: "0"),
            TargetGroup(targets: ["node-3:9100"], source: "1"),
        ])
        #expect(node.fileSDConfigs == [
            FileSDConfig(
                files: [configFixtures.path + "/file_sd/*.json", configFixtures.path + "/file_sd/hosts.yml"],
                refreshInterval: .minutes(1)),
            FileSDConfig(files: [configFixtures.path + "/file_sd/other.yaml"], refreshInterval: .minutes(5)),
        ])
        #expect(node.relabelConfigs == [
            RelabelConfig(sourceLabels: ["__address__"], targetLabel: "host", regex: try GoRegex(anchored: "(.*):9100"), replacement: "${1}"),
            RelabelConfig(sourceLabels: ["env", "__address__"], separator: "/", regex: try GoRegex(anchored: "prod/.*"), action: .keep),
            RelabelConfig(sourceLabels: ["__address__"], targetLabel: "__tmp_hash", modulus: 4, action: .hashmod),
            RelabelConfig(regex: try GoRegex(anchored: "__meta_(.+)"), action: .labelmap),
        ])
        #expect(node.metricRelabelConfigs == [
            RelabelConfig(sourceLabels: ["__name__"], regex: try GoRegex(anchored: "go_.*"), action: .drop)
        ])
    }

    @Test func loadsPrometheusDefaultFileUnchanged() throws {
        let config = try loadConfiguration(file: configFixtures.appendingPathComponent("good-prometheus-default.yml"))
        #expect(config.global.scrapeInterval == .seconds(15))
        #expect(config.global.scrapeTimeout == .seconds(10))
        #expect(config.ruleFiles.isEmpty)
        #expect(config.alerting.alertmanagers == [AlertmanagerConfig(staticConfigs: [TargetGroup(targets: [], source: "0")])])
        #expect(config.scrapeConfigs.map(\.jobName) == ["prometheus"])
        #expect(config.scrapeConfigs[0].staticConfigs[0].targets == ["localhost:9090"])
    }

    @Test func emptyFileIsTheDefaultConfiguration() throws {
        let config = try loadConfiguration(file: configFixtures.appendingPathComponent("good-empty.yml"))
        #expect(config == PrometheusConfiguration())
        #expect(config.global.scrapeInterval == .minutes(1))
        #expect(config.global.scrapeTimeout == .seconds(10))
        #expect(config.global.evaluationInterval == .minutes(1))
    }

    @Test func jobsInheritGlobalIntervalsAndClampTheTimeout() throws {
        let config = try loadConfiguration(file: configFixtures.appendingPathComponent("good-inherit.yml"))
        let intervals = config.scrapeConfigs.map { ($0.jobName, $0.scrapeInterval.description, $0.scrapeTimeout.description) }
        #expect(intervals.map(\.0) == ["fast", "default", "explicit-zero"])
        #expect(intervals.map(\.1) == ["5s", "30s", "30s"])
        // An unset timeout is the global one (10s) unless the job's interval is shorter.
        #expect(intervals.map(\.2) == ["5s", "10s", "10s"])
    }

    @Test func yamlStringLoaderKeepsRelativePaths() throws {
        let yaml = """
            rule_files: [rules/*.yml]
            scrape_configs:
              - job_name: a
                file_sd_configs: [{files: [sd/*.json]}]
            """
        let config = try PrometheusConfiguration(yaml: yaml, file: "inline.yml")
        #expect(config.ruleFiles == ["rules/*.yml"])
        #expect(config.scrapeConfigs[0].fileSDConfigs[0].files == ["sd/*.json"])
    }

    @Test func missingFileIsAnIOError() {
        #expect {
            _ = try loadConfiguration(file: configFixtures.appendingPathComponent("does-not-exist.yml"))
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.code == .io && error.line == nil && error.description.hasPrefix(error.file + ": cannot read")
        }
    }

    @Test func validateReportsThePathOfACodeBuiltConfiguration() {
        var job = ScrapeConfig(jobName: "x")
        job.relabelConfigs = [RelabelConfig(action: .hashmod)]
        let config = PrometheusConfiguration(scrapeConfigs: [job])
        #expect(throws: ConfigError(
            code: .invalidValue, file: "<configuration>",
            message: "scrape_configs[0].relabel_configs[0].modulus: relabel configuration for hashmod requires non-zero modulus")
        ) {
            try config.validate()
        }
    }

    @Test func errorDescriptionOmitsMissingPosition() {
        #expect(ConfigError(code: .io, file: "a.yml", message: "gone").description == "a.yml: gone")
        #expect(ConfigError(code: .syntax, file: "a.yml", line: 3, message: "bad").description == "a.yml:3: bad")
        #expect(ConfigError(code: .syntax, file: "a.yml", line: 3, column: 7, message: "bad").description == "a.yml:3:7: bad")
    }

    /// Each bad fixture with the exact error it must produce, position included.
    static let badFixtures: [(String, String)] = [
        ("bad-unknown-field.yml", "3:5: field scrape_intervall not found in scrape config (did you mean scrape_interval?)"),
        ("bad-unknown-top-level.yml", "3:1: field scrape_config not found in configuration (did you mean scrape_configs?)"),
        ("bad-unknown-relabel-field.yml", "6:9: field replace not found in relabel config"),
        ("bad-unsupported-oauth2.yml",
         "3:5: field oauth2 in scrape config is not supported: Vigil's HTTP client has no OAuth 2.0 or proxy support"),
        ("bad-basic-auth-password-twice.yml", "4:7: at most one of basic_auth password & password_file must be configured"),
        ("bad-bearer-and-authorization.yml", "5:7: authorization is not compatible with bearer_token & bearer_token_file"),
        ("bad-authorization-basic.yml", "4:13: authorization type cannot be set to \"basic\", use \"basic_auth\" instead"),
        ("bad-tls-version.yml", "5:20: unknown TLS version: TLS14"),
        ("bad-alertmanager-cert-without-key.yml", "5:20: client cert file \"client.crt\" specified without client key file"),
        ("bad-unsupported-sd.yml",
         "3:5: field kubernetes_sd_configs in scrape config is not supported: the only service discovery is static_configs, file_sd_configs and http_sd_configs"),
        ("bad-unsupported-remote-read.yml",
         "2:1: field remote_read in configuration is not supported: Vigil serves remote read at /api/v1/read but does not read from other stores"),
        ("bad-syntax-indent.yml", "5:6: did not find expected key (while parsing a block mapping at 2:5)"),
        ("bad-syntax-unclosed.yml", "5:1: did not find expected ',' or ']' (while parsing a flow sequence at 4:18)"),
        ("bad-tab.yml", "2:1: found character that cannot start any token (while scanning for the next token at 2:1)"),
        ("bad-duplicate-key.yml", "3:5: mapping key \"scrape_interval\" defined more than once"),
        ("bad-timeout-over-interval.yml",
         "4:21: scrape timeout greater than scrape interval for scrape config with job name \"slow\""),
        ("bad-global-timeout.yml", "3:19: global scrape timeout greater than scrape interval"),
        ("bad-duplicate-job.yml", "4:15: found multiple scrape configs with job name \"node\""),
        ("bad-missing-job-name.yml", "2:5: job_name is empty"),
        ("bad-scheme.yml", "3:13: invalid scheme \"ftp\": expected http or https"),
        ("bad-duration.yml", "2:20: not a valid duration string: \"1m30\""),
        ("bad-duration-order.yml", "2:24: not a valid duration string: \"30s1m\""),
        ("bad-body-size.yml", "3:22: invalid size \"100\": expected a number and a unit (B, KB, MB, GB, TB, PB, EB)"),
        ("bad-url-target.yml", "6:13: \"http://localhost:9101/metrics\" is not a valid hostname"),
        ("bad-label-name.yml", "7:11: \"1team\" is not a valid label name"),
        ("bad-external-label.yml", "3:5: \"region-name\" is not a valid label name"),
        ("bad-file-sd-extension.yml", "4:17: path name \"targets/nodes.txt\" is not valid for file discovery"),
        ("bad-file-sd-empty.yml", "4:9: file service discovery config must contain at least one path name"),
        ("bad-type-targets.yml", "4:18: scrape_configs[0].static_configs[0].targets: expected a list, got \"localhost:9100\""),
        ("bad-type-bool.yml", "3:19: scrape_configs[0].honor_labels: expected a boolean, got \"maybe\""),
        ("bad-type-int.yml", "3:19: scrape_configs[0].sample_limit: expected an integer, got \"lots\""),
        ("bad-scrape-configs-mapping.yml", "2:3: scrape_configs: expected a list, got a mapping"),
        ("bad-null-scrape-config.yml", "3:4: scrape_configs[1]: expected a mapping, got null"),
        ("bad-api-version.yml", "3:20: expected Alertmanager api version to be one of [v1 v2] but got v3"),
        ("bad-rule-files.yml", "3:5: invalid rule file path \"rules/*/alerts.yml\""),
        ("bad-relabel-replace-no-target.yml", "4:9: relabel configuration for replace action requires 'target_label' value"),
        ("bad-relabel-hashmod.yml", "4:9: relabel configuration for hashmod requires non-zero modulus"),
        ("bad-relabel-labeldrop.yml", "4:9: labeldrop action requires only 'regex', and no other fields"),
        ("bad-relabel-regex.yml", "5:16: error parsing regexp: missing closing ): `^(?:(abc)$`"),
        ("bad-relabel-action.yml", "5:17: unknown relabel action \"rename\""),
        ("bad-relabel-target-label.yml", "5:23: \"host-name\" is invalid 'target_label' for replace action"),
        ("bad-relabel-labelmap.yml", "4:20: \"meta-$1\" is invalid 'replacement' for labelmap action"),
        ("bad-relabel-keepequal.yml",
         "4:9: keepequal action requires only 'source_labels' and `target_label`, and no other fields"),
        ("bad-relabel-source-label.yml", "4:38: \"pod.name\" is not a valid label name"),
    ]

    @Test(arguments: badFixtures)
    func badFixtureFailsWithPosition(file: String, expected: String) {
        #expect(loadError(file) == "\(file):\(expected)")
    }

    @Test func everyBadFixtureIsPairedWithItsError() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: configFixtures.path).filter { $0.hasPrefix("bad-") }
        #expect(Set(files) == Set(Self.badFixtures.map(\.0)))
    }

    @Test func unknownKeysAreRejectedAtEveryLevel() {
        let cases: [(String, String)] = [
            ("global: {scrape_interval: 1m, foo: 1}", "t.yml:1:31: field foo not found in global config"),
            ("alerting: {alertmanagers: [{timeout: 1s, bar: 2}]}", "t.yml:1:42: field bar not found in alertmanager config"),
            ("alerting: {baz: 1}", "t.yml:1:12: field baz not found in alerting config"),
            ("scrape_configs: [{job_name: a, static_configs: [{targets: [], label: {}}]}]",
             "t.yml:1:63: field label not found in target group (did you mean labels?)"),
            ("scrape_configs: [{job_name: a, file_sd_configs: [{files: [a.json], refresh: 1m}]}]",
             "t.yml:1:68: field refresh not found in file_sd config"),
        ]
        for (yaml, expected) in cases {
            #expect(throws: (any Error).self) { try PrometheusConfiguration(yaml: yaml, file: "t.yml") }
            do {
                _ = try PrometheusConfiguration(yaml: yaml, file: "t.yml")
            } catch {
                #expect(error.description == expected)
                #expect(error.code == .unknownField)
            }
        }
    }

    @Test func yamlMergeKeysAreResolved() throws {
        let yaml = """
            defaults: &defaults
              scrape_interval: 5s
            """
        // A top-level anchor holder is an unknown field, so merges are exercised within a job instead.
        #expect(throws: ConfigError.self) { try PrometheusConfiguration(yaml: yaml, file: "m.yml") }
        let merged = """
            scrape_configs:
              - &base
                job_name: a
                scrape_interval: 5s
              - <<: *base
                job_name: b
            """
        let config = try PrometheusConfiguration(yaml: merged, file: "m.yml")
        #expect(config.scrapeConfigs.map(\.jobName) == ["a", "b"])
        #expect(config.scrapeConfigs[1].scrapeInterval == .seconds(5))
    }
}

@Suite struct FileServiceDiscoveryTests {
    @Test func readsJSONAndYAMLGroupsWithTheirFilePath() throws {
        let dir = configFixtures.path + "/file_sd"
        let config = FileSDConfig(files: [dir + "/*.json", dir + "/hosts.yml", dir + "/other.yaml"])
        let snapshot = FileServiceDiscovery.discover(config)
        #expect(snapshot.errors == [])
        #expect(snapshot.modificationTimes.keys.sorted() == ["a.json", "b.json", "hosts.yml", "other.yaml"].map { dir + "/" + $0 })
        #expect(snapshot.groups == [
            TargetGroup(
                targets: ["10.0.0.1:9100", "10.0.0.2:9100"],
                labels: ["env": "prod", "team": "db", "__meta_filepath": dir + "/a.json"], source: dir + "/a.json:0"),
            TargetGroup(targets: ["10.0.0.3:9100"], labels: ["__meta_filepath": dir + "/a.json"], source: dir + "/a.json:1"),
            TargetGroup(
                targets: ["10.0.1.1:9100"], labels: ["env": "staging", "__meta_filepath": dir + "/b.json"], source: dir + "/b.json:0"),
            TargetGroup(
                targets: ["web-1:8080", "web-2"], labels: ["env": "prod", "__meta_filepath": dir + "/hosts.yml"],
                source: dir + "/hosts.yml:0"),
        ])
        #expect(snapshot.groupsByFile[dir + "/other.yaml"] == [])
    }

    @Test func aBrokenFileKeepsItsPreviousGroupsAndReportsWhere() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-file-sd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("targets.yml")
        try "- targets: [a:1]\n".write(to: file, atomically: true, encoding: .utf8)
        let config = FileSDConfig(files: [dir.path + "/*.yml"])

        let first = FileServiceDiscovery.discover(config)
        #expect(first.groups.map(\.targets) == [["a:1"]])
        #expect(FileServiceDiscovery.modificationTimes(config) == first.modificationTimes)

        try "- targets: [a:1]\n  lables: {x: y}\n".write(to: file, atomically: true, encoding: .utf8)
        let second = FileServiceDiscovery.discover(config, previous: first)
        #expect(second.groups == first.groups)
        #expect(second.errors.map(\.description) == [file.path + ":2:3: field lables not found in target group (did you mean labels?)"])

        try FileManager.default.removeItem(at: file)
        #expect(FileServiceDiscovery.discover(config, previous: second).groups == [])
    }

    @Test func rejectsBadContent() {
        let cases: [(String, String, String)] = [
            ("x.json", #"[{"targets": ["a"], "labels": {"a-b": "1"}}]"#, #"x.json: [0].labels: "a-b" is not a valid label name"#),
            ("x.json", #"[null]"#, "x.json: nil target group item found"),
            ("x.yml", "- targets: a:1", "x.yml:1:12: [0].targets: expected a list, got \"a:1\""),
            ("x.yml", "targets: [a]", "x.yml:1:1: expected a list, got a mapping"),
            ("x.txt", "[]", #"x.txt: retrieval not supported for file "x.txt""#),
        ]
        for (file, text, expected) in cases {
            #expect(throws: (any Error).self) { try FileServiceDiscovery.parseTargetGroups(text, file: file) }
            do {
                _ = try FileServiceDiscovery.parseTargetGroups(text, file: file)
            } catch {
                #expect(error.description == expected)
            }
        }
        do {
            _ = try FileServiceDiscovery.parseTargetGroups("[{", file: "x.json")
            Issue.record("accepted truncated JSON")
        } catch {
            #expect(error.code == .syntax && error.description.hasPrefix("x.json: invalid JSON"))
        }
    }

    static let globs: [(String, String, Bool)] = [
        ("*.json", "a.json", true), ("*.json", "a.yml", false), ("tg_*.json", "tg_1.json", true), ("tg_*.json", "x_1.json", false),
        ("?.yml", "a.yml", true), ("?.yml", "ab.yml", false), ("[ab].json", "b.json", true), ("[^ab].json", "b.json", false), ("[!ab].json", "!.json", true),
        ("[a-c]x.json", "cx.json", true), ("*", "", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
    ]

    /// Go's `filepath.Match` classes: `^` negates, `!` is an ordinary character.
    @Test(arguments: globs)
    func globMatching(pattern: String, name: String, matches: Bool) {
        #expect(Glob.match(Array(pattern.unicodeScalars), Array(name.unicodeScalars)) == matches)
    }
}
