import Foundation

/// One reason a request field was refused, shaped like FastAPI's validation errors.
public struct ValidationIssue: Sendable, Equatable {
    /// Where the value sits: "body", then a row index for batches, then the field name.
    public var location: [LocationPart]
    public var type: String
    public var message: String
    var input: JSONValue?

    public enum LocationPart: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    var jsonText: String {
        let loc = location.map { part -> String in
            switch part {
            case .key(let k): return JSONText.quoted(k)
            case .index(let i): return String(i)
            }
        }.joined(separator: ",")
        var text = "{\"type\":\(JSONText.quoted(type)),\"loc\":[\(loc)],\"msg\":\(JSONText.quoted(message))"
        if let input { text += ",\"input\":\(input.jsonText)" }
        return text + "}"
    }
}

/// Every issue found in one request body.
struct ValidationFailure: Error {
    var issues: [ValidationIssue]
    init(_ issues: [ValidationIssue]) { self.issues = issues }
}

/// Turns decoded JSON into feature rows for one model's schema, collecting every problem rather than stopping at the first.
enum PredictionRequest {
    /// Validates one object; `prefix` is the location of the object itself.
    static func row(from value: JSONValue, at prefix: [ValidationIssue.LocationPart], schema: FeatureSchema) -> Result<FeatureRow, ValidationFailure> {
        guard case .object(let members) = value else {
            return .failure(ValidationFailure([ValidationIssue(location: prefix, type: "object_type", message: "Input should be a JSON object with the \(schema.count) feature fields", input: value)]))
        }
        var issues: [ValidationIssue] = []
        var values = [Double](repeating: .nan, count: schema.count)
        for (i, field) in schema.features.enumerated() {
            let location = prefix + [.key(field.name)]
            let integer = field.type == .integer
            guard let raw = members[field.name] else {
                if !field.nullable { issues.append(.init(location: location, type: "missing", message: "Field required", input: nil)) }
                continue
            }
            if raw == .null && field.nullable { continue }
            guard case .number(let number) = raw else {
                issues.append(.init(location: location, type: integer ? "int_type" : "float_type",
                                    message: "Input should be a \(integer ? "valid integer" : "valid number"), got \(raw.typeName)", input: raw))
                continue
            }
            if !number.isFinite {
                issues.append(.init(location: location, type: "finite_number", message: "Input should be a finite number", input: raw))
            } else if field.accepts(number) {
                values[i] = number
            } else if integer && number != number.rounded() {
                issues.append(.init(location: location, type: "int_from_float", message: "Input should be a valid integer, got a number with a fractional part", input: raw))
            } else {
                issues.append(.init(location: location, type: "out_of_range", message: rangeMessage(field), input: raw))
            }
        }
        for key in members.keys.sorted() where schema.index[key] == nil {
            issues.append(.init(location: prefix + [.key(key)], type: "extra_forbidden", message: "Extra inputs are not permitted", input: members[key]))
        }
        return issues.isEmpty ? .success(FeatureRow(values: values)) : .failure(ValidationFailure(issues))
    }

    static func rangeMessage(_ field: FeatureSpec) -> String {
        switch (field.minimum, field.maximum) {
        case (let low?, let high?): return "Input should be between \(JSONText.number(low)) and \(JSONText.number(high))"
        case (let low?, nil): return "Input should be at least \(JSONText.number(low))"
        case (nil, let high?): return "Input should be at most \(JSONText.number(high))"
        case (nil, nil): return "Input should be a finite number"
        }
    }

    /// Validates a batch: a JSON array of row objects, at most `limit` of them.
    static func batch(from value: JSONValue, limit: Int, schema: FeatureSchema) -> Result<[FeatureRow], ValidationFailure> {
        guard case .array(let rows) = value else {
            return .failure(ValidationFailure([ValidationIssue(location: [.key("body")], type: "list_type", message: "Input should be a JSON array of feature objects", input: nil)]))
        }
        guard !rows.isEmpty else {
            return .failure(ValidationFailure([ValidationIssue(location: [.key("body")], type: "too_short", message: "A batch needs at least 1 row", input: nil)]))
        }
        guard rows.count <= limit else {
            return .failure(ValidationFailure([ValidationIssue(location: [.key("body")], type: "too_long", message: "A batch holds at most \(limit) rows, got \(rows.count)", input: nil)]))
        }
        var result: [FeatureRow] = []
        result.reserveCapacity(rows.count)
        var issues: [ValidationIssue] = []
        for (index, row) in rows.enumerated() {
            switch self.row(from: row, at: [.key("body"), .index(index)], schema: schema) {
            case .success(let r): result.append(r)
            case .failure(let failure): issues += failure.issues
            }
        }
        return issues.isEmpty ? .success(result) : .failure(ValidationFailure(issues))
    }
}
