import Foundation
import Testing
@testable import TSDB

/// A temporary database path, removed with its WAL files by `remove()`.
struct TemporaryDatabase {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-tsdb-\(UUID().uuidString)")
    var path: String { directory.appendingPathComponent("vigil.db").path }
    func remove() { try? FileManager.default.removeItem(at: directory) }
}

func counter(_ job: String, _ instance: String = "a:1") -> Labels {
    ["__name__": "requests_total", "job": job, "instance": instance]
}

func match(_ type: Matcher.MatchType, _ name: String, _ value: String) -> Matcher {
    try! Matcher(type, name, value)
}

@Suite struct TimeSeriesStoreTests {
    /// Appends `count` samples at 15 s steps to each series, one commit per step, as scrapes would.
    func fill(_ store: TimeSeriesStore, _ labels: [Labels], count: Int, start: Timestamp = 1_000_000, value: (Int, Int) -> Double) async throws {
        var refs: [SeriesRef?] = Array(repeating: nil, count: labels.count)
        for step in 0..<count {
            var batch = AppendBatch()
            var newIndexes: [Int] = []
            for (i, series) in labels.enumerated() {
                let t = start + Timestamp(step) * 15_000
                if let ref = refs[i] { batch.append(ref: ref, t: t, v: value(i, step)) } else {
                    batch.append(labels: series, t: t, v: value(i, step))
                    newIndexes.append(i)
                }
            }
            let result = try await store.commit(batch)
            for (i, ref) in zip(newIndexes, result.newRefs) { refs[i] = ref }
        }
    }

