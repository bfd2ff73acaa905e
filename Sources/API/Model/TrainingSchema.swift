import Foundation
import Yams

/// What `vigil train` cannot infer from a CSV: ranges, missing-value markers, descriptions, class labels.
///
/// Read from a small YAML file; every key is optional, unknown keys are refused with their position:
///
/// ```yaml
/// name: diabetes
/// class_labels: [non_diabetic, diabetic]
/// features:
///   Glucose: {type: number, minimum: 0, maximum: 300, missing_values: [0], description: "mg/dL"}
/// ```
public struct TrainingSchema: Sendable, Equatable {
    public var name: String?
    public var description: String?
    public var kind: ModelKind?
    public var classLabels: [String]?
    public var features: [String: FeatureOverride] = [:]
    /// Feature columns in the order the YAML lists them, to check that each exists.
    public var featureOrder: [String] = []

    /// Per-feature settings; nil keeps what was inferred.
    public struct FeatureOverride: Sendable, Equatable {
        public var type: FeatureValueType?
        public var minimum: Double?
        public var maximum: Double?
        public var missingValues: [Double]?
        public var nullable: Bool?
        public var description: String?
        public var example: Double?
        /// Where the entry sits in the YAML, for errors found later (an unknown column).
        public var position: String
    }

    public init() {}

    /// Reads a schema file; errors name `file:line:col`.
    public init(contentsOf url: URL) throws(ModelError) {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ModelError(code: .unreadableFile, message: "cannot read schema \(url.path): \(error.localizedDescription)")
        }
        try self.init(yaml: text, source: url.path)
    }

    public init(yaml: String, source: String) throws(ModelError) {
        func fail(_ node: Node?, _ reason: String) -> ModelError {
            ModelError(code: .invalidData, message: "\(source):\(node?.mark?.description ?? "1:1"): \(reason)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ModelError(code: .invalidData, message: "\(source): not valid YAML: \(error)")
        }
        guard let root else { return }
        guard let mapping = root.mapping else { throw fail(root, "expected a mapping with name, description, kind, class_labels, features") }
        func string(_ node: Node, _ key: String) throws(ModelError) -> String {
            guard let scalar = node.scalar else { throw fail(node, "\(key) must be a string") }
            return scalar.string
        }
        func number(_ node: Node, _ key: String) throws(ModelError) -> Double {
            guard let scalar = node.scalar, let value = Double(scalar.string), value.isFinite else {
                throw fail(node, "\(key) must be a finite number")
            }
            return value
        }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            switch key {
            case "name": name = try string(value, key)
            case "description": description = try string(value, key)
            case "kind":
                let text = try string(value, key)
                guard let parsed = ModelKind(rawValue: text) else {
                    throw fail(value, "kind must be one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")), got \(text)")
                }
                kind = parsed
            case "class_labels":
                guard let items = value.sequence, items.count == 2 else { throw fail(value, "class_labels must list two names: outcome 0, then outcome 1") }
                var labels: [String] = []
                for item in items { labels.append(try string(item, key)) }
                guard labels[0] != labels[1], !labels.contains("") else { throw fail(value, "class_labels must be two different, non-empty names") }
                classLabels = labels
            case "features":
                guard let entries = value.mapping else { throw fail(value, "features must map column names to settings") }
                for (nameNode, settings) in entries {
                    let column = try string(nameNode, "a feature name")
                    guard let fields = settings.mapping else { throw fail(settings, "feature \(column) must be a mapping") }
                    var entry = FeatureOverride(position: "\(source):\(nameNode.mark?.description ?? "1:1")")
                    for (fieldNode, fieldValue) in fields {
                        let field = fieldNode.string ?? ""
                        switch field {
                        case "type":
                            let text = try string(fieldValue, field)
                            guard let parsed = FeatureValueType(rawValue: text) else { throw fail(fieldValue, "type must be integer or number, got \(text)") }
                            entry.type = parsed
                        case "minimum": entry.minimum = try number(fieldValue, field)
                        case "maximum": entry.maximum = try number(fieldValue, field)
                        case "example": entry.example = try number(fieldValue, field)
                        case "description": entry.description = try string(fieldValue, field)
                        case "nullable":
                            guard let flag = fieldValue.bool else { throw fail(fieldValue, "nullable must be true or false") }
                            entry.nullable = flag
                        case "missing_values":
                            guard let items = fieldValue.sequence else { throw fail(fieldValue, "missing_values must be a list of numbers") }
                            var markers: [Double] = []
                            for item in items { markers.append(try number(item, field)) }
                            entry.missingValues = markers
                        default:
                            throw fail(fieldNode, "unknown key \(field) in feature \(column) (known: type, minimum, maximum, missing_values, nullable, description, example)")
                        }
                    }
                    if let low = entry.minimum, let high = entry.maximum, low > high {
                        throw fail(settings, "feature \(column): minimum \(low) is above maximum \(high)")
                    }
                    features[column] = entry
                    featureOrder.append(column)
                }
            default:
                throw fail(keyNode, "unknown key \(key) (known: name, description, kind, class_labels, features)")
            }
        }
    }
}
