import Foundation
import Testing
@testable import API

@Suite struct ValidationTests {
    func object(_ members: [String: JSONValue]) -> JSONValue { .object(members) }

    var valid: [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: Repository.diabetesSchema.features.map { ($0.name, JSONValue.number($0.example ?? .nan)) })
    }

    @Test func acceptsTheExampleAndIntegralFloatsForIntegerFields() throws {
        var members = valid
        members["Age"] = .number(50.0)
        let patient = try PredictionRequest.row(from: object(members), at: [.key("body")], schema: Repository.diabetesSchema).get()
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
        guard case .failure(let failure) = PredictionRequest.row(from: object(members), at: [.key("body")], schema: Repository.diabetesSchema) else {
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

@Suite struct FastFeatureReaderTests {
    /// What the general path (JSONDecoder + validation) makes of a body: features, or nil for any error.
    func slow(_ body: String, batch: Bool) -> [FeatureRow]? {
        guard let value = try? JSONValue.decodeBody(Data(body.utf8), expectingArray: batch) else { return nil }
        if batch { return try? PredictionRequest.batch(from: value, limit: 1000, schema: Repository.diabetesSchema).get() }
        return (try? PredictionRequest.row(from: value, at: [.key("body")], schema: Repository.diabetesSchema).get()).map { [$0] }
    }

    func fast(_ body: String, batch: Bool) -> [FeatureRow]? {
        Array(body.utf8).withUnsafeBytes { bytes in
            batch ? FastFeatureReader.rows(bytes, limit: 1000, schema: Repository.diabetesSchema) : FastFeatureReader.row(bytes, schema: Repository.diabetesSchema).map { [$0] }
        }
    }

    static let example = #"{"Pregnancies":6,"Glucose":148,"BloodPressure":72,"SkinThickness":35,"Insulin":0,"BMI":33.6,"DiabetesPedigreeFunction":0.627,"Age":50}"#

    @Test(arguments: [
        example,
        " \n{ \"Age\" : 5e1 , \"BMI\":3.36E1,\"Pregnancies\":6.0,\"Glucose\":148,\"BloodPressure\":72,\"SkinThickness\":35,\"Insulin\":-0,\"DiabetesPedigreeFunction\":0.627}\t",
        example.replacingOccurrences(of: "\"Age\":50", with: "\"Age\":50,\"Age\":51"),
        example.replacingOccurrences(of: "\"Age\":50", with: "\"Age\":\"50\""),
        example.replacingOccurrences(of: "\"Age\":50", with: "\"Age\":50.5"),
        example.replacingOccurrences(of: "\"Age\":50", with: "\"Age\":500"),
        example.replacingOccurrences(of: "\"Age\":50", with: "\"Age\":050"),
        example.replacingOccurrences(of: "\"Age\":50", with: "\"Age\":50.}"),
        example.replacingOccurrences(of: "\"Age\":50", with: "\"Ag\\u0065\":50"),
        example.replacingOccurrences(of: ",\"Age\":50", with: ""),
        example.replacingOccurrences(of: "\"Age\":50", with: "\"Age\":50,\"X\":1"),
        example.replacingOccurrences(of: "\"Age\":50", with: "\"Age\":50,"),
        example + " x",
        String(example.dropLast()),
        "{}", "", "null", "[]",
    ])
    func fastReaderNeverDisagreesWithTheGeneralPath(body: String) {
        if let fast = fast(body, batch: false) {
            #expect(fast == slow(body, batch: false), "fast path accepted \(body)")
        }
    }

    /// Every number the fast reader takes must be the double the library's parser makes of the same text,
    /// sign of zero included, whether the reader's exact shortcut or the parser converted it.
    @Test func fastReaderNumbersMatchTheLibraryParserBitForBit() {
        let schema = FeatureSchema([FeatureSpec(name: "x", type: .number)])
        var random = SeededGenerator(seed: 17)
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
        }
        var mismatches: [String] = []
        for _ in 0..<50_000 {
            var text = Bool.random(using: &random) ? "-" : ""
            let integerDigits = Int.random(in: 0...20, using: &random)
            text += integerDigits == 0 ? "0" : String(Int.random(in: 1...9, using: &random)) + digits(integerDigits - 1)
            if Bool.random(using: &random) { text += "." + digits(Int.random(in: 1...20, using: &random)) }
            if Int.random(in: 0..<3, using: &random) == 0 {
                text += ["e", "E"].randomElement(using: &random)! + ["", "+", "-"].randomElement(using: &random)!
                text += String(Int.random(in: 0...400, using: &random))
            }
            let expected = Double(text)
            let read = Array("{\"x\":\(text)}".utf8).withUnsafeBytes { FastFeatureReader.row($0, schema: schema) }
            let matches = switch (expected, read?.values.first) {
            case (let e?, let r?): e.bitPattern == r.bitPattern
            case (let e?, nil): !e.isFinite  // out of range for a double: both paths refuse it
            default: false
            }
            if !matches { mismatches.append(text) }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }

    @Test func fastReaderTakesTheCommonBodies() {
        #expect(fast(Self.example, batch: false)?.first?.values == [6, 148, 72, 35, 0, 33.6, 0.627, 50])
        let batch = "[" + Array(repeating: Self.example, count: 3).joined(separator: ", ") + "]"
        #expect(fast(batch, batch: true)?.count == 3)
        #expect(fast("[" + Self.example + ",]", batch: true) == nil)
        #expect(fast("[]", batch: true) == nil)
    }
}
