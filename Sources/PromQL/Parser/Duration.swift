import Model

/// parseDuration parses a Prometheus duration such as `1h30m`, `5m`, `1d`, `2w`, `1y` or `500ms`
/// into milliseconds, through Model's `PrometheusDuration`, the one parser all of Vigil uses.
///
/// PromQL itself additionally rejects zero ranges, steps and offsets, which the parser checks
/// separately. Errors carry Prometheus's messages (`not a valid duration string: "5m1h"`) and the
/// whole text as their position.
public func parseDuration(_ text: String) throws(PromQLParseError) -> Int64 {
    do {
        return try PrometheusDuration(parsing: text).milliseconds
    } catch {
        throw PromQLParseError(
            code: .invalidValue, message: error.description,
            positionRange: PositionRange(start: 0, end: text.utf8.count), in: text)
    }
}

/// formatDuration renders milliseconds the way Prometheus prints durations: `1h30m`, `2w`, `1s500ms`.
///
/// Years and weeks are used only when they divide the duration exactly, so 90 days print as
/// `90d` rather than `12w6d`. Zero prints as `0s`; negative values get a leading `-`.
public func formatDuration(_ milliseconds: Int64) -> String {
    PrometheusDuration(milliseconds: milliseconds).description
}
