import Synchronization

extension GoRegex {
    /// The compiled anchored regex for `pattern`, shared process-wide so that the same selector in every query,
    /// rule evaluation and relabel config is compiled once.
    public static func cached(anchored pattern: String) throws(GoRegexError) -> GoRegex {
        try cache.regex(pattern, anchored: true)
    }

    /// The compiled unanchored regex for `pattern`, shared process-wide (template functions).
    public static func cached(unanchored pattern: String) throws(GoRegexError) -> GoRegex {
        try cache.regex(pattern, anchored: false)
    }

    /// How many compiled regexes the cache keeps; past that an arbitrary entry makes room.
    public static let cacheCapacity = 1024

    static let cache = RegexCache(capacity: cacheCapacity)
}

/// A bounded map from pattern bytes to compiled regexes; errors are not kept, so a bad pattern costs a compile
/// each time it is used (and it is refused before evaluation in every caller).
final class RegexCache: Sendable {
    private struct Key: Hashable {
        var pattern: ByteString
        var anchored: Bool
    }

    private let capacity: Int
    private let entries = Mutex<[Key: GoRegex]>([:])

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { entries.withLock { $0.count } }

    func regex(_ pattern: String, anchored: Bool) throws(GoRegexError) -> GoRegex {
        let key = Key(pattern: ByteString(pattern), anchored: anchored)
        if let hit = entries.withLock({ $0[key] }) { return hit }
        // Compiled outside the lock: RE2 compilation of a large pattern must not stall other matchers.
        let compiled = anchored ? try GoRegex(anchored: pattern) : try GoRegex(unanchored: pattern)
        return entries.withLock { entries in
            if let raced = entries[key] { return raced }
            if entries.count >= capacity, let victim = entries.keys.first { entries[victim] = nil }
            entries[key] = compiled
            return compiled
        }
    }
}
