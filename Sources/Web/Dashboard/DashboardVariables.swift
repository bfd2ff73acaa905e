import Foundation
import Model
import PromQL
import TSDB

/// DashboardTimeRange is the window a dashboard shows, from Grafana's `from`/`to` URL parameters or the file's `time`.
///
/// Both ends take Grafana's forms: `now`, `now-6h`, epoch milliseconds, or a date such as `2024-01-31 12:00:00` (UTC).
struct DashboardTimeRange: Sendable, Equatable {
    var start: Timestamp
    var end: Timestamp
    /// The text of each end, for links and the form (`now-1h`, or milliseconds).
    var from: String
    var to: String
    /// Ends that could not be read, naming the parameter; the dashboard's default is used instead.
    var problems: [String] = []

    /// Whether `to` is `now`, so auto-refresh slides the window.
    var isRelative: Bool { to == "now" }
    var range: Int64 { end - start }

    /// Resolves the URL's `from` and `to` (or the older `range=1h`) against `now`, falling back to `fallback`.
    static func resolve(from: String?, to: String?, range: String?, fallback: GrafanaDashboard.TimeRange?, now: Timestamp) -> DashboardTimeRange {
        var problems: [String] = []
        let defaultFrom = fallback?.from ?? "now-1h", defaultTo = fallback?.to ?? "now"
        var fromText = from ?? range.map { "now-\($0)" } ?? defaultFrom
        var toText = to ?? defaultTo
        var start = parse(fromText, now: now), end = parse(toText, now: now)
        if start == nil {
            problems.append("from: \"\(fromText)\" is not now, now-<duration>, epoch milliseconds or a date")
            fromText = defaultFrom
            start = parse(defaultFrom, now: now) ?? now - 3_600_000
        }
        if end == nil {
            problems.append("to: \"\(toText)\" is not now, now-<duration>, epoch milliseconds or a date")
            toText = defaultTo
            end = parse(defaultTo, now: now) ?? now
        }
        var window = DashboardTimeRange(start: start ?? now - 3_600_000, end: end ?? now, from: fromText, to: toText, problems: problems)
        if window.end - window.start < 1000 {
            window.problems.append("from must be at least a second before to")
            window.start = window.end - 3_600_000
            window.from = String(window.start)
        }
        return window
    }

    /// One end: `now`, `now-<duration>`, epoch milliseconds, or a date (UTC); nil when unreadable.
    static func parse(_ text: String, now: Timestamp) -> Timestamp? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "now" { return now }
        if text.hasPrefix("now-"), let duration = try? PrometheusDuration(parsing: String(text.dropFirst(4))) {
            return now - duration.milliseconds
        }
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), text.utf8.count <= 15 {
            return Timestamp(text)
        }
        return text.contains("-") ? GraphPanelOptions.parseTime(text) : nil
    }

    /// The step panels use: about 240 points over the range, in whole seconds of at least 1 s (milliseconds).
    var step: Int64 { max(1, (range + 120_000) / 240_000) * 1000 }
}

/// DashboardVariable is one Grafana template variable with the options it offers now and the values chosen.
struct DashboardVariable: Sendable, Equatable {
    var name: String
    var label: String
    var type: String
    /// The choices as (text, value).
    var options: [Option]
    /// The chosen values; `["$__all"]` means All.
    var selected: [String]
    var multi: Bool
    var includeAll: Bool
    var allValue: String?
    var hidden: Bool
    /// Why the options could not be listed, naming the variable.
    var error: String?
    /// What an interval variable's `auto` choice stands for over the current range.
    var autoValue: String?

    struct Option: Sendable, Equatable {
        var text: String
        var value: String
    }

    /// Grafana's value for "All".
    static let all = "$__all"

    var isAll: Bool { selected == [Self.all] }

    /// The values the chosen options stand for: every option's for All.
    var values: [String] {
        (isAll ? options.map(\.value) : selected).map { $0 == "auto" ? autoValue ?? $0 : $0 }
    }
}

