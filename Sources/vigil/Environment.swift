import Foundation

/// Flag defaults that an environment variable may override, e.g. `--model.path` from `VIGIL_MODEL_PATH`.
enum Env {
    static func value(_ flag: String, default fallback: String) -> String {
        ProcessInfo.processInfo.environment[variableName(flag)] ?? fallback
    }

    /// `model.path` → `VIGIL_MODEL_PATH`.
    static func variableName(_ flag: String) -> String {
        "VIGIL_" + flag.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}
