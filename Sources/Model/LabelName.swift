/// LabelName holds Prometheus's rules for label and metric names, the one copy every module checks names with.
///
/// Label names are `[a-zA-Z_][a-zA-Z0-9_]*`; metric names may also contain colons, which are reserved for recording
/// rules' `level:metric:operations` names. Both are checked on UTF-8 bytes, so no Unicode letter passes.
public enum LabelName {
    /// Whether `name` is a valid label name.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, !isDigit(first) else { return false }
        return name.utf8.allSatisfy(isWordByte)
    }

    /// Whether `name` is a valid metric name.
    public static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !isDigit(first) else { return false }
        return name.utf8.allSatisfy { isWordByte($0) || $0 == UInt8(ascii: ":") }
    }

    /// Whether the byte may appear in a label name: an ASCII letter, digit or underscore.
    @inline(__always) public static func isWordByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
    }

    @inline(__always) public static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
