import Config
import Yams

/// RuleFileFormat is a rule file as written, before validation: strings where the file has strings.
///
/// Decoding only checks types (unknown keys are found beforehand, all at once, by `RuleFileDecoding.shape`); everything promtool reports per rule is left to
/// `RuleFileFormat.validate`, which collects all such problems instead of stopping at the first.
struct RuleFileFormat: Decodable {
    var groups: [RuleGroupFormat]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case groups
    }

    init(groups: [RuleGroupFormat] = []) {
        self.groups = groups
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        groups = try container.decodeIfPresent([RuleGroupFormat].self, forKey: .groups) ?? []
    }
}

/// RuleGroupFormat is one `groups[]` entry as written.
struct RuleGroupFormat: Decodable {
    var name: Located<String>?
    var interval: Located<String>?
    var limit: Located<Int>?
    var rules: [RuleFormat]
    var position: Position

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, interval, limit, rules
    }

    init(from decoder: any Decoder) throws {
        position = Position(decoder.mark)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(Located<String>.self, forKey: .name)
        interval = try container.decodeIfPresent(Located<String>.self, forKey: .interval)
        limit = try container.decodeIfPresent(Located<Int>.self, forKey: .limit)
        rules = try container.decodeIfPresent([RuleFormat].self, forKey: .rules) ?? []
    }
}

/// RuleFormat is one `rules[]` entry as written; `alert` and `record` are both optional here.
struct RuleFormat: Decodable {
    var record: Located<String>?
    var alert: Located<String>?
    var expr: Located<String>?
    var holdDuration: Located<String>?
    var keepFiringFor: Located<String>?
    var labels: [LocatedPair]
    var annotations: [LocatedPair]
    var position: Position

    enum CodingKeys: String, CodingKey, CaseIterable {
        case record, alert, expr, holdDuration = "for", keepFiringFor = "keep_firing_for", labels, annotations
    }

    init(from decoder: any Decoder) throws {
        position = Position(decoder.mark)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        record = try container.decodeIfPresent(Located<String>.self, forKey: .record)
        alert = try container.decodeIfPresent(Located<String>.self, forKey: .alert)
        expr = try container.decodeIfPresent(Located<String>.self, forKey: .expr)
        holdDuration = try container.decodeIfPresent(Located<String>.self, forKey: .holdDuration)
        keepFiringFor = try container.decodeIfPresent(Located<String>.self, forKey: .keepFiringFor)
        labels = try container.decodeIfPresent(LocatedMap.self, forKey: .labels)?.pairs ?? []
        annotations = try container.decodeIfPresent(LocatedMap.self, forKey: .annotations)?.pairs ?? []
    }

    /// The rule's name as promtool shows it in messages: the alert name, else the record name.
    var displayName: String {
        if let alert, !alert.value.isEmpty { return alert.value }
        return record?.value ?? ""
    }
}

/// Position is a line and column in a YAML file, both from 1; zero when unknown.
struct Position: Hashable {
    var line: Int
    var column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    init(_ mark: Mark?) {
        self.init(line: mark?.line ?? 0, column: mark?.column ?? 0)
    }
}

/// Located is a decoded value with the position of its YAML node, for messages that point at it.
///
/// A YAML null is absent to `decodeIfPresent`, so `for: ~` means "unset", as in Prometheus.
struct Located<Value: Decodable>: Decodable {
    var value: Value
    var position: Position

    init(from decoder: any Decoder) throws {
        position = Position(decoder.mark)
        value = try decoder.singleValueContainer().decode(Value.self)
    }
}

/// LocatedPair is one entry of a `labels` or `annotations` mapping, with the position of its value.
struct LocatedPair {
    var name: String
    var value: String
    var position: Position
}

/// LocatedMap decodes a string-to-string mapping into pairs in file order, each with its position.
struct LocatedMap: Decodable {
    var pairs: [LocatedPair]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        pairs = try container.allKeys.map { key in
            let located = try container.decode(Located<String>.self, forKey: key)
            return LocatedPair(name: key.stringValue, value: located.value, position: located.position)
        }
    }
}
