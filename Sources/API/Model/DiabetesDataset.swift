import Foundation

/// The labelled Pima diabetes rows, read from the Kaggle-style CSV with a header line.
public struct DiabetesDataset: Sendable {
    public var features: [PatientFeatures]
    public var outcomes: [Int]

    public var count: Int { outcomes.count }

    public init(features: [PatientFeatures], outcomes: [Int]) {
        precondition(features.count == outcomes.count)
        self.features = features
        self.outcomes = outcomes
    }

    /// Reads a CSV whose header names the eight features and `Outcome`, in any column order.
    public init(contentsOf url: URL) throws(ModelError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError(code: .unreadableFile, message: "cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(csv: String(decoding: data, as: UTF8.self), source: url.path)
    }

    /// Parses CSV text; errors name `source:line`.
    public init(csv: String, source: String = "<csv>") throws(ModelError) {
        var lines = csv.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first else {
            throw ModelError(code: .invalidData, message: "\(source):1: empty file, expected a header line")
        }
        let columns = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var featureColumns: [Int] = []
        for name in PatientFeatures.names {
            guard let index = columns.firstIndex(of: name) else {
                throw ModelError(code: .invalidData, message: "\(source):1: header has no column \(name)")
            }
            featureColumns.append(index)
        }
        guard let outcomeColumn = columns.firstIndex(of: "Outcome") else {
            throw ModelError(code: .invalidData, message: "\(source):1: header has no column Outcome")
        }
        var features: [PatientFeatures] = []
        var outcomes: [Int] = []
        for (offset, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let lineNumber = offset + 1
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == columns.count else {
                throw ModelError(code: .invalidData, message: "\(source):\(lineNumber): expected \(columns.count) cells, got \(cells.count)")
            }
            var values: [Double] = []
            values.reserveCapacity(featureColumns.count)
            for (name, column) in zip(PatientFeatures.names, featureColumns) {
                guard let value = Double(cells[column].trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw ModelError(code: .invalidData, message: "\(source):\(lineNumber): \(name) is not a number: \"\(cells[column])\"")
                }
                values.append(value)
            }
            let outcomeText = cells[outcomeColumn].trimmingCharacters(in: .whitespaces)
            guard let outcome = Int(outcomeText), outcome == 0 || outcome == 1 else {
                throw ModelError(code: .invalidData, message: "\(source):\(lineNumber): Outcome must be 0 or 1, got \"\(outcomeText)\"")
            }
            features.append(PatientFeatures(values: values))
            outcomes.append(outcome)
        }
        guard Set(outcomes).count == 2 else {
            throw ModelError(code: .invalidData, message: "\(source): both outcomes 0 and 1 must occur")
        }
        self.init(features: features, outcomes: outcomes)
    }

    public func subset(_ indices: [Int]) -> DiabetesDataset {
        DiabetesDataset(features: indices.map { features[$0] }, outcomes: indices.map { outcomes[$0] })
    }
}
