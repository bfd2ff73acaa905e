import TSDB

extension ExpositionParser {
    /// parseSample reads `name[{labels}] value [timestamp]`, plus an exemplar in OpenMetrics.
    ///
    /// 0.0.4 allows any blanks between tokens and a trailing comma in the label set; OpenMetrics
    /// wants exactly one space between tokens, as its ABNF says.
    mutating func parseSample(_ line: inout ExpositionLine) throws(ExpositionError) -> ExpositionEntry {
        let openMetrics = format == .openMetrics
        seriesStart = line.index
        guard line.scanMetricName() else { throw line.expected("metric name", at: line.index) }
        nameEnd = line.index
        labelsStart = -1
        seriesEnd = nameEnd
        if !openMetrics { line.skipBlanks() }
        if line.current == ExpositionByte.openBrace {
            labelsStart = line.index
            try parseLabels(&line, strict: openMetrics, recordsNames: true)
            seriesEnd = line.index
        } else if line.index == nameEnd, !line.isAtEnd, line.current != ExpositionByte.space {
            // Without this, `a-1` would read as metric `a` with value -1.
            throw line.expected("'{' or \(openMetrics ? "' '" : "blank") after metric name", at: line.index)
        }

        if openMetrics {
            guard line.current == ExpositionByte.space else { throw line.expected("' ' before value", at: line.index) }
            line.index += 1
        } else {
            line.skipBlanks()
        }
        let valueStart = line.index
        if openMetrics { line.skipToSpace() } else { line.skipToBlank() }
        let valueToken = valueStart..<line.index
        guard !valueToken.isEmpty else { throw line.expected("value", at: valueStart) }
        guard let value = ExpositionNumber.parseFloat(line.slice(valueToken)) else {
            throw line.error(.invalidValue, at: valueStart, "expected float value, got \(line.describeToken(valueToken))")
        }

        let timestamp = openMetrics
            ? try parseOpenMetricsTail(&line)
            : try parsePrometheusTail(&line)
        hasSeries = true
        return .sample(value: value, timestamp: timestamp)
    }

    /// parsePrometheusTail reads an optional integer millisecond timestamp and the end of the line.
    private func parsePrometheusTail(_ line: inout ExpositionLine) throws(ExpositionError) -> Timestamp? {
        line.skipBlanks()
        if line.isAtEnd { return nil }
        let start = line.index
        line.skipToBlank()
        guard let timestamp = ExpositionNumber.parseMilliseconds(line.slice(start..<line.index)) else {
            throw line.error(.invalidTimestamp, at: start, "expected integer timestamp in milliseconds, got \(line.describeToken(start..<line.index))")
        }
        line.skipBlanks()
        guard line.isAtEnd else { throw line.expected("end of line after timestamp", at: line.index) }
        return timestamp
    }

    /// parseOpenMetricsTail reads ` timestamp` in seconds and ` # {labels} value [timestamp]`, both optional.
    ///
    /// Exemplars are checked for syntax and then dropped: Vigil does not store them.
    private mutating func parseOpenMetricsTail(_ line: inout ExpositionLine) throws(ExpositionError) -> Timestamp? {
        if line.isAtEnd { return nil }
        line.index += 1  // the space that ended the value
        var timestamp: Timestamp?
        if line.current != ExpositionByte.hash {
            timestamp = try parseSeconds(&line, what: "timestamp")
            if line.isAtEnd { return timestamp }
            line.index += 1
            guard line.current == ExpositionByte.hash else { throw line.expected("'#' to start an exemplar", at: line.index) }
        }
        line.index += 1
        guard line.current == ExpositionByte.space else { throw line.expected("' ' after '#'", at: line.index) }
        line.index += 1
        guard line.current == ExpositionByte.openBrace else { throw line.expected("'{' to start exemplar labels", at: line.index) }
        try parseLabels(&line, strict: true, recordsNames: false)
        guard line.current == ExpositionByte.space else { throw line.expected("' ' before exemplar value", at: line.index) }
        line.index += 1
        let valueStart = line.index
        line.skipToSpace()
        guard ExpositionNumber.parseFloat(line.slice(valueStart..<line.index)) != nil else {
            if valueStart == line.index { throw line.expected("exemplar value", at: valueStart) }
            throw line.error(.invalidValue, at: valueStart, "expected float exemplar value, got \(line.describeToken(valueStart..<line.index))")
        }
        if line.isAtEnd { return timestamp }
        line.index += 1
        _ = try parseSeconds(&line, what: "exemplar timestamp")
        guard line.isAtEnd else { throw line.expected("end of line after exemplar", at: line.index) }
        return timestamp
    }

    private func parseSeconds(_ line: inout ExpositionLine, what: String) throws(ExpositionError) -> Timestamp {
        let start = line.index
        line.skipToSpace()
        guard start < line.index else { throw line.expected(what, at: start) }
        guard let timestamp = ExpositionNumber.parseSeconds(line.slice(start..<line.index)) else {
            throw line.error(.invalidTimestamp, at: start, "expected \(what) in seconds, got \(line.describeToken(start..<line.index))")
        }
        return timestamp
    }

    // MARK: Label sets

