@testable import Config
import Foundation
import Model
import TSDB
import Testing

@testable import Scraper

/// Decodes relabel configs from YAML the way a configuration file gives them, validated.
private func relabelConfigs(_ yaml: String) throws(ConfigError) -> [RelabelConfig] {
    let config = try PrometheusConfiguration(
        yaml: "scrape_configs: [{job_name: t, metric_relabel_configs: \(yaml)}]", file: "relabel.yml")
    return config.scrapeConfigs[0].metricRelabelConfigs
}

private func relabel(_ labels: Labels, _ yaml: String) throws -> Labels? {
    Relabeling.process(labels, with: try relabelConfigs(yaml))
}

@Suite struct RelabelActionTests {
    let input: Labels = ["__name__": "http_requests_total", "a": "foo", "b": "bar", "c": "baz", "pod_name": "web-1"]

    @Test func defaultsArePrometheuss() throws {
        let config = try #require(try relabelConfigs("[{target_label: x}]").first)
        #expect(config == RelabelConfig(targetLabel: "x"))
        #expect(config.sourceLabels == [] && config.separator == ";" && config.regex.pattern == "(.*)")
        #expect(config.replacement == "$1" && config.action == .replace && config.modulus == 0)
    }

    @Test func replaceJoinsSourcesAndExpandsGroups() throws {
        let out = try relabel(input, #"[{source_labels: [a, b], regex: "(f.*);(.*)", target_label: "d", replacement: "${2}-$1"}]"#)
        #expect(out?["d"] == "bar-foo")
    }

    @Test func replaceWithoutMatchChangesNothing() throws {
        #expect(try relabel(input, #"[{source_labels: [a], regex: "x.*", target_label: a, replacement: y}]"#) == input)
    }

    @Test func regexIsAnchoredAtBothEnds() throws {
        // "oo" matches inside "foo" but not the whole value, so nothing is replaced.
        #expect(try relabel(input, #"[{source_labels: [a], regex: "oo", target_label: hit, replacement: yes}]"#) == input)
        #expect(try relabel(input, #"[{source_labels: [a], regex: "f(o)+", target_label: hit, replacement: "$1"}]"#)?["hit"] == "o")
    }

    @Test func replaceWithEmptyResultRemovesTheTarget() throws {
        let out = try relabel(input, #"[{source_labels: [missing], target_label: a}]"#)
        #expect(out?["a"] == nil)
    }

    @Test func targetLabelMayUseGroups() throws {
        let out = try relabel(input, #"[{source_labels: [pod_name], regex: "(web)-(\\d)", target_label: "${1}_$2", replacement: "x"}]"#)
        #expect(out?["web_1"] == "x")
    }

    @Test func replaceSkipsAnExpandedTargetThatIsNotALabelName() throws {
        let out = try relabel(input, #"[{source_labels: [pod_name], regex: "(.*)", target_label: "$1", replacement: "x"}]"#)
        #expect(out == input)  // "web-1" is not a valid label name
    }

    @Test func keepAndDrop() throws {
        #expect(try relabel(input, #"[{source_labels: [a], regex: "f.*", action: keep}]"#) == input)
        #expect(try relabel(input, #"[{source_labels: [a], regex: "b.*", action: keep}]"#) == nil)
        #expect(try relabel(input, #"[{source_labels: [a], regex: "f.*", action: drop}]"#) == nil)
        #expect(try relabel(input, #"[{source_labels: [a], regex: "b.*", action: drop}]"#) == input)
        // A missing label is the empty string, which (.*) matches.
        #expect(try relabel(input, #"[{source_labels: [missing], action: drop}]"#) == nil)
    }

    @Test func keepEqualAndDropEqualCompareWithTheTargetLabel() throws {
        let labels: Labels = ["x": "1", "y": "1", "z": "2"]
        #expect(try relabel(labels, "[{source_labels: [x], target_label: y, action: keepequal}]") == labels)
        #expect(try relabel(labels, "[{source_labels: [x], target_label: z, action: keepequal}]") == nil)
        #expect(try relabel(labels, "[{source_labels: [x], target_label: y, action: dropequal}]") == nil)
        #expect(try relabel(labels, "[{source_labels: [x], target_label: z, action: dropequal}]") == labels)
    }

    @Test func hashmodUsesTheLowBytesOfMD5() throws {
        // Expected shards computed independently: int.from_bytes(md5(v)[8:], "big") % m.
        #expect(try relabel(input, "[{source_labels: [c], target_label: d, modulus: 1000, action: hashmod}]")?["d"] == "976")
        #expect(Relabeling.hashmod("foo;bar", 10) == 0)
        #expect(Relabeling.hashmod("localhost:9090", 3) == 1)
        #expect(Relabeling.hashmod("", 7) == 1)
        #expect(Relabeling.hashmod("10.0.0.1:9100", 1_000_000) == 187_645)
    }

    @Test func labelmapCopiesMatchingNames() throws {
        let labels: Labels = ["__meta_kubernetes_pod": "p", "__meta_kubernetes_ns": "n", "keep": "k"]
        let out = try relabel(labels, #"[{regex: "__meta_kubernetes_(.+)", action: labelmap}]"#)
        #expect(out == ["__meta_kubernetes_pod": "p", "__meta_kubernetes_ns": "n", "keep": "k", "pod": "p", "ns": "n"])
        let renamed = try relabel(labels, #"[{regex: "__meta_(kubernetes)_(.+)", replacement: "${1}_${2}_x", action: labelmap}]"#)
        #expect(renamed?["kubernetes_pod_x"] == "p")
        // As in Go, `$2_x` names the group "2_x", which does not exist, so both labels map to "kubernetes_".
        let unbraced = try relabel(labels, #"[{regex: "__meta_(kubernetes)_(.+)", replacement: "${1}_$2_x", action: labelmap}]"#)
        #expect(unbraced?["kubernetes_"] == "p")
    }

    @Test func labeldropAndLabelkeep() throws {
        #expect(try relabel(input, #"[{regex: "a|b", action: labeldrop}]"#) == ["__name__": "http_requests_total", "c": "baz", "pod_name": "web-1"])
        #expect(try relabel(input, #"[{regex: "__name__|a", action: labelkeep}]"#) == ["__name__": "http_requests_total", "a": "foo"])
        #expect(try relabel(input, #"[{regex: "pod_.*", action: labeldrop}]"#)?["pod_name"] == nil)
    }

    @Test func lowercaseAndUppercase() throws {
        let labels: Labels = ["m": "MiXeD"]
        #expect(try relabel(labels, "[{source_labels: [m], target_label: l, action: lowercase}]")?["l"] == "mixed")
        #expect(try relabel(labels, "[{source_labels: [m], target_label: u, action: uppercase}]")?["u"] == "MIXED")
    }

    @Test func actionIsCaseInsensitive() throws {
        #expect(try relabelConfigs("[{regex: x, action: LabelDrop}]").first?.action == .labeldrop)
    }

    @Test func stepsApplyInOrder() throws {
        let yaml = #"""
            [{source_labels: [a], target_label: tmp},
             {source_labels: [tmp, b], separator: "+", target_label: joined},
             {regex: tmp, action: labeldrop}]
            """#
        let out = try relabel(input, yaml)
        #expect(out?["joined"] == "foo+bar")
        #expect(out?["tmp"] == nil)
    }
}

@Suite struct ExpansionTests {
    private func expand(_ pattern: String, _ value: String, _ template: String) throws -> String? {
        let regex = try GoRegex(anchored: pattern)
        return regex.captures(value).map { regex.expand(template, captures: $0) }
    }

    @Test func followsGoExpandRules() throws {
        #expect(try expand("(a)(b)", "ab", "$1$2") == "ab")
        #expect(try expand("(a)(b)", "ab", "${1}x") == "ax")
        #expect(try expand("(a)(b)", "ab", "$1x") == "")  // the group named "1x", which does not exist
        #expect(try expand("(a)(b)", "ab", "$$1") == "$1")
        #expect(try expand("(a)(b)", "ab", "$0") == "ab")
        #expect(try expand("(a)(b)", "ab", "$3") == "")
        #expect(try expand("(a)(b)", "ab", "cost: $") == "cost: $")
        #expect(try expand("(a)(b)", "ab", "${1") == "${1")
        #expect(try expand("(a)(b)", "ab", "$-") == "$-")
        #expect(try expand("(a)|(b)", "b", "[$1][$2]") == "[][b]")
    }

    @Test func namedGroups() throws {
        #expect(try expand("(?P<host>[^:]+):(?P<port>\\d+)", "db:5432", "$host/${port}") == "db/5432")
        #expect(try expand("(?P<host>[^:]+):(\\d+)", "db:5432", "$host-$2-$nope") == "db-5432-")
        // Go 1.19, which built Prometheus 2.42, does not know the (?<name>) spelling.
        #expect(throws: GoRegexError.self) { try GoRegex(anchored: "(?<host>[^:]+)") }
    }

    @Test func dotAndClassesFollowGo() throws {
        #expect(!GoRegex.relabelDefault.matches("a\nb"))
        #expect(try !GoRegex(anchored: "a.b").matches("a\nb"))
        #expect(try GoRegex(anchored: "a.b").matches("aéb"))
        // Go's `.` excludes only \n; Swift's would also exclude \r and U+2028.
        #expect(try GoRegex(anchored: "a.b").matches("a\rb"))
        #expect(try GoRegex(anchored: "(?P<x>a).b").matches("a\u{2028}b"))
        #expect(try GoRegex(anchored: "(?s)a.b").matches("a\nb"))
        #expect(try GoRegex(anchored: "a[.]b").matches("a.b") && GoRegex(anchored: "a[.]b").matches("axb") == false)
        #expect(try GoRegex(anchored: #"a\.b"#).matches("a.b") && GoRegex(anchored: #"a\.b"#).matches("axb") == false)
        #expect(try GoRegex(anchored: "[[:alpha:].]+").matches("ab.c") && GoRegex(anchored: "[[:alpha:].]+").matches("a1") == false)
        // RE2's \w and \d are ASCII-only.
        #expect(try !GoRegex(anchored: #"\w+"#).matches("é"))
        #expect(try !GoRegex(anchored: #"\d"#).matches("٣"))
    }

    @Test func fastPathsAgreeWithTheRegexEngine() throws {
        for value in ["", "foo", "bar", "foobar", "fo", "a\nb"] {
            for (fast, general) in [("foo", "fo(o)"), ("foo|bar", "foo|ba(r)"), (".*", ".*()"), ("(.*)", "(.*)()")] {
                #expect(try GoRegex(anchored: fast).matches(value) == GoRegex(anchored: general).matches(value), "\(fast) on \(value)")
            }
        }
    }
}

@Suite struct RelabelValidationTests {
    static let invalid: [(String, String)] = [
        ("[{action: hashmod, target_label: x}]", "relabel configuration for hashmod requires non-zero modulus"),
        ("[{action: lowercase}]", "relabel configuration for lowercase action requires 'target_label' value"),
        ("[{action: uppercase, target_label: x, replacement: y}]", "'replacement' can not be set for uppercase action"),
        ("[{action: hashmod, target_label: \"$1\", modulus: 2}]", "\"$1\" is invalid 'target_label' for hashmod action"),
        ("[{action: dropequal, target_label: x, separator: \",\"}]",
         "dropequal action requires only 'source_labels' and `target_label`, and no other fields"),
        ("[{action: labelkeep, target_label: x}]", "labelkeep action requires only 'regex', and no other fields"),
        ("[{action: labelmap, replacement: \"1abc\"}]", "\"1abc\" is invalid 'replacement' for labelmap action"),
        ("[{target_label: \"${1\"}]", "\"${1\" is invalid 'target_label' for replace action"),
        ("[{action: \"\"}]", "unknown relabel action \"\""),
        ("[{regex: \"[z-a]\", action: drop}]", "error parsing regexp: invalid character class range: `z-a`"),
        ("[{modulus: -1, target_label: x}]", "expected an integer, got \"-1\""),
    ]

    @Test(arguments: invalid)
    func rejects(yaml: String, message: String) {
        do {
            _ = try relabelConfigs(yaml)
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.message.contains(message), "\(error)")
            #expect(error.line == 1)
        }
    }

    @Test(arguments: ["abc", "a_$1", "${1}_x", "$name", "_", "__tmp_$1$2"])
    func acceptsTemplates(text: String) {
        #expect(RelabelConfig.isValidTemplate(text))
    }

    @Test(arguments: ["", "1a", "a-b", "$", "${}", "a.b", "${1", "a b"])
    func rejectsTemplates(text: String) {
        #expect(!RelabelConfig.isValidTemplate(text))
    }
}

@Suite struct MD5Tests {
    /// RFC 1321 appendix A.5, plus lengths around the padding boundary.
    static let vectors: [(String, String)] = [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        (String(repeating: "x", count: 55), "04364420e25c512fd958a70738aa8f72"),
        (String(repeating: "x", count: 56), "668a72d5ba17f08e62dabcafad6db14b"),
        (String(repeating: "x", count: 64), "c1bb4f81d892b2d57947682aeb252456"),
    ]

    @Test(arguments: vectors)
    func knownVectors(message: String, hex: String) {
        #expect(MD5.digest(message.utf8).map { String(format: "%02x", $0) }.joined() == hex)
    }
}

@Suite struct TargetDiscoveryTests {
    private func job(_ yaml: String) throws -> ScrapeConfig {
        try PrometheusConfiguration(yaml: "scrape_configs:\n" + yaml, file: "targets.yml").scrapeConfigs[0]
    }

    @Test func discoveredLabelsIncludeTheJobDefaults() throws {
        let config = try job("""
              - job_name: node
                scrape_interval: 30s
                params: {module: [cpu, mem], empty: []}
                static_configs: [{targets: ["host:9100"], labels: {env: prod}}]
            """)
        let target = try #require(config.staticTargets.targets.first)
        #expect(target.discoveredLabels == [
            "__address__": "host:9100", "__scheme__": "http", "__metrics_path__": "/metrics",
            "__scrape_interval__": "30s", "__scrape_timeout__": "10s", "__param_module": "cpu", "job": "node", "env": "prod",
        ])
        #expect(target.labels == ["instance": "host:9100", "job": "node", "env": "prod"])
        #expect(target.scrapeURL?.absoluteString == "http://host:9100/metrics?module=cpu&module=mem")
        #expect(target.scrapeInterval == .seconds(30) && target.scrapeTimeout == .seconds(10))
    }

    @Test func groupLabelsCanOverrideJobDefaultsButNotTheAddress() throws {
        let config = try job("""
              - job_name: node
                static_configs: [{targets: ["a:1"], labels: {job: custom, __metrics_path__: /probe, __address__: "b:2"}}]
            """)
        let target = try #require(config.staticTargets.targets.first)
        #expect(target.labels == ["instance": "a:1", "job": "custom"])
        #expect(target.scrapeURL?.absoluteString == "http://a:1/probe")
    }

    @Test func relabelingRewritesAddressParamsAndInterval() throws {
        // The blackbox-exporter pattern: the target becomes a parameter and the exporter the address.
        let config = try job("""
              - job_name: blackbox
                metrics_path: /probe
                params: {module: [http_2xx]}
                static_configs: [{targets: ["https://example.com/a b"]}]
                relabel_configs:
                  - {source_labels: [__address__], target_label: __param_target}
                  - {source_labels: [__param_target], target_label: instance}
                  - {target_label: __address__, replacement: "exporter:9115"}
                  - {target_label: __scrape_interval__, replacement: 2m}
            """)
        let target = try #require(config.staticTargets.targets.first)
        #expect(target.labels == ["instance": "https://example.com/a b", "job": "blackbox"])
        #expect(target.scrapeURL?.absoluteString
            == "http://exporter:9115/probe?module=http_2xx&target=https%3A%2F%2Fexample.com%2Fa+b")
        #expect(target.scrapeInterval == .minutes(2))
    }

    @Test func addsDefaultPortAndKeepsMetaLabelsOutOfTheResult() throws {
        let config = try job("""
              - job_name: web
                static_configs: [{targets: ["web", "[::1]", "web:8080"], labels: {__meta_rack: r1}}]
                relabel_configs: [{source_labels: [__meta_rack], target_label: rack}]
            """)
        let targets = config.staticTargets.targets
        #expect(targets.map { $0.labels?["instance"] } == ["web:80", "[::1]:80", "web:8080"])
        #expect(targets.map { $0.scrapeURL?.absoluteString } == ["http://web:80/metrics", "http://[::1]:80/metrics", "http://web:8080/metrics"])
        #expect(targets.allSatisfy { $0.labels?["rack"] == "r1" && $0.discoveredLabels["__meta_rack"] == "r1" })
    }

    @Test func droppedTargetsKeepTheirDiscoveredLabels() throws {
        let config = try job("""
              - job_name: node
                static_configs: [{targets: ["a:1", "b:1"]}]
                relabel_configs: [{source_labels: [__address__], regex: "a:.*", action: keep}]
            """)
        let result = config.staticTargets
        #expect(result.targets.count == 2)
        #expect(result.active.map { $0.labels?["instance"] } == ["a:1"])
        let dropped = try #require(result.targets.last)
        #expect(dropped.isDropped && dropped.scrapeURL == nil && dropped.discoveredLabels["__address__"] == "b:1")
    }

    @Test func unusableTargetsAreFailuresNotTargets() throws {
        let config = try job("""
              - job_name: node
                scrape_interval: 10s
                static_configs: [{targets: ["a:1", "b:1", "c:1", "d:1"]}]
                relabel_configs:
                  - {source_labels: [__address__], regex: "a:1", target_label: __address__, replacement: ""}
                  - {source_labels: [__address__], regex: "b:1", target_label: __scrape_timeout__, replacement: 1m}
                  - {source_labels: [__address__], regex: "c:1", target_label: __scheme__, replacement: ftp}
            """)
        let result = config.staticTargets
        #expect(result.active.map { $0.labels?["instance"] } == ["d:1"])
        #expect(result.failures.map(\.message) == [
            "no address",
            #"scrape timeout cannot be greater than scrape interval ("1m" > "10s")"#,
            #"invalid scheme: "ftp""#,
        ])
    }

    @Test func fileGroupsCarryTheirPath() throws {
        let config = try job("  - job_name: files\n    file_sd_configs: [{files: [x.json]}]")
        let group = try FileServiceDiscovery.parseTargetGroups(#"[{"targets": ["h:1"], "labels": {"dc": "x"}}]"#, file: "/sd/x.json")
        let target = try #require(config.targets(from: group).targets.first)
        #expect(target.discoveredLabels["__meta_filepath"] == "/sd/x.json")
        #expect(target.labels == ["instance": "h:1", "job": "files", "dc": "x"])
    }
}
