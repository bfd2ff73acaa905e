/// Humanize holds Prometheus's number formatting functions for templates, with Go's `%.4g` rounding.
///
/// Inputs are seconds for the duration and timestamp functions and ratios for `humanizePercentage`; NaN and
/// infinities print as `NaN`, `+Inf` and `-Inf`, as Go prints them.
public enum Humanize {
    /// SI prefixes, base 1000: `humanize(1234567) == "1.235M"`, `humanize(0.12) == "120m"`.
    public static func humanize(_ value: Double) -> String {
        if value == 0 || value.isNaN || value.isInfinite { return g4(value) }
        var v = value
        var prefix = ""
        if abs(v) >= 1 {
            for next in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if abs(v) < 1000 { break }
                prefix = next
                v /= 1000
            }
        } else {
            for next in ["m", "u", "n", "p", "f", "a", "z", "y"] {
                if abs(v) >= 1 { break }
                prefix = next
                v *= 1000
            }
        }
        return g4(v) + prefix
    }

    /// IEC prefixes, base 1024: `humanize1024(1048576) == "1Mi"`; values up to 1 in magnitude print plainly.
    public static func humanize1024(_ value: Double) -> String {
        if abs(value) <= 1 || value.isNaN || value.isInfinite { return g4(value) }
        var v = value
        var prefix = ""
        for next in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
            if abs(v) < 1024 { break }
            prefix = next
            v /= 1024
        }
        return g4(v) + prefix
    }

    /// Seconds as days, hours, minutes and seconds: `humanizeDuration(3600) == "1h 0m 0s"`, `0.1` is `100ms`.
    ///
    /// From a minute up, seconds are truncated to whole seconds, as in Prometheus.
    public static func humanizeDuration(_ value: Double) -> String {
        if value.isNaN || value.isInfinite { return g4(value) }
        if value == 0 { return g4(value) + "s" }
        if abs(value) >= 1 {
            let sign = value < 0 ? "-" : ""
            let v = abs(value)
            let duration = goInt64(v)
            let seconds = duration % 60
            let minutes = (duration / 60) % 60
            let hours = (duration / 60 / 60) % 24
            let days = duration / 60 / 60 / 24
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
            return sign + g4(v) + "s"
        }
        var v = value
        var prefix = ""
        for next in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = next
            v *= 1000
        }
        return g4(v) + prefix + "s"
    }

    /// A ratio as a percentage: `humanizePercentage(0.1234) == "12.34%"`.
    public static func humanizePercentage(_ value: Double) -> String {
        g4(value * 100) + "%"
    }

    /// Seconds since the epoch as Go prints a UTC time: `2015-06-23 13:19:44.128 +0000 UTC`, at millisecond precision.
    public static func humanizeTimestamp(_ value: Double) throws(HumanizeError) -> String {
        if value.isNaN || value.isInfinite { return g4(value) }
        return GoFormat.timeString(nanoseconds: try timeNanoseconds(value))
    }

    /// HumanizeError is a timestamp too far from the epoch for nanoseconds in an Int64, as Go reports it.
    public struct HumanizeError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Seconds to nanoseconds truncated to milliseconds, as Prometheus's `model.TimeFromUnixNano` does.
    static func timeNanoseconds(_ value: Double) throws(HumanizeError) -> Int64 {
        let nanoseconds = value * 1e9
        if nanoseconds > 9.223372036854775807e18 || nanoseconds < -9.223372036854775808e18 {
            throw HumanizeError(
                description: "\(GoFormat.shortest(value)) cannot be represented as a nanoseconds timestamp since it overflows int64")
        }
        let whole = goInt64(nanoseconds)
        return whole / 1_000_000 * 1_000_000
    }

    /// Go's `%.4g`, which prints infinities as `+Inf` and `-Inf`.
    static func g4(_ value: Double) -> String {
        var flags = GoFormat.Flags()
        flags.precision = 4
        return GoFormat.format(.float(value), verb: "g", flags: flags)
    }

    /// Go's float-to-int64 conversion on amd64: out-of-range values become the minimum Int64 instead of trapping.
    static func goInt64(_ value: Double) -> Int64 {
        guard value.isFinite, value >= -9.223372036854775808e18, value < 9.223372036854775807e18 else { return .min }
        return Int64(value)
    }
}
