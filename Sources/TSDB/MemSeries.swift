/// A series as the store holds it in memory: its labels, open head chunk and bounds.
struct MemSeries: Sendable {
    let ref: SeriesRef
    let labels: Labels
    /// The open chunk; cut and persisted when it holds `TimeSeriesStore.samplesPerChunk` samples.
    private(set) var head = XORChunk()
    /// Decoder positions after every 32nd sample of the head, so that reads of the newest
    /// samples (instant queries, rule evaluations) skip most of the chunk.
    private var headMarks = (ResumePoint.unset, ResumePoint.unset, ResumePoint.unset)
    static let headMarkSpacing = 32
    /// Closed chunks, kept here only by a store without a database file.
    var closed: [XORChunk] = []
    var firstT: Timestamp = .max
    var lastT: Timestamp = .min
    var lastValueBits: UInt64 = 0
    /// Newest timestamp held by this series' chunks on disk.
    var persistedMaxT: Timestamp = .min
    /// The head changed since the last checkpoint wrote it.
    var headDirty = false

    init(ref: SeriesRef, labels: Labels) {
        self.ref = ref
        self.labels = labels
    }

    enum AppendOutcome {
        case appended(cut: XORChunk?)
        case outOfOrder
        case duplicateTimestamp
        case repeated
    }

    /// Appends to the head, cutting it first when full; the cut chunk is returned for persisting.
    mutating func append(t: Timestamp, v: Double, chunkSize: Int) -> AppendOutcome {
        if t < lastT { return .outOfOrder }
        if t == lastT {
            // The same sample again is harmless (a retried scrape); another value at the same time is an error.
            return v.bitPattern == lastValueBits ? .repeated : .duplicateTimestamp
        }
        var cut: XORChunk?
        if head.count >= chunkSize {
            cut = head
            head = XORChunk()
        }
        head.append(t: t, v: v)
        if head.count % Self.headMarkSpacing == 0 {
            switch head.count / Self.headMarkSpacing {
            case 1: headMarks.0 = head.resumePoint
            case 2: headMarks.1 = head.resumePoint
            case 3: headMarks.2 = head.resumePoint
            default: break
            }
        }
        headDirty = true
        if firstT == .max { firstT = t }
        lastT = t
        lastValueBits = v.bitPattern
        return .appended(cut: cut)
    }

    /// Samples in [mint, maxt] from the chunks held in memory, in time order.
    func memorySamples(mint: Timestamp, maxt: Timestamp, into samples: inout [Sample]) {
        for chunk in closed {
            guard let low = chunk.minTime, let high = chunk.maxTime, high >= mint, low <= maxt else { continue }
            chunk.appendSamples(mint: mint, maxt: maxt, into: &samples)
        }
        guard let low = head.minTime, let high = head.maxTime, high >= mint, low <= maxt else { return }
        head.appendSamples(mint: mint, maxt: maxt, resumingAt: headMark(before: mint), into: &samples)
    }

    /// Replaces the head with a chunk restored from disk, marking it as appends would have.
    mutating func restoreHead(_ chunk: XORChunk) {
        head = chunk
        let points = chunk.resumePoints(every: Self.headMarkSpacing)
        headMarks = (points.count > 0 ? points[0] : .unset, points.count > 1 ? points[1] : .unset, points.count > 2 ? points[2] : .unset)
    }

    /// The latest mark of the current head whose last sample is before `mint`, if any.
    ///
    /// Marks of an earlier head are recognised by their sample index: the current head has not
    /// reached it yet (a new head overwrites each mark as it passes its index).
    private func headMark(before mint: Timestamp) -> ResumePoint? {
        func usable(_ mark: ResumePoint) -> Bool { mark.index > 0 && Int(mark.index) <= head.count && mark.lastTime < mint }
        if usable(headMarks.2) { return headMarks.2 }
        if usable(headMarks.1) { return headMarks.1 }
        if usable(headMarks.0) { return headMarks.0 }
        return nil
    }
}

/// Series by reference: references are dense, so a slot array beats a hash map on the append path.
struct SeriesTable {
    private var slots: [MemSeries?] = [nil]
    private(set) var count = 0

    subscript(ref: SeriesRef) -> MemSeries? {
        get { ref > 0 && Int(ref) < slots.count ? slots[Int(ref)] : nil }
        _modify {
            precondition(ref > 0 && Int(ref) < slots.count, "unknown series reference \(ref)")
            yield &slots[Int(ref)]
        }
    }

    /// Whether `ref` names a series, without copying it out as the subscript's getter would.
    func contains(_ ref: SeriesRef) -> Bool {
        ref > 0 && Int(ref) < slots.count && slots[Int(ref)] != nil
    }

    mutating func insert(_ memSeries: MemSeries) {
        let index = Int(memSeries.ref)
        if index >= slots.count { slots.append(contentsOf: repeatElement(nil, count: index - slots.count + 1)) }
        if slots[index] == nil { count += 1 }
        slots[index] = memSeries
    }

    mutating func remove(_ ref: SeriesRef) {
        guard self[ref] != nil else { return }
        slots[Int(ref)] = nil
        count -= 1
    }

    mutating func removeAll() {
        slots = [nil]
        count = 0
    }

    var values: [MemSeries] { slots.compactMap { $0 } }
    var refs: [SeriesRef] { slots.indices.filter { slots[$0] != nil }.map { SeriesRef($0) } }

    /// Calls `body` on every series in place.
    mutating func mutateAll(_ body: (inout MemSeries) -> Void) {
        for index in slots.indices where slots[index] != nil { body(&slots[index]!) }
    }
}

/// The inverted index: label name → value → series references, ascending.
///
/// Values are keyed by their bytes: two values that differ only in Unicode normalisation are two postings lists.
struct Postings {
    private(set) var byName: [String: [ByteString: [SeriesRef]]] = [:]

    mutating func add(_ ref: SeriesRef, _ labels: Labels) {
        for label in labels {
            // References only grow, so appending keeps each list sorted.
            byName[label.name, default: [:]][ByteString(label.value), default: []].append(ref)
        }
    }

    mutating func remove(_ refs: Set<SeriesRef>, _ labels: [Labels]) {
        for series in labels {
            for label in series {
                let value = ByteString(label.value)
                byName[label.name]?[value]?.removeAll { refs.contains($0) }
                if byName[label.name]?[value]?.isEmpty == true { byName[label.name]?[value] = nil }
                if byName[label.name]?.isEmpty == true { byName[label.name] = nil }
            }
        }
    }

    /// Series that can match, using the matchers that need the label to be present; nil means "every series".
    ///
    /// Matchers that also match an absent label (`a!="x"`, `a=~".*"`) cannot narrow the set by postings;
    /// the caller checks them against each candidate's labels.
    func candidates(_ matchers: [Matcher]) -> [SeriesRef]? {
        var result: [SeriesRef]?
        for matcher in matchers where !matcher.matchesEmpty {
            let values = byName[matcher.name] ?? [:]
            var refs: [SeriesRef]
            if matcher.type == .equal {
                refs = values[ByteString(matcher.value)] ?? []
            } else {
                var union: [SeriesRef] = []
                for (value, list) in values where matcher.matches(value.string) { union += list }
                refs = union.sorted()
            }
            result = result.map { intersect($0, refs) } ?? refs
            if result?.isEmpty == true { return [] }
        }
        return result
    }

    private func intersect(_ a: [SeriesRef], _ b: [SeriesRef]) -> [SeriesRef] {
        var i = 0, j = 0
        var out: [SeriesRef] = []
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                out.append(a[i])
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return out
    }
}
