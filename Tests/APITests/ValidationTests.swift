import Testing
@testable import API

@Suite struct ValidationTests {
    func object(_ members: [String: JSONValue]) -> JSONValue { .object(members) }

    var valid: [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: PatientField.all.map { ($0.name, JSONValue.number($0.example)) })
    }

    @Test func acceptsTheExampleAndIntegralFloatsForIntegerFields() throws {
        var members = valid
        members["Age"] = .number(50.0)
        let patient = try PredictionRequest.patient(from: object(members), at: [.key("body")]).get()
        #expect(patient.values == [6, 148, 72, 35, 0, 33.6, 0.627, 50])
    }

    @Test(arguments: [
        ("Glucose", JSONValue.number(300.5), "out_of_range"),
        ("Glucose", JSONValue.null, "float_type"),
        ("Glucose", JSONValue.bool(true), "float_type"),
        ("Glucose", JSONValue.string("148"), "float_type"),
        ("Pregnancies", JSONValue.number(-1), "out_of_range"),
        ("Pregnancies", JSONValue.number(1.5), "int_from_float"),
        ("Age", JSONValue.number(121), "out_of_range"),
        ("BMI", JSONValue.array([]), "float_type"),
    ])
    func refusesImplausibleValues(field: String, value: JSONValue, type: String) {
        var members = valid
        members[field] = value
        guard case .failure(let failure) = PredictionRequest.patient(from: object(members), at: [.key("body")]) else {
            Issue.record("\(field)=\(value) was accepted")
            return
        }
        #expect(failure.issues.count == 1)
        #expect(failure.issues[0].type == type)
        #expect(failure.issues[0].location == [.key("body"), .key(field)])
    }

    @Test func issuesSerialiseLikeFastAPI() {
        let issue = ValidationIssue(location: [.key("body"), .index(3), .key("Age")], type: "missing", message: "Field required", input: nil)
        #expect(issue.jsonText == #"{"type":"missing","loc":["body",3,"Age"],"msg":"Field required"}"#)
        let withInput = ValidationIssue(location: [.key("body")], type: "x", message: "say \"hi\"", input: .string("a\nb"))
        #expect(withInput.jsonText == #"{"type":"x","loc":["body"],"msg":"say \"hi\"","input":"a\nb"}"#)
    }
}
