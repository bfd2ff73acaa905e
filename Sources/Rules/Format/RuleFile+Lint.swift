import TSDB

extension RuleFile {
    /// DuplicateRule is a rule name and label set that more than one rule of a file shares.
    public struct DuplicateRule: Sendable, Hashable {
        public var name: String
        public var labels: Labels
    }

    /// The rules that share a name and label set with an earlier rule, each reported once, sorted.
    ///
    /// This is promtool's `duplicate-rules` lint: two recording rules writing the same series overwrite each other,
    /// and two alerting rules with the same name and labels produce indistinguishable alerts. Alerting and recording
    /// rules share one namespace here, as in promtool.
    public var duplicateRules: [DuplicateRule] {
        let all = groups.flatMap(\.rules).map { DuplicateRule(name: $0.name, labels: Labels($0.labels)) }
            .sorted { $0.name != $1.name ? $0.name < $1.name : $0.labels.pairs.lexicographicallyPrecedes($1.labels.pairs) }
        var duplicates: [DuplicateRule] = []
        for index in all.indices.dropFirst() where all[index] == all[index - 1] && duplicates.last != all[index] {
            duplicates.append(all[index])
        }
        return duplicates
    }

    /// promtool's message for `duplicateRules`, or nil when there are none.
    public var duplicateRulesReport: String? {
        let duplicates = duplicateRules
        guard !duplicates.isEmpty else { return nil }
        var text = "\(duplicates.count) duplicate rule(s) found.\n"
        for duplicate in duplicates {
            text += "Metric: \(duplicate.name)\nLabel(s):\n"
            for label in duplicate.labels { text += "\t\(label.name): \(label.value)\n" }
        }
        return text + "Might cause inconsistency while recording expressions"
    }
}
