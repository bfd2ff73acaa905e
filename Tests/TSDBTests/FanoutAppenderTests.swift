import Testing
@testable import TSDB

@Suite struct FanoutAppenderTests {
    func labels(_ name: String, _ pairs: [String: String] = [:]) -> Labels {
        Labels(pairs.merging(["__name__": name]) { $1 })
    }

    @Test func aSecondStoreReceivesExactlyWhatThePrimaryAccepted() async throws {
        let primary = TimeSeriesStore(options: .init(retentionMillis: nil))
        let copy = TimeSeriesStore(options: .init(retentionMillis: nil))
        let fanout = FanoutAppender(primary: primary, sinks: [copy])

        var first = AppendBatch()
        first.append(labels: labels("up", ["job": "a"]), t: 1_000, v: 1)
        first.append(labels: labels("up", ["job": "b"]), t: 1_000, v: 0)
        let created = try await fanout.commit(first)
        #expect(created.appended == 2)

        // Known references, one out of order and one duplicate timestamp: the primary refuses both.
        var second = AppendBatch()
        second.append(ref: created.newRefs[0], t: 2_000, v: 1)
        second.append(ref: created.newRefs[1], t: 500, v: 1)
        second.append(ref: created.newRefs[0], t: 2_000, v: 7)
        let result = try await fanout.commit(second)
        #expect(result.appended == 1 && result.outOfOrder == 1 && result.duplicateTimestamp == 1)

        let matcher = try Matcher(.equal, "__name__", "up")
        let stored = try await primary.select([matcher], mint: .min, maxt: .max)
        let copied = try await copy.select([matcher], mint: .min, maxt: .max)
        #expect(stored.map(\.labels) == copied.map(\.labels))
        #expect(stored.map { $0.samples.map(\.t) } == copied.map { $0.samples.map(\.t) })
        #expect(stored.map { $0.samples.map(\.v) } == copied.map { $0.samples.map(\.v) })
        #expect(copied.first { $0.labels["job"] == "a" }?.samples.map(\.t) == [1_000, 2_000])
    }

    @Test func metadataReachesEverySink() async throws {
        let primary = TimeSeriesStore(options: .init(retentionMillis: nil))
        let copy = TimeSeriesStore(options: .init(retentionMillis: nil))
        let fanout = FanoutAppender(primary: primary, sinks: [copy])
        try await fanout.setMetadata(["up": MetricMetadata(type: "gauge", help: "Target health.", unit: "")])
        #expect(await copy.metadata()["up"]?.help == "Target health.")
    }
}