    /// parseLabels reads `{name="value",…}` from its `{` through its `}`.
    ///
    /// `strict` is OpenMetrics: no blanks and no trailing comma. `recordsNames` checks the names
    /// for duplicates and `__name__`; exemplar label sets skip that.
    mutating func parseLabels(_ line: inout ExpositionLine, strict: Bool, recordsNames: Bool) throws(ExpositionError) {
        line.index += 1
        if recordsNames { labelNames.removeAll(keepingCapacity: true) }
        if !strict { line.skipBlanks() }
        if line.current == ExpositionByte.closeBrace {
            line.index += 1
            return
        }
        pairs: while true {
            let nameStart = line.index
            guard line.scanLabelName() else { throw line.expected("label name", at: nameStart) }
            if recordsNames { try recordLabelName(nameStart..<line.index, in: line) }
            if !strict { line.skipBlanks() }
            guard line.current == ExpositionByte.equals else { throw line.expected("'=' after label name", at: line.index) }
            line.index += 1
            if !strict { line.skipBlanks() }
            guard line.current == ExpositionByte.quote else { throw line.expected("'\"' to open label value", at: line.index) }
            line.index += 1
            try line.scanQuotedValue()
            if !strict { line.skipBlanks() }
            switch line.current {
            case ExpositionByte.comma:
                line.index += 1
                if strict { continue pairs }
                line.skipBlanks()
                if line.current == ExpositionByte.closeBrace {  // 0.0.4 allows a trailing comma
                    line.index += 1
                    break pairs
                }
            case ExpositionByte.closeBrace:
                line.index += 1
                break pairs
            default:
                throw line.expected("',' or '}' after label value", at: line.index)
            }
        }
        if recordsNames, labelNames.count > Self.pairwiseLimit { try checkDuplicatesBySorting(in: line) }
    }

    /// Label sets up to this size are checked pairwise as names arrive; bigger ones are sorted once.
    private static var pairwiseLimit: Int { 16 }

    private mutating func recordLabelName(_ name: Range<Int>, in line: ExpositionLine) throws(ExpositionError) {
        if line.matches(name, "__name__") {
            throw line.error(.duplicateLabel, at: name.lowerBound, "label name \"__name__\" duplicates the metric name")
        }
        if labelNames.count < Self.pairwiseLimit {
            for other in labelNames where Self.equal(line.bytes, other, name) {
                throw line.error(.duplicateLabel, at: name.lowerBound, "duplicate label name \(line.describeToken(name))")
            }
        }
        labelNames.append(name)
    }

    /// checkDuplicatesBySorting finds a repeated name in a large label set in O(n log n), reporting the earliest repeat.
    private func checkDuplicatesBySorting(in line: ExpositionLine) throws(ExpositionError) {
        let bytes = line.bytes
        let sorted = labelNames.sorted { lhs, rhs in
            let left = UnsafeBufferPointer(rebasing: bytes[lhs]), right = UnsafeBufferPointer(rebasing: bytes[rhs])
            return left.elementsEqual(right) ? lhs.lowerBound < rhs.lowerBound : left.lexicographicallyPrecedes(right)
        }
        var earliest: Range<Int>?
        for (previous, name) in zip(sorted, sorted.dropFirst()) where Self.equal(bytes, previous, name) {
            if earliest.map({ name.lowerBound < $0.lowerBound }) ?? true { earliest = name }
        }
        if let earliest {
            throw line.error(.duplicateLabel, at: earliest.lowerBound, "duplicate label name \(line.describeToken(earliest))")
        }
    }

    @inline(__always) private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ lhs: Range<Int>, _ rhs: Range<Int>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for offset in 0..<lhs.count where bytes[lhs.lowerBound + offset] != bytes[rhs.lowerBound + offset] { return false }
        return true
    }

    /// decodeLabels rebuilds the current series from its already validated bytes.
    func decodeLabels(in bytes: UnsafeBufferPointer<UInt8>) -> Labels {
        var pairs = [Label(Labels.metricName, String(decoding: UnsafeBufferPointer(rebasing: bytes[seriesStart..<nameEnd]), as: UTF8.self))]
        if labelsStart >= 0 {
            var offset = labelsStart + 1
            while true {
                while offset < seriesEnd, bytes[offset] == ExpositionByte.space || bytes[offset] == ExpositionByte.tab || bytes[offset] == ExpositionByte.comma {
                    offset += 1
                }
                guard offset < seriesEnd, bytes[offset] != ExpositionByte.closeBrace else { break }
                let nameStart = offset
                while ExpositionByte.isLabelNameChar(bytes[offset]) { offset += 1 }
                let name = nameStart..<offset
                while bytes[offset] != ExpositionByte.quote { offset += 1 }  // blanks and '='
                offset += 1
                let valueStart = offset
                while bytes[offset] != ExpositionByte.quote { offset += bytes[offset] == ExpositionByte.backslash ? 2 : 1 }
                let value = valueStart..<offset
                offset += 1
                if !value.isEmpty {
                    pairs.append(Label(
                        String(decoding: UnsafeBufferPointer(rebasing: bytes[name]), as: UTF8.self),
                        Self.unescape(bytes, value, decodesQuote: true)
                    ))
                }
            }
        }
        pairs.sort()
        return Labels(sortedPairs: pairs)
    }
}