/// DashboardVariables resolves a dashboard's template variables and substitutes them into panel queries.
enum DashboardVariables {
    /// Lists each variable's options (label values from `querier` over `window` for query variables) and picks the
    /// values from the URL's `var-<name>` parameters, else the file's saved selection, else the first option.
    static func resolve(_ dashboard: GrafanaDashboard, query: FormQuery, window: DashboardTimeRange, querier: any Querier) async -> [DashboardVariable] {
        var resolved: [DashboardVariable] = []
        for variable in dashboard.templating?.list ?? [] where !["datasource", "adhoc"].contains(variable.type) {
            var out = DashboardVariable(name: variable.name, label: variable.label ?? variable.name, type: variable.type, options: [],
                                        selected: [], multi: variable.multi ?? false, includeAll: variable.includeAll ?? false,
                                        allValue: variable.allValue, hidden: (variable.hide ?? 0) == 2 || variable.type == "constant", error: nil)
            let text = variable.query ?? ""
            switch variable.type {
            case "query":
                do {
                    let values = try await labelValues(substitute(text, variables: resolved, builtins: builtins(window)), window: window, querier: querier)
                    out.options = values.map { .init(text: $0, value: $0) }
                } catch {
                    out.error = "variable \(variable.name): \(error.message)"
                }
            case "custom":
                out.options = splitList(text).map { item in
                    let parts = item.components(separatedBy: " : ")
                    return parts.count == 2 ? .init(text: parts[0], value: parts[1]) : .init(text: item, value: item)
                }
            case "interval":
                out.options = splitList(text).map { .init(text: $0, value: $0) }
                if variable.auto == true {
                    let count = Int64(max(1, min(variable.autoCount ?? 30, 10_000)))
                    let minimum = (try? PrometheusDuration(parsing: variable.autoMin ?? "10s"))?.milliseconds ?? 10_000
                    out.autoValue = PrometheusDuration(milliseconds: max(minimum, max(1000, window.range / count) / 1000 * 1000)).description
                    out.options.insert(.init(text: "auto", value: "auto"), at: 0)
                }
            case "constant", "textbox":
                out.options = [.init(text: text, value: text)]
            default:
                out.error = "variable \(variable.name): type \"\(variable.type)\" is not supported (query, custom, interval, constant and textbox are)"
            }
            let fromURL = query.values("var-\(variable.name)")
            let saved = variable.current?.values ?? []
            if !fromURL.isEmpty {
                out.selected = fromURL.contains(DashboardVariable.all) ? [DashboardVariable.all] : fromURL
            } else if saved == [DashboardVariable.all] || saved == ["All"], out.includeAll {
                out.selected = [DashboardVariable.all]
            } else if !saved.isEmpty, variable.type == "textbox" || saved.allSatisfy({ value in out.options.contains { $0.value == value || $0.text == value } }) {
                out.selected = saved
            } else if out.includeAll {
                out.selected = [DashboardVariable.all]
            } else {
                out.selected = out.options.first.map { [$0.value] } ?? []
            }
            if !out.multi, out.selected.count > 1 { out.selected = [out.selected[0]] }
            resolved.append(out)
        }
        return resolved
    }

    /// Grafana's built-in variables for a window: `$__interval` (the step), `$__rate_interval`, `$__range` and their
    /// `_ms`/`_s` forms. `$__rate_interval` is at least four 15 s scrape intervals, as Grafana's default.
    static func builtins(_ window: DashboardTimeRange) -> [String: String] {
        let step = window.step
        let rate = max(step + 15_000, 60_000)
        return [
            "__interval": PrometheusDuration(milliseconds: step).description, "__interval_ms": String(step),
            "__rate_interval": PrometheusDuration(milliseconds: rate).description,
            "__range": "\(window.range / 1000)s", "__range_s": String(window.range / 1000), "__range_ms": String(window.range),
        ]
    }

