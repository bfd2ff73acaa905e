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

/// Turns decoded JSON into patient features, collecting every problem rather than stopping at the first.
enum PredictionRequest {
    /// Validates one object; `prefix` is the location of the object itself.
    static func patient(from value: JSONValue, at prefix: [ValidationIssue.LocationPart]) -> Result<PatientFeatures, ValidationFailure> {
        guard case .object(let members) = value else {
            return .failure(ValidationFailure([ValidationIssue(location: prefix, type: "object_type", message: "Input should be a JSON object with the 8 patient fields", input: value)]))
        }
        var issues: [ValidationIssue] = []
        var values = [Double](repeating: 0, count: PatientField.all.count)
        for (i, field) in PatientField.all.enumerated() {
            let location = prefix + [.key(field.name)]
            guard let raw = members[field.name] else {
                issues.append(.init(location: location, type: "missing", message: "Field required", input: nil))
                continue
            }
            guard case .number(let number) = raw else {
                issues.append(.init(location: location, type: field.integer ? "int_type" : "float_type",
                                    message: "Input should be a \(field.integer ? "valid integer" : "valid number"), got \(raw.typeName)", input: raw))
                continue
            }
            if !number.isFinite {
                issues.append(.init(location: location, type: "finite_number", message: "Input should be a finite number", input: raw))
            } else if field.integer && number != number.rounded() {
                issues.append(.init(location: location, type: "int_from_float", message: "Input should be a valid integer, got a number with a fractional part", input: raw))
            } else if number < field.minimum || number > field.maximum {
                issues.append(.init(location: location, type: "out_of_range",
                                    message: "Input should be between \(JSONText.number(field.minimum)) and \(JSONText.number(field.maximum))", input: raw))
            } else {
                values[i] = number
            }
        }
        for key in members.keys.sorted() where PatientField.index[key] == nil {
            issues.append(.init(location: prefix + [.key(key)], type: "extra_forbidden", message: "Extra inputs are not permitted", input: members[key]))
        }
        return issues.isEmpty ? .success(PatientFeatures(values: values)) : .failure(ValidationFailure(issues))
    }

    /// Validates a batch: a JSON array of patient objects, at most `limit` of them.
    static func batch(from value: JSONValue, limit: Int) -> Result<[PatientFeatures], ValidationFailure> {
        guard case .array(let rows) = value else {
            return .failure(ValidationFailure([ValidationIssue(location: [.key("body")], type: "list_type", message: "Input should be a JSON array of patient objects", input: nil)]))
        }
        guard !rows.isEmpty else {
            return .failure(ValidationFailure([ValidationIssue(location: [.key("body")], type: "too_short", message: "A batch needs at least 1 row", input: nil)]))
        }
        guard rows.count <= limit else {
            return .failure(ValidationFailure([ValidationIssue(location: [.key("body")], type: "too_long", message: "A batch holds at most \(limit) rows, got \(rows.count)", input: nil)]))
        }
        var patients: [PatientFeatures] = []
        patients.reserveCapacity(rows.count)
        var issues: [ValidationIssue] = []
        for (index, row) in rows.enumerated() {
            switch patient(from: row, at: [.key("body"), .index(index)]) {
            case .success(let p): patients.append(p)
            case .failure(let failure): issues += failure.issues
            }
        }
        return issues.isEmpty ? .success(patients) : .failure(ValidationFailure(issues))
    }
}
