/// The eight measurements of one patient, in the order the model and the data set use.
public struct PatientFeatures: Sendable, Equatable {
    public var values: [Double]

    /// Feature names in model order; the request body, the CSV header and the artifact all use them.
    public static let names = [
        "Pregnancies", "Glucose", "BloodPressure", "SkinThickness",
        "Insulin", "BMI", "DiabetesPedigreeFunction", "Age",
    ]

    /// Columns where 0 is physiologically impossible and encodes a missing measurement.
    public static let zeroMeansMissing: Set<String> = ["Glucose", "BloodPressure", "SkinThickness", "Insulin", "BMI"]

    public init(values: [Double]) {
        precondition(values.count == Self.names.count, "a patient has \(Self.names.count) features")
        self.values = values
    }

    public init(
        pregnancies: Double, glucose: Double, bloodPressure: Double, skinThickness: Double,
        insulin: Double, bmi: Double, diabetesPedigreeFunction: Double, age: Double
    ) {
        self.values = [pregnancies, glucose, bloodPressure, skinThickness, insulin, bmi, diabetesPedigreeFunction, age]
    }
}
