import Foundation

/// Rows of numeric features with a target column, read from a CSV with a header line.
///
/// An empty cell is a missing value (NaN); every other cell must be a finite number.
public struct LabeledDataset: Sendable {
    public var featureNames: [String]
    /// One array per row, in `featureNames` order.
    public var rows: [[Double]]
    public var targets: [Double]
    public var targetName: String

    public var count: Int { targets.count }

    public init(featureNames: [String], rows: [[Double]], targets: [Double], targetName: String) {
        precondition(rows.count == targets.count)
        self.featureNames = featureNames
        self.rows = rows
        self.targets = targets
        self.targetName = targetName
    }

    /// Reads `url`; `target` names the column to predict, every other column is a feature.
    public init(contentsOf url: URL, target: String) throws(ModelError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError(code: .unreadableFile, message: "cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(csv: String(decoding: data, as: UTF8.self), target: target, source: url.path)
    }

    /// Parses CSV text; errors name `source:line`.
    public init(csv: String, target: String, source: String = "<csv>") throws(ModelError) {
        var lines = csv.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first, !header.isEmpty else {
            throw ModelError(code: .invalidData, message: "\(source):1: empty file, expected a header line")
        }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if let empty = columns.firstIndex(of: "") {
            throw ModelError(code: .invalidData, message: "\(source):1: column \(empty + 1) has no name")
        }
        if let repeated = columns.first(where: { name in columns.count { $0 == name } > 1 }) {
            throw ModelError(code: .invalidData, message: "\(source):1: column \(repeated) appears twice")
        }
        guard let targetColumn = columns.firstIndex(of: target) else {
            throw ModelError(code: .invalidData, message: "\(source):1: header has no column \(target) (columns: \(columns.joined(separator: ", ")))")
        }
        let featureColumns = columns.indices.filter { $0 != targetColumn }
        guard !featureColumns.isEmpty else {
            throw ModelError(code: .invalidData, message: "\(source):1: no feature columns besides \(target)")
        }
        var rows: [[Double]] = []
        var targets: [Double] = []
        for (offset, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let lineNumber = offset + 1
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == columns.count else {
                throw ModelError(code: .invalidData, message: "\(source):\(lineNumber): expected \(columns.count) cells, got \(cells.count)")
            }
            var values: [Double] = []
            values.reserveCapacity(featureColumns.count)
            for column in featureColumns {
                let cell = cells[column]
                if cell.isEmpty {
                    values.append(.nan)
                    continue
                }
                guard let value = Double(cell), value.isFinite else {
                    throw ModelError(code: .invalidData, message: "\(source):\(lineNumber): \(columns[column]) is not a number: \"\(cell)\"")
                }
                values.append(value)
            }
            guard let value = Double(cells[targetColumn]), value.isFinite else {
                throw ModelError(code: .invalidData, message: "\(source):\(lineNumber): \(target) must be a number, got \"\(cells[targetColumn])\"")
            }
            rows.append(values)
            targets.append(value)
        }
        guard rows.count >= 10 else {
            throw ModelError(code: .invalidData, message: "\(source): \(rows.count) data rows; training needs at least 10")
        }
        self.init(featureNames: featureColumns.map { columns[$0] }, rows: rows, targets: targets, targetName: target)
    }

    /// Whether every target is 0 or 1, so a classifier can be trained.
    public var isBinary: Bool { targets.allSatisfy { $0 == 0 || $0 == 1 } }

    public func subset(_ indices: [Int]) -> LabeledDataset {
        LabeledDataset(featureNames: featureNames, rows: indices.map { rows[$0] }, targets: indices.map { targets[$0] }, targetName: targetName)
    }

    /// Column `j` of every row.
    func column(_ j: Int) -> [Double] { rows.map { $0[j] } }
}
