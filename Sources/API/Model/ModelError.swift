/// What went wrong while reading data, training, or loading a model artifact.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unreadableFile = "unreadable_file"
        case invalidData = "invalid_data"
        case invalidArtifact = "invalid_artifact"
        case trainingFailed = "training_failed"
        /// The registry answered, but not with what was asked for (unknown model, bad request).
        case registryFailed = "registry_failed"
        /// The registry could not be reached or failed on its side.
        case registryUnreachable = "registry_unreachable"
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
