import Crypto
import Foundation

/// The SHA-256 of a data file in lower-case hex, recorded in the artifact and logged to MLflow.
public enum DatasetDigest {
    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
