import Foundation
import Testing

/// Prometheus's own test data, read at test time from `../shared/conformance` beside the repository
/// (or `$VIGIL_CONFORMANCE_DIR`); nothing of it is copied into this repository.
enum SharedConformance {
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["VIGIL_CONFORMANCE_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        // Tests/PromQLTests/SharedConformance.swift → the repository root, then its sibling `shared`.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/conformance")
    }

    /// The folder `name` inside the conformance data, or nil (a failure under `CI=true`, a visible skip elsewhere).
    static func folder(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        let url = directory.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("conformance data missing at \(url.path)", sourceLocation: sourceLocation)
        } else {
            print("SKIPPED: conformance data missing at \(url.path); set VIGIL_CONFORMANCE_DIR")
        }
        return nil
    }
}
