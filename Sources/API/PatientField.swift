/// The documented input range of one request field; the validator and the OpenAPI document both read it.
public struct PatientField: Sendable {
    public var name: String
    public var minimum: Double
    public var maximum: Double
    public var integer: Bool
    public var description: String
    public var example: Double

    /// Ranges are wide enough for every real patient and the whole data set, and narrow enough to catch unit mix-ups.
    /// A 0 in the zero-as-missing columns is accepted and imputed with the training median.
    public static let all: [PatientField] = [
        .init(name: "Pregnancies", minimum: 0, maximum: 20, integer: true, description: "Number of times pregnant.", example: 6),
        .init(name: "Glucose", minimum: 0, maximum: 300, integer: false, description: "Plasma glucose 2 h into an oral glucose tolerance test, mg/dL; 0 means not measured.", example: 148),
        .init(name: "BloodPressure", minimum: 0, maximum: 200, integer: false, description: "Diastolic blood pressure, mm Hg; 0 means not measured.", example: 72),
        .init(name: "SkinThickness", minimum: 0, maximum: 100, integer: false, description: "Triceps skin-fold thickness, mm; 0 means not measured.", example: 35),
        .init(name: "Insulin", minimum: 0, maximum: 1000, integer: false, description: "2-hour serum insulin, µU/mL; 0 means not measured.", example: 0),
        .init(name: "BMI", minimum: 0, maximum: 80, integer: false, description: "Body mass index, kg/m²; 0 means not measured.", example: 33.6),
        .init(name: "DiabetesPedigreeFunction", minimum: 0, maximum: 3, integer: false, description: "Diabetes pedigree function (family-history score).", example: 0.627),
        .init(name: "Age", minimum: 1, maximum: 120, integer: true, description: "Age in years.", example: 50),
    ]

    /// The fields' names as bytes, compared against request keys without making strings.
    static let utf8Names: [[UInt8]] = all.map { Array($0.name.utf8) }

    /// Whether a finite number is a valid value of this field.
    func accepts(_ value: Double) -> Bool {
        value.isFinite && value >= minimum && value <= maximum && (!integer || value == value.rounded())
    }

    static let index: [String: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1.name, $0) })
}
