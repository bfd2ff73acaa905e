import Foundation
import Model
import TSDB

/// GraphPanelOptions is one query panel of `/graph`, read from and written to Prometheus's `g<N>.…` URL parameters.
///
/// The parameter names and formats are Prometheus 2.42's, so alert `generatorURL` links and links copied from a
/// Prometheus server open the same view: `expr`, `tab` (0 graph, 1 table), `range_input` (a duration such as `7d`),
/// `end_input` and `moment_input` (`YYYY-MM-DD HH:mm:ss` in UTC), `step_input` (seconds) and `stacked` (0 or 1).
public struct GraphPanelOptions: Sendable, Equatable {
    /// Tab is the panel's view; the raw values are Prometheus's `g<N>.tab` numbers.
    public enum Tab: Int, Sendable {
        case graph = 0
        case table = 1
    }

    public var expr: String = ""
    public var tab: Tab = .table
    /// The graph's range in milliseconds.
    public var range: Int64 = 3_600_000
    /// The graph's end in milliseconds; nil means now.
    public var end: Timestamp?
    /// The table's evaluation time in milliseconds; nil means now.
    public var moment: Timestamp?
    /// The graph's resolution in milliseconds; nil picks one from the range.
    public var step: Int64?
    public var stacked = false
    /// Parameters that could not be read, each as `g0.range_input: …`; the panel uses its default for them.
    public var problems: [String] = []

    public init(expr: String = "", tab: Tab = .table) {
        self.expr = expr
        self.tab = tab
    }

    /// The most panels one page shows, so a crafted URL cannot make the server evaluate hundreds of queries.
    public static let maxPanels = 16

    /// The panels in `query`, in index order; one empty panel when there are none.
    ///
    /// Indexes need not be contiguous (`g0`, `g3`), as Prometheus accepts; only the first `maxPanels` are kept.
    static func panels(from query: FormQuery) -> [GraphPanelOptions] {
        var indexes = Set<Int>()
        for key in query.keys where key.hasPrefix("g") {
            guard let dot = key.firstIndex(of: ".") else { continue }
            let digits = key[key.index(after: key.startIndex)..<dot]
            guard (1...4).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), let index = Int(digits) else { continue }
            indexes.insert(index)
        }
        let panels = indexes.sorted().prefix(maxPanels).map { GraphPanelOptions(query: query, index: $0) }
        return panels.isEmpty ? [GraphPanelOptions()] : Array(panels)
    }

    /// Reads panel `index` from `query`.
    init(query: FormQuery, index: Int) {
        let prefix = "g\(index)."
        func value(_ name: String) -> String? {
            guard let text = query[prefix + name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        expr = query[prefix + "expr"] ?? ""
        tab = value("tab") == "0" ? .graph : .table
        if let text = value("range_input") {
            if let parsed = try? PrometheusDuration(parsing: text), parsed.milliseconds >= 1000 {
                range = parsed.milliseconds
            } else {
                problems.append("\(prefix)range_input: \"\(text)\" is not a duration of 1s or more, such as 1h or 7d")
            }
        }
        for (name, keyPath) in [("end_input", \GraphPanelOptions.end), ("moment_input", \GraphPanelOptions.moment)] {
            guard let text = value(name) else { continue }
            if let time = Self.parseTime(text) {
                self[keyPath: keyPath] = time
            } else {
                problems.append("\(prefix)\(name): \"\(text)\" is not a time such as 2024-01-31 12:00:00 (UTC)")
            }
        }
        if let text = value("step_input") {
            if let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 1e9 {
                step = max(1, Int64((seconds * 1000).rounded()))
            } else if let parsed = try? PrometheusDuration(parsing: text), parsed.milliseconds > 0 {
                step = parsed.milliseconds
            } else {
                problems.append("\(prefix)step_input: \"\(text)\" is not a positive number of seconds")
            }
        }
        stacked = value("stacked") == "1"
    }

    /// The step the graph uses: the one asked for, or about 250 points over the range at 1 s or more, as Prometheus picks.
    public var effectiveStep: Int64 { step ?? Self.automaticStep(range: range) }

    /// About 250 points over `range`, in whole seconds of at least 1 s (milliseconds in and out).
    public static func automaticStep(range: Int64) -> Int64 { max(1, range / 250_000) * 1000 }

    /// The `g<index>.…` query items for this panel, in Prometheus's order and formats; defaults are left out.
    func queryItems(index: Int) -> [(String, String)] {
        let prefix = "g\(index)."
        var items = [(prefix + "expr", expr), (prefix + "tab", String(tab.rawValue))]
        if stacked { items.append((prefix + "stacked", "1")) }
        items.append((prefix + "range_input", PrometheusDuration(milliseconds: range).description))
        if let end { items.append((prefix + "end_input", Self.formatTime(end))) }
        if let moment { items.append((prefix + "moment_input", Self.formatTime(moment))) }
        if let step { items.append((prefix + "step_input", Self.formatSeconds(step))) }
        return items
    }

    /// The `/graph` URL showing `panels`.
    static func url(_ panels: [GraphPanelOptions]) -> String {
        let items = panels.enumerated().flatMap { $0.element.queryItems(index: $0.offset) }
        return "/graph?" + items.map { "\($0.0)=\(HTML.queryValue($0.1))" }.joined(separator: "&")
    }

    /// Seconds for `step_input`: whole numbers without a fraction, as Prometheus writes them.
    static func formatSeconds(_ milliseconds: Int64) -> String {
        milliseconds % 1000 == 0 ? String(milliseconds / 1000) : String(Double(milliseconds) / 1000)
    }

    /// A time as Prometheus's URL writes it, `YYYY-MM-DD HH:mm:ss` in UTC.
    static func formatTime(_ time: Timestamp) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(time) / 1000))
    }

    /// Reads `YYYY-MM-DD HH:mm[:ss]` (a space or `T` between, as an HTML `datetime-local` input sends it) in UTC,
    /// RFC 3339 with a zone, or Unix seconds.
    static func parseTime(_ text: String) -> Timestamp? {
        if let seconds = Double(text), seconds.isFinite, abs(seconds) < 1e11 {
            return Timestamp((seconds * 1000).rounded())
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm",
                       "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                let ms = (date.timeIntervalSince1970 * 1000).rounded()
                return abs(ms) < 1e14 ? Timestamp(ms) : nil
            }
        }
        return nil
    }
}
