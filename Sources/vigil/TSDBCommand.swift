import ArgumentParser
import Foundation
import Model
import Config
import Scraper
import TSDB

/// `vigil tsdb`: look inside a store, and fill one with synthetic data for benchmarks and crash tests.
struct TSDBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsdb",
        abstract: "Inspect a Vigil store, or fill one with synthetic scrape-shaped data.",
        subcommands: [Stats.self, Import.self, AppendSynthetic.self]
    )

    /// Takes the store's lock as `vigil serve` does, or exits 1 saying who holds it and what to do instead.
    static func lock(_ storagePath: String) throws -> StorageLock {
        do {
            return try StorageLock(storagePath: storagePath)
        } catch {
            Query.fail("\(error); stop `vigil serve` first, or ask it: GET /api/v1/status/tsdb")
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Print series, chunks, samples and bytes per sample of a store.",
            discussion: "Opens the store read-only, so it also works while `vigil serve` is running on it."
        )

        @Option(name: .customLong("storage.path"), help: "The SQLite database.")
        var storagePath: String = "data/vigil.db"

        func run() async throws {
            guard FileManager.default.fileExists(atPath: storagePath) else {
                throw ValidationError("no database at \(storagePath)")
            }
            // Read-only and without the lock, so it works beside a running `vigil serve`; the write
            // commands (import, append-synthetic) still take the lock.
            let store: TimeSeriesStore
            do {
                store = try await TimeSeriesStore(path: storagePath, options: .readingOnly)
            } catch {
                Query.fail("cannot read \(storagePath): \(error)")
            }
            let stats = await store.stats()
            try await store.close()
            print(StatsReport(stats).text)
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import samples with timestamps from an OpenMetrics text file, as promtool tsdb create-blocks-from openmetrics does.",
            discussion: "Each series' samples must be in time order; a series' samples that go back in time are counted and skipped."
        )

        @Argument(help: "OpenMetrics text (ending in # EOF) whose samples carry timestamps.")
        var file: String

        @Option(name: .customLong("storage.path"), help: "The SQLite database; created when missing.")
        var storagePath: String = "data/vigil.db"

        func run() async throws {
            let bytes: [UInt8]
            do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file))) } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
            let lock = try TSDBCommand.lock(storagePath)
            defer { lock.release() }
            let store = try await TimeSeriesStore(path: storagePath, options: .init(retentionMillis: nil))
            var parser = ExpositionParser(bytes: bytes, format: .openMetrics)
            var refs: [Labels: SeriesRef] = [:]
            var batch = AppendBatch()
            var pendingLabels: [Labels] = []
            var pendingSet = Set<Labels>()
            var total = 0, skipped = 0
            func flush() async throws {
                let result = try await store.commit(batch)
                for (labels, ref) in zip(pendingLabels, result.newRefs) { refs[labels] = ref }
                total += result.appended
                skipped += result.outOfOrder + result.duplicateTimestamp
                batch = AppendBatch()
                pendingLabels = []
                pendingSet = []
            }
            do {
                while let entry = try parser.next() {
                    guard case .sample(let value, let timestamp) = entry else { continue }
                    guard let t = timestamp else {
                        throw ValidationError("\(file): every sample needs a timestamp to be imported")
                    }
                    let labels = parser.currentLabels()
                    if let ref = refs[labels] {
                        batch.append(ref: ref, t: t, v: value)
                    } else if pendingSet.contains(labels) {
                        // A second sample of a series created in this batch: commit first to learn its reference.
                        try await flush()
                        batch.append(ref: refs[labels]!, t: t, v: value)
                    } else {
                        batch.append(labels: labels, t: t, v: value)
                        pendingLabels.append(labels)
                        pendingSet.insert(labels)
                    }
                    if batch.count >= 50_000 { try await flush() }
                }
            } catch let error as ExpositionError {
                throw ValidationError("\(file):\(error)")
            }
            try await flush()
            try await store.close()
            print("imported \(total) samples (\(skipped) skipped) into \(storagePath)")
        }
    }

    struct AppendSynthetic: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "append-synthetic",
            abstract: "Append synthetic samples shaped like a service's /metrics, one commit per scrape.",
            discussion: "Series mix: 40 % request counters, 30 % histogram bucket counters, 20 % rarely changing gauges, 10 % gauges that move every scrape."
        )

        @Option(name: .customLong("storage.path"), help: "The SQLite database; created when missing.")
        var storagePath: String

        @Option(help: "Number of series.")
        var series: Int = 1000

        @Option(help: "Time between scrapes, e.g. 15s.")
        var interval: String = "15s"

        @Option(help: "Span of data to write, e.g. 24h.")
        var duration: String = "1h"

        @Option(help: "Timestamp of the first scrape, milliseconds since the epoch.")
        var start: Int64 = 1_700_000_000_000

        @Flag(help: "Print `committed T` after every commit, for crash tests.")
        var printCommits = false

        @Flag(help: "Leave closed chunks uncompacted, as a store killed before its maintenance would (for fault tests).")
        var skipCompaction = false

        @Flag(help: .hidden)
        var legacyBlockRows = false

        @Option(help: "Also write the same samples as OpenMetrics text to this file (for `promtool tsdb create-blocks-from openmetrics`).")
        var openmetrics: String?

        func run() async throws {
            let step = try PrometheusDuration(parsing: interval).milliseconds
            let span = try PrometheusDuration(parsing: duration).milliseconds
            guard step > 0, series > 0 else { throw ValidationError("--interval and --series must be positive") }
            guard !start.addingReportingOverflow(span).overflow else { throw ValidationError("--start plus --duration is past the end of time") }
            if let openmetrics { try writeOpenMetrics(to: openmetrics, step: step, steps: Int(span / step)) }
            let lock = try TSDBCommand.lock(storagePath)
            defer { lock.release() }
            // --legacy-block-rows compacts into the block format of older builds, for upgrade tests.
            let store = try await TimeSeriesStore(path: storagePath, options: .init(retentionMillis: nil, writesLegacyBlockRows: legacyBlockRows))
            let labels = (0..<series).map { i in
                Labels(["__name__": "synthetic_metric_\(i % 50)", "instance": "host-\(i / 50)", "job": "synthetic"])
            }
            var refs: [SeriesRef] = []
            let steps = Int(span / step)
            let clock = ContinuousClock()
            let started = clock.now
            for index in 0..<steps {
                let t = start + Int64(index) * step
                var batch = AppendBatch()
                batch.reserveCapacity(series)
                for i in 0..<series {
                    let v = Self.value(series: i, step: index, of: series)
                    if refs.count == series { batch.append(ref: refs[i], t: t, v: v) } else { batch.append(labels: labels[i], t: t, v: v) }
                }
                let result = try await store.commit(batch)
                if refs.isEmpty { refs = result.newRefs }
                if printCommits {
                    // Written straight to the descriptor: the crash test must see each line as soon as it is committed.
                    FileHandle.standardOutput.write(Data("committed \(t)\n".utf8))
                }
            }
            let elapsed = clock.now - started
            try await store.close(compacting: !skipCompaction)
            let stats = try await TimeSeriesStore(path: storagePath, options: .init(retentionMillis: nil)).stats()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let appended = steps * series
            print("appended \(appended) samples in \(String(format: "%.2f", seconds)) s: \(Int(Double(appended) / seconds)) samples/s")
            print(StatsReport(stats).text)
        }

        /// The same samples as text; families stay contiguous, as OpenMetrics requires.
        private func writeOpenMetrics(to path: String, step: Int64, steps: Int) throws {
            FileManager.default.createFile(atPath: path, contents: nil)
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? file.close() }
            var text = ""
            let families = Dictionary(grouping: 0..<series) { $0 % 50 }
            for family in families.keys.sorted() {
                for i in families[family]! {
                    for index in 0..<steps {
                        let t = start + Int64(index) * step
                        let v = Self.value(series: i, step: index, of: series)
                        text += "synthetic_metric_\(family){instance=\"host-\(i / 50)\",job=\"synthetic\"} \(v) \(t / 1000).\(String(t % 1000).leftPadded(3))\n"
                    }
                    if text.utf8.count > 1 << 20 {
                        file.write(Data(text.utf8))
                        text = ""
                    }
                }
            }
            file.write(Data((text + "# EOF\n").utf8))
        }

        /// A deterministic value for series `i` at scrape `step`, by the series' kind.
        static func value(series i: Int, step: Int, of total: Int) -> Double {
            switch (i * 10) / total {
            case 0..<4: return Double(step * (i % 13 + 3) + (step * 31 + i) % 7)
            case 4..<7: return Double(step / (i % 11 + 2) + i)
            case 7..<9: return Double(1 + step / 500)
            default: return 5.0e7 + Double((step * 7919 + i) % 4096) * 4096
            }
        }
    }
}

extension TimeSeriesStore.Options {
    /// Reading an existing store without writing to it, and with no retention (nothing is deleted).
    static var readingOnly: Self {
        var options = Self(retentionMillis: nil, retentionBytes: nil)
        options.readOnly = true
        return options
    }
}

/// The figures `vigil tsdb` prints.
struct StatsReport {
    let stats: StorageStats
    init(_ stats: StorageStats) { self.stats = stats }

    var text: String {
        let perSample = stats.samples > 0 ? Double(stats.bytesOnDisk) / Double(stats.samples) : 0
        return """
            series          \(stats.series)
            chunks          \(stats.chunks) closed, \(stats.headChunks) open
            samples         \(stats.samples)
            bytes on disk   \(stats.bytesOnDisk)
            bytes/sample    \(String(format: "%.3f", perSample))
            """
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
