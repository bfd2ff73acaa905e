import Testing
@testable import Scraper
@testable import TSDB

/// The scrape cache's own table: lookups by series bytes, growth, eviction and staleness bookkeeping.
@Suite struct ScrapeCacheTests {
    private func key(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func lookUp(_ cache: inout ScrapeCache, _ text: String) -> Int? {
        key(text).withUnsafeBytes { cache.lookUp($0) }
    }

    private func insert(_ cache: inout ScrapeCache, _ text: String, dropped: Bool = false) -> Int {
        key(text).withUnsafeBytes { cache.insert($0, labels: dropped ? nil : Labels(["__name__": text]), explicitTimestamp: false) }
    }

    @Test func findsEverySeriesItHoldsAcrossGrowthAndNoOther() {
        var cache = ScrapeCache()
        cache.iteration = 1
        // Enough series to grow the table several times, with keys that share long prefixes and lengths.
        let names = (0..<5_000).map { "metric_\($0 % 50){series=\"\($0 / 50)\"}" }
        var indices: [String: Int] = [:]
        for name in names {
            #expect(lookUp(&cache, name) == nil)
            indices[name] = insert(&cache, name)
        }
        #expect(cache.count == names.count)
        for name in names { #expect(lookUp(&cache, name) == indices[name]) }
        #expect(lookUp(&cache, "metric_0{series=\"100\"}") == nil)
        #expect(lookUp(&cache, "") == nil)
        #expect(lookUp(&cache, "metric_0{series=\"0\"} ") == nil)
    }

    @Test func equalHashesStillCompareBytes() {
        // Two keys that hash alike under any seed cannot be built here, but keys differing only in their
        // last byte of an 8-byte word and in length exercise both the tail hashing and the length check.
        var cache = ScrapeCache()
        cache.iteration = 1
        let a = insert(&cache, "abcdefgh")
        let b = insert(&cache, "abcdefgi")
        let c = insert(&cache, "abcdefghX")
        #expect(Set([a, b, c]).count == 3)
        #expect(lookUp(&cache, "abcdefgh") == a)
        #expect(lookUp(&cache, "abcdefgi") == b)
        #expect(lookUp(&cache, "abcdefghX") == c)
    }

    @Test func vanishedSeriesAreReportedOnceAndDroppedOnesNever() {
        var cache = ScrapeCache()
        cache.iteration = 1
        let kept = insert(&cache, "kept")
        let gone = insert(&cache, "gone")
        _ = insert(&cache, "dropped", dropped: true)
        cache.setReference(10, ofEntry: kept)
        cache.setReference(11, ofEntry: gone)
        cache.lastStoredIteration = 1
        #expect(Set(cache.lastStoredReferences()) == [10, 11])

        cache.iteration = 2
        #expect(lookUp(&cache, "kept") == kept)
        #expect(lookUp(&cache, "dropped") != nil)
        #expect(cache.takeVanished() == [11])
        cache.lastStoredIteration = 2
        cache.iteration = 3
        #expect(lookUp(&cache, "kept") == kept)
        #expect(cache.takeVanished() == [])
    }

    @Test func evictionForgetsOnlyOldSeriesAndKeepsTheRestFindable() {
        var cache = ScrapeCache()
        cache.iteration = 1
        let names = (0..<100).map { "series_\($0)" }
        for name in names { cache.setReference(SeriesRef(name.count), ofEntry: insert(&cache, name)) }
        // Half of them keep being scraped.
        for iteration in 2...20 as ClosedRange<UInt64> {
            cache.iteration = iteration
            for name in names.prefix(50) { _ = lookUp(&cache, name) }
            cache.evict(olderThan: 10)
        }
        #expect(cache.count == 50)
        for name in names.prefix(50) {
            let index = lookUp(&cache, name)
            #expect(index.map { cache.entries[$0].ref } == SeriesRef(name.count))
            #expect(index.flatMap { cache.labels[$0] } == Labels(["__name__": name]))
        }
        for name in names.suffix(50) { #expect(lookUp(&cache, name) == nil) }
    }

    @Test func forgettingReferencesEmptiesTheCache() {
        var cache = ScrapeCache()
        cache.iteration = 1
        _ = insert(&cache, "a")
        cache.synthetic["up"] = 3
        cache.forgetReferences()
        #expect(cache.count == 0)
        #expect(cache.synthetic.isEmpty)
        #expect(lookUp(&cache, "a") == nil)
        #expect(insert(&cache, "a") == 0)
        #expect(lookUp(&cache, "a") == 0)
    }
}
