import Foundation

/// Flag defaults that an environment variable may override, e.g. `--model.path` from `VIGIL_MODEL_PATH`.
enum Env {
    /// One `getenv` per flag: `ProcessInfo.environment` copies the whole environment into a dictionary on every
    /// call, which with ~40 flags was 7 % of `serve`'s start-up.
    static func value(_ flag: String, default fallback: String) -> String {
        guard let name = variableName(flag).cString(using: .utf8), let value = getenv(name) else { return fallback }
        return String(cString: value)
    }

    /// `model.path` → `VIGIL_MODEL_PATH`.
    static func variableName(_ flag: String) -> String {
        "VIGIL_" + flag.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}
