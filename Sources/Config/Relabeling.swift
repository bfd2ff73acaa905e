import Model

/// RelabelAction is what one relabeling step does with the labels.
public enum RelabelAction: String, Sendable, Hashable, CaseIterable {
    case replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase
}

/// RelabelConfig is one step of `relabel_configs` or `metric_relabel_configs`.
///
/// Defaults are Prometheus's: separator `;`, regex `(.*)`, replacement `$1`, action replace.
public struct RelabelConfig: Sendable, Hashable {
    public var sourceLabels: [String]
    public var separator: String
    public var targetLabel: String
    /// Anchored as Prometheus anchors relabeling regexes: `foo.*` matches "foobar" but not "xfoobar".
    public var regex: GoRegex
    public var modulus: UInt64
    public var replacement: String
    public var action: RelabelAction

    public init(
        sourceLabels: [String] = [], separator: String = ";", targetLabel: String = "",
        regex: GoRegex = .relabelDefault, modulus: UInt64 = 0, replacement: String = "$1", action: RelabelAction = .replace
    ) {
        self.sourceLabels = sourceLabels
        self.separator = separator
        self.targetLabel = targetLabel
        self.regex = regex
        self.modulus = modulus
        self.replacement = replacement
        self.action = action
    }

    /// Checks the field combinations Prometheus checks, with its messages.
    func validate() throws(ConfigIssue) {
        let name = action.rawValue
        if action == .hashmod && modulus == 0 {
            throw ConfigIssue("relabel configuration for hashmod requires non-zero modulus", at: "modulus")
        }
        switch action {
        case .replace, .hashmod, .lowercase, .uppercase, .keepequal, .dropequal:
            if targetLabel.isEmpty {
                throw ConfigIssue("relabel configuration for \(name) action requires 'target_label' value")
            }
        default: break
        }
        switch action {
        case .replace:
            if !Self.isValidTemplate(targetLabel) {
                throw ConfigIssue("\"\(targetLabel)\" is invalid 'target_label' for \(name) action", at: "target_label")
            }
        case .lowercase, .uppercase, .keepequal, .dropequal, .hashmod:
            if !LabelName.isValid(targetLabel) {
                throw ConfigIssue("\"\(targetLabel)\" is invalid 'target_label' for \(name) action", at: "target_label")
            }
        default: break
        }
        if [.lowercase, .uppercase].contains(action) && replacement != "$1" {
            throw ConfigIssue("'replacement' can not be set for \(name) action", at: "replacement")
        }
        if action == .labelmap && !Self.isValidTemplate(replacement) {
            throw ConfigIssue("\"\(replacement)\" is invalid 'replacement' for \(name) action", at: "replacement")
        }
        if [.keepequal, .dropequal].contains(action)
            && (regex != .relabelDefault || modulus != 0 || separator != ";" || replacement != "$1") {
            throw ConfigIssue("\(name) action requires only 'source_labels' and `target_label`, and no other fields")
        }
        if [.labeldrop, .labelkeep].contains(action)
            && (!sourceLabels.isEmpty || !targetLabel.isEmpty || modulus != 0 || separator != ";" || replacement != "$1") {
            throw ConfigIssue("\(name) action requires only 'regex', and no other fields")
        }
    }

    /// Whether `text` is a label name that may contain `$1`, `${1}` or `$name` references, Prometheus's rule for
    /// `target_label` of replace and `replacement` of labelmap.
    static func isValidTemplate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, !LabelName.isDigit(first) else { return false }
        var i = 0
        while i < bytes.count {
            if LabelName.isWordByte(bytes[i]) {
                i += 1
            } else if bytes[i] == UInt8(ascii: "$") {
                i += 1
                let braced = i < bytes.count && bytes[i] == UInt8(ascii: "{")
                if braced { i += 1 }
                let start = i
                while i < bytes.count, LabelName.isWordByte(bytes[i]) { i += 1 }
                guard i > start else { return false }
                if braced {
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "}") else { return false }
                    i += 1
                }
            } else {
                return false
            }
        }
        return true
    }
}

extension RelabelConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case sourceLabels = "source_labels", separator, targetLabel = "target_label", regex, modulus, replacement, action
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "relabel config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var action = RelabelAction.replace
        if let text = try container.decodeIfPresent(String.self, forKey: .action) {
            guard let parsed = RelabelAction(rawValue: text.lowercased()) else {
                throw ConfigIssue("unknown relabel action \"\(text)\"", at: container.codingPath + [CodingKeys.action])
            }
            action = parsed
        }
        self.init(
            sourceLabels: try container.decodeLabelNames(.sourceLabels),
            separator: try container.decode(.separator, or: ";"),
            targetLabel: try container.decode(.targetLabel, or: ""),
            regex: try container.decodeRelabelRegex(.regex),
            modulus: try container.decode(.modulus, or: 0),
            replacement: try container.decode(.replacement, or: "$1"),
            action: action
        )
    }
}

