import Foundation

/// The OpenAPI 3.1 description of the prediction API, built from the same field table the validator uses.
enum OpenAPIDocument {
    static var value: [String: Any] { build() }

    private static func build() -> [String: Any] {
        let patientProperties = Dictionary(uniqueKeysWithValues: PatientField.all.map { field in
            (field.name, [
                "type": field.integer ? "integer" : "number",
                "minimum": field.minimum, "maximum": field.maximum,
                "description": field.description,
            ] as [String: Any])
        })
        let example = Dictionary(uniqueKeysWithValues: PatientField.all.map { ($0.name, $0.example) })
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
                "summary": "Predict diabetes for one patient",
                "description": "Validates the eight measurements, imputes zero-as-missing columns with the training medians and returns the model's probability and label.",
                "operationId": "predict",
                "requestBody": ["required": true, "content": jsonContent(ref("PatientData"))],
                "responses": errorResponses.merging(["200": response("Prediction", "Prediction")]) { a, _ in a },
            ] as [String: Any]],
            "/predict/batch": ["post": [
                "summary": "Predict for up to 1,000 patients",
                "description": "A JSON array of patient objects; validation errors are located by row index and field.",
                "operationId": "predictBatch",
                "requestBody": ["required": true, "content": jsonContent(["type": "array", "items": ref("PatientData"), "minItems": 1, "maxItems": 1000])],
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
            "PatientData": [
                "type": "object", "title": "PatientData", "additionalProperties": false,
                "required": PatientField.all.map(\.name), "properties": patientProperties, "example": example,
            ] as [String: Any],
            "Prediction": [
                "type": "object", "required": ["prediction", "outcome", "probability", "model_version"],
                "properties": [
                    "prediction": ["type": "integer", "enum": [0, 1], "description": "1 when the probability reaches the model's threshold"],
                    "outcome": ["type": "string", "enum": ["diabetic", "non_diabetic"]],
                    "probability": ["type": "number", "minimum": 0, "maximum": 1, "description": "Probability of diabetes, rounded to 4 decimals"],
                    "model_version": ["type": "string", "description": "Content hash of the model artifact"],
                ] as [String: Any],
                "example": ["prediction": 1, "outcome": "diabetic", "probability": 0.7179, "model_version": "logreg-…"] as [String: Any],
            ] as [String: Any],
            "BatchPrediction": [
                "type": "object", "required": ["predictions", "count", "model_version"],
                "properties": [
                    "predictions": ["type": "array", "items": ["type": "object", "properties": [
                        "prediction": ["type": "integer"], "outcome": ["type": "string"], "probability": ["type": "number"],
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
                "version": "1.0.0",
                "description": "Diabetes risk from eight measurements of the Pima Indians Diabetes data set, served with Prometheus metrics.",
            ],
            "paths": paths,
            "components": ["schemas": schemas],
        ]
    }

    static let json: String = {
        let data = try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }()
}
