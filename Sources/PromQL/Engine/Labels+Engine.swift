import TSDB

/// Label-set operations for the evaluation hot path.
///
/// `Labels.removing(_:)` and `keeping(_:)` take a `Set`, which hashes every label name of
/// every element at every step. These walk the sorted pairs instead, and return `self`
/// (sharing its storage) when nothing changes, so later equality checks stay O(1).
extension Labels {
    /// droppingMetricName removes `__name__`; without one the same storage is returned.
    var droppingMetricName: Labels {
        guard let index = pairs.firstIndex(where: { $0.name == Labels.metricName }) else { return self }
        var copy = pairs
        copy.remove(at: index)
        return Labels(sortedPairs: copy)
    }

    /// keepingOnly keeps the labels named in `sortedNames` (ascending, unique).
    func keepingOnly(_ sortedNames: [String]) -> Labels {
        if sortedNames.isEmpty { return pairs.isEmpty ? self : Labels() }
        var out: [Label] = []
        out.reserveCapacity(Swift.min(sortedNames.count, pairs.count))
        var j = 0
        for pair in pairs {
            while j < sortedNames.count && sortedNames[j] < pair.name { j += 1 }
            if j == sortedNames.count { break }
            if sortedNames[j] == pair.name { out.append(pair) }
        }
        return out.count == pairs.count ? self : Labels(sortedPairs: out)
    }

    /// removingAll drops the labels named in `sortedNames` (ascending, unique).
    func removingAll(_ sortedNames: [String]) -> Labels {
        if sortedNames.isEmpty { return self }
        var out: [Label] = []
        out.reserveCapacity(pairs.count)
        var j = 0
        for pair in pairs {
            while j < sortedNames.count && sortedNames[j] < pair.name { j += 1 }
            if j < sortedNames.count && sortedNames[j] == pair.name { continue }
            out.append(pair)
        }
        return out.count == pairs.count ? self : Labels(sortedPairs: out)
    }
}

/// sortedUnique prepares a label name list for `keepingOnly` and `removingAll`.
func sortedUnique(_ names: [String]) -> [String] {
    Array(Set(names)).sorted()
}
