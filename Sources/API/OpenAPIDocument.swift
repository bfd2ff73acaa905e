import Foundation

/// The OpenAPI 3.1 description of the prediction API, built from the loaded artifact the validator also reads.
enum OpenAPIDocument {
    /// The components/schemas name of one request row.
    static let inputSchemaName = "Features"

    /// The document for one loaded model: its features, ranges, kind and labels.
    static func build(for artifact: ModelArtifact) -> [String: Any] {
        let featureProperties = Dictionary(uniqueKeysWithValues: artifact.features.map { field in
            var property: [String: Any] = ["type": field.nullable ? [field.type.rawValue, "null"] as Any : field.type.rawValue]
            if let minimum = field.minimum { property["minimum"] = minimum }
            if let maximum = field.maximum { property["maximum"] = maximum }
            var description = field.description ?? ""
            if !field.missingValues.isEmpty {
                let markers = field.missingValues.map(JSONText.number).joined(separator: ", ")
                description += (description.isEmpty ? "" : " ") + "\(markers) means not measured and is imputed."
            }
            if field.nullable { description += (description.isEmpty ? "" : " ") + "May be null or left out; then imputed." }
            property["description"] = description
            return (field.name, property)
        })
        let required = artifact.features.filter { !$0.nullable }.map(\.name)
        let example = Dictionary(uniqueKeysWithValues: artifact.features.map { field in
            (field.name, field.example ?? field.minimum ?? artifact.preprocessing.imputation[artifact.featureNames.firstIndex(of: field.name) ?? 0])
        })
        let labels = artifact.classLabels ?? []
        let classifier = artifact.kind == .logisticRegression
        let modelName = artifact.name ?? "the model"
        let predictionProperties: [String: Any] = classifier ? [
            "prediction": ["type": "integer", "enum": [0, 1], "description": "1 when the probability reaches the model's threshold"],
            "outcome": ["type": "string", "enum": labels],
            "probability": ["type": "number", "minimum": 0, "maximum": 1, "description": "Probability of \(labels.last ?? "class 1"), rounded to 4 decimals"],
            "model_version": ["type": "string", "description": "Content hash of the model artifact"],
        ] : [
            "prediction": ["type": "number", "description": "The predicted \(artifact.target ?? "value")"],
            "model_version": ["type": "string", "description": "Content hash of the model artifact"],
        ]
        func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
        func jsonContent(_ schema: [String: Any]) -> [String: Any] { ["application/json": ["schema": schema]] }
        func response(_ description: String, _ schema: String) -> [String: Any] {
            ["description": description, "content": jsonContent(ref(schema))]
        }
        let errorResponses: [String: Any] = [
            "400": response("Malformed JSON or empty body", "Error"),
            "413": response("Body larger than the limit (1 MiB by default)", "Error"),
            "415": response("Content-Type is not application/json", "Error"),
            "422": response("Validation failed; `detail` names every bad field and why", "ValidationErrorResponse"),
            "503": response("No model is loaded", "Error"),
        ]
        let paths: [String: Any] = [
            "/predict": ["post": [
                "summary": "Predict for one row",
                "description": "Validates the \(artifact.features.count) features against the model's schema, imputes missing values as the model was trained and returns \(classifier ? "the probability and label" : "the predicted value").",
                "operationId": "predict",
                "requestBody": ["required": true, "content": jsonContent(ref(inputSchemaName))],
                "responses": errorResponses.merging(["200": response("Prediction", "Prediction")]) { a, _ in a },
            ] as [String: Any]],
            "/predict/batch": ["post": [
                "summary": "Predict for up to 1,000 rows",
                "description": "A JSON array of feature objects; validation errors are located by row index and field.",
                "operationId": "predictBatch",
                "requestBody": ["required": true, "content": jsonContent(["type": "array", "items": ref(inputSchemaName), "minItems": 1, "maxItems": 1000])],
                "responses": errorResponses.merging(["200": response("One prediction per row, in order", "BatchPrediction")]) { a, _ in a },
            ] as [String: Any]],
            "/health": ["get": [
                "summary": "Health and model status",
                "operationId": "health",
                "responses": ["200": response("Serving with a model", "Health"), "503": response("No model loaded", "Health")],
            ] as [String: Any]],
            "/metrics": ["get": [
                "summary": "Prometheus metrics",
                "description": "Request, error, inference and prediction metrics plus process and container metrics, in the Prometheus text format 0.0.4.",
                "operationId": "metrics",
                "responses": ["200": ["description": "Exposition text", "content": ["text/plain": ["schema": ["type": "string"]]]]],
            ] as [String: Any]],
            "/-/reload": ["post": [
                "summary": "Reload the model file",
                "description": "Reads the model file again. A file that fails to load is reported and the model already serving keeps serving. SIGHUP does the same.",
                "operationId": "reload",
                "responses": ["200": response("Reloaded", "ReloadResult"), "500": response("Reload failed; previous model kept", "Error")],
            ] as [String: Any]],
        ]
        let schemas: [String: Any] = [
            inputSchemaName: [
                "type": "object", "title": inputSchemaName, "additionalProperties": false,
                "required": required, "properties": featureProperties, "example": example,
            ] as [String: Any],
            "Prediction": [
                "type": "object", "required": Array(predictionProperties.keys).sorted(),
                "properties": predictionProperties,
            ] as [String: Any],
            "BatchPrediction": [
                "type": "object", "required": ["predictions", "count", "model_version"],
                "properties": [
                    "predictions": ["type": "array", "items": ["type": "object", "properties": [
                        "prediction": ["type": classifier ? "integer" : "number"], "outcome": ["type": "string"], "probability": ["type": "number"],
                    ] as [String: Any]] as [String: Any]],
                    "count": ["type": "integer"],
                    "model_version": ["type": "string"],
                ] as [String: Any],
            ] as [String: Any],
            "Health": [
                "type": "object", "required": ["status", "model_loaded"],
                "properties": [
                    "status": ["type": "string", "enum": ["ok", "unavailable"]],
                    "model_loaded": ["type": "boolean"],
                    "model_version": ["type": ["string", "null"]],
                    "error": ["type": "string", "description": "Why the model could not be loaded"],
                ] as [String: Any],
            ] as [String: Any],
            "ReloadResult": [
                "type": "object", "properties": ["status": ["type": "string"], "model_version": ["type": "string"]] as [String: Any],
            ] as [String: Any],
            "Error": [
                "type": "object", "required": ["detail", "error_type"],
                "properties": [
                    "detail": ["description": "What went wrong"],
                    "error_type": ["type": "string", "enum": APIError.Kind.allCases.map(\.rawValue),
                                   "description": "The error_type label this error counts under in api_errors_total"],
                ] as [String: Any],
            ] as [String: Any],
            "ValidationErrorResponse": [
                "type": "object", "required": ["detail", "error_type"],
                "properties": [
                    "detail": ["type": "array", "items": ref("ValidationIssue")],
                    "error_type": ["type": "string", "const": "validation_error"],
                ] as [String: Any],
            ] as [String: Any],
            "ValidationIssue": [
                "type": "object", "required": ["type", "loc", "msg"],
                "properties": [
                    "type": ["type": "string", "description": "missing, int_type, float_type, int_from_float, finite_number, out_of_range, extra_forbidden, …"],
                    "loc": ["type": "array", "items": ["anyOf": [["type": "string"], ["type": "integer"]]], "description": "body, then the row index for batches, then the field"],
                    "msg": ["type": "string"],
                    "input": ["description": "The value that was refused"],
                ] as [String: Any],
            ] as [String: Any],
        ]
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Vigil prediction API",
                "version": artifact.modelVersion,
                "description": artifact.description ?? "Predictions of \(modelName) (\(artifact.kind.rawValue)) from \(artifact.features.count) features, served with Prometheus metrics.",
            ],
            "paths": paths,
            "components": ["schemas": schemas],
        ]
    }

    static func json(_ document: [String: Any]) -> String {
        // Every value above is a JSON type, so serialisation cannot fail; an empty object is the safe fallback.
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
