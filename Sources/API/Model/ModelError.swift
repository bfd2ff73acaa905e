/// What went wrong while reading data, training, or loading a model artifact.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unreadableFile = "unreadable_file"
        case invalidData = "invalid_data"
        case invalidArtifact = "invalid_artifact"
        case trainingFailed = "training_failed"
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
