import Yams

/// RuleFileFormat is a rule file as written, before validation: strings where the file has strings.
///
/// Decoding only checks the shape (unknown keys, types); everything promtool reports per rule is left to
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
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "rule file")
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
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "rule group")
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
        try decoder.rejectUnknownKeys(CodingKeys.self, in: "rule")
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

/// AnyCodingKey names any mapping key or list index, for reading keys a type does not declare.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(_ string: String) {
        stringValue = string
        intValue = nil
    }

    init(index: Int) {
        stringValue = String(index)
        intValue = index
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(index: intValue) }
}

/// UnknownField is a key the rule format does not know, with where it is.
struct UnknownField: Error {
    var message: String
    var path: [any CodingKey]

    /// The error for `name` in `section`, suggesting the known field it is probably a misspelling of.
    init(name: String, known: [String], section: String, path: [any CodingKey]) {
        message = "field \(name) not found in \(section)"
        if let suggestion = closest(to: name, among: known) { message += " (did you mean \(suggestion)?)" }
        self.path = path
    }
}

extension Decoder {
    /// Throws for the first key of this mapping that `Keys` does not name, as promtool's strict decoding does.
    ///
    /// A misspelt `anotations:` would otherwise be dropped silently and the alert would go out without them.
    func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type, in section: String) throws {
        let known = Keys.allCases.map(\.stringValue)
        // A non-mapping is left for the caller's own decoding to report as a type mismatch.
        guard let container = try? container(keyedBy: AnyCodingKey.self) else { return }
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw UnknownField(name: key.stringValue, known: known, section: section, path: codingPath + [key])
        }
    }
}

/// closest is the known name within two edits of `name`, if exactly one is nearest.
private func closest(to name: String, among known: [String]) -> String? {
    let scored = known.map { ($0, editDistance(Array(name), Array($0))) }.filter { $0.1 <= 2 }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return scored.filter { $0.1 == best.1 }.count == 1 ? best.0 : nil
}

private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    guard !a.isEmpty else { return b.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