extension GoRegex {
    /// The default of `regex:` in a relabel config, `(.*)`.
    public static let relabelDefault: GoRegex = {
        do { return try GoRegex.cached(anchored: "(.*)") } catch { preconditionFailure("the constant pattern (.*) compiles: \(error)") }
    }()
}

extension KeyedDecodingContainer {
    /// A relabeling regex, compiled anchored; a pattern Go rejects is a config error at the key, in Go's words.
    func decodeRelabelRegex(_ key: Key) throws -> GoRegex {
        guard let pattern = try decodeIfPresent(String.self, forKey: key) else { return .relabelDefault }
        do {
            return try GoRegex.cached(anchored: pattern)
        } catch {
            throw ConfigIssue(error.description, at: codingPath + [key])
        }
    }
}

/// Relabeling applies relabel configs to label sets, for targets before scraping and for scraped series.
public enum Relabeling {
    /// The labels after every step in order, or nil when a keep, drop, keepequal or dropequal step drops them.
    ///
    /// Setting a label to an empty value removes it, as in Prometheus.
    public static func process(_ labels: Labels, with configs: [RelabelConfig]) -> Labels? {
        guard !configs.isEmpty else { return labels }
        var map: [String: String] = [:]
        map.reserveCapacity(labels.count + configs.count)
        for label in labels { map[label.name] = label.value }
        for config in configs {
            guard apply(config, to: &map) else { return nil }
        }
        return Labels(map)
    }

    /// Why `configs` drop `labels`: the first step that drops them, as "relabel_configs[2]: action drop, source_labels
    /// [env], regex dev"; nil when every step keeps them. `/service-discovery` shows it beside each dropped target.
    public static func dropReason(_ labels: Labels, with configs: [RelabelConfig], section: String = "relabel_configs") -> String? {
        var map: [String: String] = [:]
        for label in labels { map[label.name] = label.value }
        for (index, config) in configs.enumerated() where !apply(config, to: &map) {
            var reason = "\(section)[\(index)]: action \(config.action.rawValue)"
            if !config.sourceLabels.isEmpty { reason += ", source_labels [\(config.sourceLabels.joined(separator: ", "))]" }
            switch config.action {
            case .keepequal, .dropequal: reason += ", target_label \(config.targetLabel)"
            default: reason += ", regex \(config.regex.pattern)"
            }
            return reason
        }
        return nil
    }

    /// Applies one step; false means drop.
    static func apply(_ config: RelabelConfig, to map: inout [String: String]) -> Bool {
        let value: String
        if config.sourceLabels.count == 1 {
            value = map[config.sourceLabels[0]] ?? ""
        } else {
            value = config.sourceLabels.map { map[$0] ?? "" }.joined(separator: config.separator)
        }
        switch config.action {
        case .drop:
            return !config.regex.matches(value)
        case .keep:
            return config.regex.matches(value)
        case .dropequal:
            return !(map[config.targetLabel] ?? "").utf8Equal(value)
        case .keepequal:
            return (map[config.targetLabel] ?? "").utf8Equal(value)
        case .replace:
            guard let captures = config.regex.captures(value) else { return true }
            let target = config.regex.expand(config.targetLabel, captures: captures)
            guard LabelName.isValid(target) else { return true }
            set(target, config.regex.expand(config.replacement, captures: captures), in: &map)
        case .lowercase:
            set(config.targetLabel, value.lowercased(), in: &map)
        case .uppercase:
            set(config.targetLabel, value.uppercased(), in: &map)
        case .hashmod:
            set(config.targetLabel, String(hashmod(value, config.modulus)), in: &map)
        case .labelmap:
            // Later names win when two labels map to the same name, so iterate in the sorted order Prometheus uses.
            for (name, labelValue) in map.sorted(by: { $0.key.utf8Less($1.key) }) {
                guard let captures = config.regex.captures(name) else { continue }
                set(config.regex.expand(config.replacement, captures: captures), labelValue, in: &map)
            }
        case .labeldrop:
            for name in map.keys where config.regex.matches(name) { map[name] = nil }
        case .labelkeep:
            for name in map.keys where !config.regex.matches(name) { map[name] = nil }
        }
        return true
    }

    /// The shard of `value`: the low 8 bytes of its MD5 digest, read big-endian, modulo `modulus`.
    static func hashmod(_ value: String, _ modulus: UInt64) -> UInt64 {
        precondition(modulus > 0, "hashmod needs a validated relabel config with a non-zero modulus")
        let digest = MD5.digest(value.utf8)
        let low = digest[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return low % modulus
    }

    private static func set(_ name: String, _ value: String, in map: inout [String: String]) {
        map[name] = value.isEmpty ? nil : value
    }
}