    @Test(arguments: [false, true])
    func roundTripsSamplesAcrossChunks(persistent: Bool) async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let store = persistent ? try await TimeSeriesStore(path: temp.path) : TimeSeriesStore()
        let series = [counter("api"), counter("db")]
        try await fill(store, series, count: 300) { i, step in Double(step * (i + 1)) }
        let all = try await store.select([match(.equal, "__name__", "requests_total")], mint: .min, maxt: .max)
        #expect(all.map(\.labels) == series.sorted())
        #expect(all[0].samples.count == 300)
        #expect(all[0].samples.last == Sample(t: 1_000_000 + 299 * 15_000, v: 299))
        #expect(all[1].samples[150] == Sample(t: 1_000_000 + 150 * 15_000, v: 300))
        let window = try await store.select([match(.equal, "job", "db")], mint: 1_000_000 + 100 * 15_000, maxt: 1_000_000 + 130 * 15_000)
        #expect(window.count == 1)
        #expect(window[0].samples.map(\.v) == (100...130).map { Double($0 * 2) })
        let stats = await store.stats()
        #expect(stats.series == 2)
        #expect(stats.samples == 600)
        #expect(stats.chunks == 4)  // two full chunks of 120 per series; the rest is in the heads
    }

    /// Reads of recent samples start from positions marked inside the head; across chunk cuts and
    /// after a restart (which forgets the marks) they must return what a full read returns.
    @Test(arguments: [false, true])
    func recentWindowsMatchFullReadsAcrossCutsAndRestarts(persistent: Bool) async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        var store = persistent ? try await TimeSeriesStore(path: temp.path) : TimeSeriesStore()
        let labels = counter("api")
        let start: Timestamp = 1_000_000
        var appended = 0
        for round in 0..<2 {
            try await fill(store, [labels], count: 170, start: start + Timestamp(appended) * 15_000) { _, step in Double((appended + step) % 97) }
            appended += 170
            let all = try await store.select([match(.equal, "job", "api")], mint: .min, maxt: .max)[0].samples
            #expect(all.count == appended)
            for back in [1, 5, 20, 31, 32, 33, 64, 90, 119, 121, 160] {
                let mint = all[all.count - back].t - Timestamp(round)  // on a sample, then just before one
                let recent = try await store.select([match(.equal, "job", "api")], mint: mint, maxt: .max)
                #expect(recent.first?.samples == all.filter { $0.t >= mint }, "last \(back) samples, round \(round)")
            }
            if persistent {
                store = try await TimeSeriesStore(path: temp.path)
            }
        }
    }

    @Test func rejectsOutOfOrderAndConflictingDuplicates() async throws {
        let store = TimeSeriesStore()
        var first = AppendBatch()
        first.append(labels: counter("api"), t: 2000, v: 1)
        let ref = try await store.commit(first).newRefs[0]
        var batch = AppendBatch()
        batch.append(ref: ref, t: 1000, v: 5)   // older
        batch.append(ref: ref, t: 2000, v: 1)   // the same sample again: ignored
        batch.append(ref: ref, t: 2000, v: 2)   // same time, other value
        batch.append(ref: ref, t: 3000, v: 3)
        let result = try await store.commit(batch)
        #expect(result.outOfOrder == 1)
        #expect(result.duplicateTimestamp == 1)
        #expect(result.appended == 1)
        let samples = try await store.select([match(.equal, "job", "api")], mint: .min, maxt: .max)[0].samples
        #expect(samples == [Sample(t: 2000, v: 1), Sample(t: 3000, v: 3)])
        #expect(await store.totals.outOfOrder == 1)
    }

    /// Prometheus keeps label values as bytes: NFC "café" and NFD "cafe\u{301}" are two series, selected apart.
    @Test(arguments: [false, true])
    func unicodeNormalisationFormsAreDistinctSeries(persistent: Bool) async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let store = persistent ? try await TimeSeriesStore(path: temp.path) : TimeSeriesStore()
        var batch = AppendBatch()
        batch.append(labels: ["__name__": "m", "path": nfc], t: 1000, v: 1)
        batch.append(labels: ["__name__": "m", "path": nfd], t: 1000, v: 2)
        let result = try await store.commit(batch)
        #expect(result.newRefs.count == 2)
        #expect(await store.stats().series == 2)
        let byNFC = try await store.select([match(.equal, "path", nfc)], mint: .min, maxt: .max)
        #expect(byNFC.map { $0.samples.map(\.v) } == [[1]])
        #expect(byNFC.first?.labels["path"]?.utf8.elementsEqual(nfc.utf8) == true)
        let byNFD = try await store.select([match(.equal, "path", nfd)], mint: .min, maxt: .max)
        #expect(byNFD.map { $0.samples.map(\.v) } == [[2]])
        let byRegex = try await store.select([match(.regexMatch, "path", nfd)], mint: .min, maxt: .max)
        #expect(byRegex.map { $0.samples.map(\.v) } == [[2]])
        let values = await store.labelValues("path", matching: [])
        #expect(values.count == 2)
        #expect(values.map { Array($0.utf8) } == [Array(nfd.utf8), Array(nfc.utf8)])
        guard persistent else { return }
        // Reopened from disk, the two series are still two, each with its own sample.
        let reopened = try await TimeSeriesStore(path: temp.path)
        let restored = try await reopened.select([match(.equal, "__name__", "m")], mint: .min, maxt: .max)
        #expect(restored.map { Array($0.labels["path"]!.utf8) } == [Array(nfd.utf8), Array(nfc.utf8)])
        #expect(restored.map { $0.samples.map(\.v) } == [[2], [1]])
    }

    @Test func matchersSelectThroughTheIndex() async throws {
        let store = TimeSeriesStore()
        let series: [Labels] = [
            ["__name__": "up", "job": "api", "instance": "a"],
            ["__name__": "up", "job": "api", "instance": "b"],
            ["__name__": "up", "job": "vigil", "instance": "c"],
            ["__name__": "other", "job": "api"],
        ]
        try await fill(store, series, count: 1) { _, _ in 1 }
        func names(_ matchers: [Matcher]) async throws -> [String] {
            try await store.select(matchers, mint: .min, maxt: .max).map { $0.labels["instance"] ?? "-" }
        }
        #expect(try await names([match(.equal, "__name__", "up"), match(.equal, "job", "api")]) == ["a", "b"])
        #expect(try await names([match(.equal, "__name__", "up"), match(.notEqual, "job", "api")]) == ["c"])
        #expect(try await names([match(.regexMatch, "job", "api|vig.*")]) == ["-", "a", "b", "c"])
        #expect(try await names([match(.equal, "__name__", "up"), match(.regexNoMatch, "instance", "a|c")]) == ["b"])
        // Anchored: "ap" alone does not match "api".
        #expect(try await names([match(.regexMatch, "job", "ap")]) == [])
        // A matcher on an absent label matches the empty value.
        #expect(try await names([match(.equal, "job", "api"), match(.equal, "instance", "")]) == ["-"])
        #expect(await store.labelValues("job", matching: []) == ["api", "vigil"])
        #expect(await store.labelNames(matching: [match(.equal, "__name__", "other")]) == ["__name__", "job"])
    }

    @Test func stalenessMarkersAndSpecialValuesSurviveDiskAndRestart() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let specials: [Double] = [StaleNaN.value, .nan, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        do {
            let store = try await TimeSeriesStore(path: temp.path)
            try await fill(store, [counter("api")], count: 250) { _, step in specials[step % specials.count] }
        }
        let reopened = try await TimeSeriesStore(path: temp.path)
        let samples = try await reopened.select([match(.equal, "job", "api")], mint: .min, maxt: .max)[0].samples
        #expect(samples.count == 250)
        for (step, sample) in samples.enumerated() {
            #expect(sample.v.bitPattern == specials[step % specials.count].bitPattern, "sample \(step)")
        }
        #expect(StaleNaN.isStale(samples[0].v))
    }

    @Test func headIsRebuiltFromTheLogAfterAnUncleanStop() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        do {
            // No checkpoint and no close: everything after the last chunk cut lives only in the head log.
            let store = try await TimeSeriesStore(path: temp.path, options: .init(checkpointEverySamples: .max))
            try await fill(store, [counter("api"), counter("db")], count: 130) { _, step in Double(step) }
        }
        let reopened = try await TimeSeriesStore(path: temp.path)
        let series = try await reopened.select([match(.equal, "__name__", "requests_total")], mint: .min, maxt: .max)
        #expect(series.count == 2)
        #expect(series.allSatisfy { $0.samples.map(\.v) == (0..<130).map(Double.init) })
        // Appending continues after the restored head, and a repeat of the last sample is recognised.
        var batch = AppendBatch()
        batch.append(labels: counter("api"), t: 1_000_000 + 129 * 15_000, v: 129)
        batch.append(labels: counter("api"), t: 1_000_000 + 130 * 15_000, v: 130)
        let result = try await reopened.commit(batch)
        #expect(result.appended == 1 && result.duplicateTimestamp == 0 && result.seriesCreated == 0)
    }

    @Test func checkpointThenLogRestoresExactly() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        do {
            let store = try await TimeSeriesStore(path: temp.path, options: .init(checkpointEverySamples: 50))
            try await fill(store, [counter("api")], count: 333) { _, step in Double(step) * 1.5 }
        }
        let reopened = try await TimeSeriesStore(path: temp.path)
        let samples = try await reopened.select([match(.equal, "job", "api")], mint: .min, maxt: .max)[0].samples
        #expect(samples.map(\.v) == (0..<333).map { Double($0) * 1.5 })
        #expect(Set(samples.map(\.t)).count == 333)
    }

    @Test(arguments: [false, true])
    func retentionByTimeDropsOldChunksAndSeries(persistent: Bool) async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let hour: Int64 = 3_600_000
        let options = TimeSeriesStore.Options(retentionMillis: 2 * hour)
        let store = persistent ? try await TimeSeriesStore(path: temp.path, options: options) : TimeSeriesStore(options: options)
        // 4 hours at 15 s for one series, with a checkpoint after the first hour; a second series that ended long ago.
        try await fill(store, [counter("old")], count: 10, start: 0) { _, _ in 1 }
        try await fill(store, [counter("api")], count: 240, start: 0) { _, step in Double(step) }
        try await store.checkpoint()
        try await fill(store, [counter("api")], count: 720, start: 240 * 15_000) { _, step in Double(step + 240) }
        let result = try await store.applyRetention()
        #expect(result.chunksDeleted >= 1)
        #expect(result.seriesDeleted == 1)
        let remaining = try await store.select([match(.regexMatch, "job", ".+")], mint: .min, maxt: .max)
        #expect(remaining.map { $0.labels["job"] } == ["api"])
        let oldest = try #require(remaining.first?.samples.first?.t)
        // The first chunk (samples 0…119) is gone; memory-only stores drop by chunk end time at once.
        #expect(oldest >= 120 * 15_000)
        if !persistent { #expect(oldest >= 959 * 15_000 - 2 * hour - 120 * 15_000) }
        #expect(await store.labelValues("job", matching: []) == ["api"])
    }

    @Test func retentionBySizeKeepsTheNewestData() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let store = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: nil, retentionBytes: 300_000))
        let series = (0..<50).map { counter("api", "host-\($0)") }
        try await fill(store, series, count: 1200) { i, step in Double(step * i) + Double(step % 7) * 0.37 }
        let before = await store.stats()
        let result = try await store.applyRetention()
        #expect(result.chunksDeleted > 0)
        let after = await store.stats()
        #expect(after.chunks < before.chunks)
        let newest = try await store.select([match(.equal, "instance", "host-3")], mint: .min, maxt: .max)[0].samples
        let last = try #require(newest.last)
        #expect(last.t == 18_985_000, "\(newest.suffix(3))")
    }

    @Test func metadataIsKeptAcrossRestarts() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        do {
            let store = try await TimeSeriesStore(path: temp.path)
            try await store.setMetadata(["up": MetricMetadata(type: "gauge", help: "Target is up", unit: "")])
        }
        let reopened = try await TimeSeriesStore(path: temp.path)
        #expect(await reopened.metadata()["up"] == MetricMetadata(type: "gauge", help: "Target is up", unit: ""))
    }

    @Test func bytesPerSampleOfScrapeShapedDataStayUnderTwo() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let store = try await TimeSeriesStore(path: temp.path)
        // 100 series for 24 hours at 15 s, mixed as a service's /metrics is: 40 request counters,
        // 30 histogram bucket counters, 20 gauges that rarely change, 10 gauges that move every scrape.
        let series = (0..<100).map { Labels(["__name__": "m\($0 % 10)", "instance": "host-\($0 / 10)", "job": "api"]) }
        try await fill(store, series, count: 5760) { i, step in
            switch i {
            case 0..<40: return Double(step * (i + 3) + (step * 31 + i) % 7)      // counter, uneven increments
            case 40..<70: return Double(step / (i - 38) + i)                      // slow bucket counter
            case 70..<90: return Double(1 + step / 500)                           // nearly constant gauge
            default: return 5.0e7 + Double((step * 7919 + i) % 4096) * 4096       // resident memory, page-sized steps
            }
        }
        try await store.close()
        let size = try FileManager.default.attributesOfItem(atPath: temp.path)[.size] as! NSNumber
        let bytesPerSample = size.doubleValue / Double(100 * 5760)
        #expect(bytesPerSample < 2.0, "stored \(bytesPerSample) bytes per sample")
    }
}

