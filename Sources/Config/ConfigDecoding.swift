import Model

extension Decoder {
    /// Throws for the first key of this mapping that `Keys` does not name, so a misspelt field is an error
    /// instead of a silently ignored setting (Prometheus decodes strictly too).
    ///
    /// `section` names the mapping in the message ("scrape config"). `unsupported` lists fields Prometheus accepts
    /// but Vigil does not implement, with the reason to print, so such files fail loudly rather than behave differently.
    /// `alsoKnown` names keys read by an inline part of the mapping, such as the HTTP client settings.
    public func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(
        _ keys: Keys.Type, in section: String, unsupported: [String: String] = [:], alsoKnown: [String] = []
    ) throws {
        let known = Keys.allCases.map(\.stringValue) + alsoKnown
        for key in try container(keyedBy: AnyCodingKey.self).allKeys where !known.contains(key.stringValue) {
            let name = key.stringValue
            var message: String
            if let reason = unsupported[name] {
                message = "field \(name) in \(section) is not supported: \(reason)"
            } else if name.hasSuffix("_sd_configs") {
                message = "field \(name) in \(section) is not supported: the only service discovery is static_configs, file_sd_configs and http_sd_configs"
            } else {
                message = "field \(name) not found in \(section)"
                if let suggestion = closestName(to: name, among: known) { message += " (did you mean \(suggestion)?)" }
            }
            throw ConfigIssue(message, at: codingPath + [key], code: .unknownField, pointsAtKey: true)
        }
    }
}

extension KeyedDecodingContainer {
    /// The value for `key`, or `fallback` when the key is absent or null, as Prometheus fills unset fields.
    public func decode<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// A mapping of label names to values, each name checked as Prometheus checks label names.
    public func decodeLabelMap(_ key: Key) throws -> [String: String] {
        let map = try decodeIfPresent([String: String].self, forKey: key) ?? [:]
        for name in map.keys.sorted() where !LabelName.isValid(name) {
            throw ConfigIssue("\"\(name)\" is not a valid label name", at: codingPath + [key, AnyCodingKey(name)], pointsAtKey: true)
        }
        return map
    }

    /// A list of label names, each checked.
    public func decodeLabelNames(_ key: Key) throws -> [String] {
        let names = try decodeIfPresent([String].self, forKey: key) ?? []
        for (index, name) in names.enumerated() where !LabelName.isValid(name) {
            throw ConfigIssue("\"\(name)\" is not a valid label name", at: codingPath + [key, AnyCodingKey(index: index)])
        }
        return names
    }
}

extension PrometheusDuration: Decodable {
    /// Decodes a duration string, failing with Prometheus's message at the value's position.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw ConfigIssue(error.description, at: decoder.codingPath)
        }
    }
}

/// closestName is the known name within two edits of `name`, if exactly one is nearest: the "did you mean" of
/// unknown-field errors.
public func closestName(to name: String, among known: [String]) -> String? {
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