    /// Replaces `$var`, `${var}`, `${var:format}` and `[[var]]` in `text`; unknown names are left as they are.
    ///
    /// One value is inserted as it is; several (multi-value or All) become `(a|b)` with regex metacharacters escaped,
    /// as Grafana does for Prometheus, or `a|b` (`:pipe`), `a,b` (`:csv`, `:raw`). All with an `allValue` inserts that.
    static func substitute(_ text: String, variables: [DashboardVariable], builtins: [String: String]) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func isWord(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic && c.isASCII || ("0"..."9").contains(c) || c == "_" }
        func replacement(_ name: String, format: String?) -> String? {
            if let value = builtins[name] { return value }
            guard let variable = variables.first(where: { $0.name == name }) else { return nil }
            if variable.isAll, let allValue = variable.allValue { return allValue }
            let values = variable.values
            switch format {
            case "pipe": return values.joined(separator: "|")
            case "csv", "raw": return values.joined(separator: ",")
            case "regex": return values.count == 1 ? escapeRegex(values[0]) : "(" + values.map(escapeRegex).joined(separator: "|") + ")"
            default: return values.count == 1 && !variable.isAll ? values[0] : "(" + values.map(escapeRegex).joined(separator: "|") + ")"
            }
        }
        while i < scalars.count {
            let c = scalars[i]
            if c == "$", i + 1 < scalars.count, scalars[i + 1] == "{", let close = scalars[(i + 2)...].firstIndex(of: "}") {
                let inner = String(String.UnicodeScalarView(scalars[(i + 2)..<close]))
                let parts = inner.split(separator: ":", maxSplits: 1).map(String.init)
                if let name = parts.first, let value = replacement(name, format: parts.count > 1 ? parts[1] : nil) {
                    out.append(contentsOf: value.unicodeScalars)
                    i = close + 1
                    continue
                }
            } else if c == "$" {
                var j = i + 1
                while j < scalars.count, isWord(scalars[j]) { j += 1 }
                if j > i + 1, let value = replacement(String(String.UnicodeScalarView(scalars[(i + 1)..<j])), format: nil) {
                    out.append(contentsOf: value.unicodeScalars)
                    i = j
                    continue
                }
            } else if c == "[", i + 1 < scalars.count, scalars[i + 1] == "[" {
                var j = i + 2
                while j < scalars.count, isWord(scalars[j]) || scalars[j] == ":" { j += 1 }
                if j + 1 < scalars.count, scalars[j] == "]", scalars[j + 1] == "]" {
                    let parts = String(String.UnicodeScalarView(scalars[(i + 2)..<j])).split(separator: ":", maxSplits: 1).map(String.init)
                    if let name = parts.first, let value = replacement(name, format: parts.count > 1 ? parts[1] : nil) {
                        out.append(contentsOf: value.unicodeScalars)
                        i = j + 2
                        continue
                    }
                }
            }
            out.append(c)
            i += 1
        }
        return String(out)
    }

    /// Escapes RE2 metacharacters, so a value such as `/predict` or `a.b` matches only itself inside `=~`.
    static func escapeRegex(_ value: String) -> String {
        var out = ""
        for c in value {
            if "\\.+*?()|[]{}^$".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Splits a custom or interval variable's comma-separated options; `\,` keeps a comma in a value.
    static func splitList(_ text: String) -> [String] {
        var items: [String] = [], current = "", escaped = false
        for c in text {
            if escaped { current.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "," {
                items.append(current)
                current = ""
            } else { current.append(c) }
        }
        items.append(current)
        return items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// VariableError says why a query variable's options could not be listed.
    struct VariableError: Error {
        var message: String
    }

    /// Runs Grafana's `label_values(label)` or `label_values(selector, label)` against the store.
    static func labelValues(_ query: String, window: DashboardTimeRange, querier: any Querier) async throws(VariableError) -> [String] {
        let text = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("label_values("), text.hasSuffix(")") else {
            throw VariableError(message: "query \"\(text)\" is not supported; use label_values(label) or label_values(metric{…}, label)")
        }
        let inner = text.dropFirst("label_values(".count).dropLast()
        // The label is after the last comma outside braces and quotes.
        var depth = 0, quoted = false, split: String.Index?
        var index = inner.startIndex
        while index < inner.endIndex {
            let c = inner[index]
            if quoted {
                if c == "\\" { index = inner.index(after: index) } else if c == "\"" { quoted = false }
            } else if c == "\"" { quoted = true } else if c == "{" || c == "(" { depth += 1 } else if c == "}" || c == ")" { depth -= 1 } else if c == ",", depth == 0 { split = index }
            if index < inner.endIndex { index = inner.index(after: index) }
        }
        let label = String(split.map { inner[inner.index(after: $0)...] } ?? inner[...]).trimmingCharacters(in: .whitespaces)
        guard !label.isEmpty, label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw VariableError(message: "\"\(label)\" in \(text) is not a label name")
        }
        var matchers: [Matcher] = []
        if let split {
            let selector = String(inner[..<split]).trimmingCharacters(in: .whitespaces)
            let parsed: Expr
            do { parsed = try parseExpr(selector) } catch {
                throw VariableError(message: "\(text): \(error.line):\(error.column): \(error.message)")
            }
            guard case .vectorSelector(let vector) = parsed else {
                throw VariableError(message: "\(text): \"\(selector)\" is not a series selector")
            }
            matchers = vector.matchers
        }
        do {
            return try await querier.labelValues(label, matching: matchers, mint: window.start, maxt: window.end)
        } catch {
            throw VariableError(message: "\(text): \(error)")
        }
    }
}