@Suite struct LabelsTests {
    @Test func sortsDropsEmptyValuesAndPrintsLikePrometheus() {
        let labels = Labels(["job": "api", "__name__": "up", "empty": "", "instance": "a:1"])
        #expect(labels.map(\.name) == ["__name__", "instance", "job"])
        #expect(labels.description == #"up{instance="a:1", job="api"}"#)
        #expect(Labels(["a": "x\"y\\z\n"]).description == #"{a="x\"y\\z\n"}"#)
        #expect(labels.setting("zone", to: "eu").map(\.name) == ["__name__", "instance", "job", "zone"])
        #expect(labels.setting("job", to: "").map(\.name) == ["__name__", "instance"])
        #expect(labels.withoutMetricName.name == nil)
        #expect(Labels(key: labels.key) == labels)
    }
}

@Suite struct CompactionTests {
    @Test func compactedBlocksReadBackExactlyIncludingLateChunks() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let store = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: nil))
        let a = counter("a"), c = counter("c")
        var expectedA: [Sample] = [], expectedC: [Sample] = []
        func append(_ labels: Labels, _ t: Timestamp, _ v: Double) async throws {
            var batch = AppendBatch()
            batch.append(labels: labels, t: t, v: v)
            _ = try await store.commit(batch)
        }
        // c: 460 samples at 15 s (1h55m), so its head still holds samples from window 0.
        for i in 0..<460 {
            try await append(c, Timestamp(i) * 15_000, Double(i))
            expectedC.append(Sample(t: Timestamp(i) * 15_000, v: Double(i)))
        }
        // a: 6 hours at 15 s, which moves the store's newest time into window 2.
        for i in 0..<1440 {
            try await append(a, Timestamp(i) * 15_000, Double(i) * 2)
            expectedA.append(Sample(t: Timestamp(i) * 15_000, v: Double(i) * 2))
        }
        #expect(try await store.compact() > 0)
        // c continues: its head, started in window 0, is cut now — after window 0 was compacted.
        for i in 460..<600 {
            try await append(c, Timestamp(i) * 15_000, Double(i))
            expectedC.append(Sample(t: Timestamp(i) * 15_000, v: Double(i)))
        }
        try await store.compact()
        func read(_ store: TimeSeriesStore, _ job: String, _ mint: Timestamp, _ maxt: Timestamp) async throws -> [Sample] {
            try await store.select([match(.equal, "job", job)], mint: mint, maxt: maxt).first?.samples ?? []
        }
        #expect(try await read(store, "a", .min, .max) == expectedA)
        #expect(try await read(store, "c", .min, .max) == expectedC)
        // A range across the window boundary at 2 h.
        let from: Timestamp = 7_000_000, to: Timestamp = 7_500_000
        #expect(try await read(store, "a", from, to) == expectedA.filter { $0.t >= from && $0.t <= to })
        #expect(try await read(store, "c", from, to) == expectedC.filter { $0.t >= from && $0.t <= to })
        try await store.close()

        let reopened = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: nil))
        #expect(try await read(reopened, "a", .min, .max) == expectedA)
        #expect(try await read(reopened, "c", .min, .max) == expectedC)
        let stats = await reopened.stats()
        #expect(stats.samples == expectedA.count + expectedC.count)
        // The same sample again after a restart is a repeat, not a conflict.
        var repeatBatch = AppendBatch()
        repeatBatch.append(labels: a, t: expectedA.last!.t, v: expectedA.last!.v)
        #expect(try await reopened.commit(repeatBatch).duplicateTimestamp == 0)
        try await reopened.close()
    }

    @Test func retentionDropsWholeCompactedWindows() async throws {
        let temp = TemporaryDatabase()
        defer { temp.remove() }
        let hour: Int64 = 3_600_000
        let store = try await TimeSeriesStore(path: temp.path, options: .init(retentionMillis: 3 * hour))
        var refs: SeriesRef?
        for i in 0..<(12 * 240) {
            var batch = AppendBatch()
            if let refs { batch.append(ref: refs, t: Timestamp(i) * 15_000, v: Double(i)) } else {
                batch.append(labels: counter("a"), t: Timestamp(i) * 15_000, v: Double(i))
            }
            refs = try await store.commit(batch).newRefs.first ?? refs
        }
        try await store.compact()
        let result = try await store.applyRetention()
        #expect(result.chunksDeleted > 0)
        let samples = try await store.select([match(.equal, "job", "a")], mint: .min, maxt: .max)[0].samples
        let newest = Timestamp(12 * 240 - 1) * 15_000
        #expect(samples.last?.t == newest)
        // Whole windows go, never data younger than the retention time.
        #expect(samples.first!.t <= newest - 3 * hour)
        #expect(samples.first!.t > newest - 3 * hour - 2 * hour - 120 * 15_000)
        let stats = await store.stats()
        #expect(stats.samples == samples.count)
    }
}
