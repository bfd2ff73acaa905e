import Foundation
import TSDB

/// RuntimeStatus is what `/status` shows: build and runtime facts, the storage, the last reload and the Alertmanagers.
///
/// Plain values copied from `ServerState` and the store, so tests can render any state.
public struct RuntimeStatus: Sendable {
    public var version: String
    public var startTime: Date
    public var workingDirectory: String
    public var configFile: String
    public var storagePath: String
    public var retentionTime: String
    public var retentionSize: String
    public var bytesOnDisk: Int64
    public var series: Int
    public var reloadSuccess: Bool
    public var lastSuccessfulReload: Date
    public var lastReloadAttempt: Date?
    public var lastReloadError: String?
    /// Where alerts are posted (`…/api/v2/alerts`).
    public var alertmanagers: [String]
    public var residentBytes: Int64?

    public init(version: String, startTime: Date, workingDirectory: String, configFile: String, storagePath: String,
                retentionTime: String, retentionSize: String, bytesOnDisk: Int64, series: Int, reloadSuccess: Bool,
                lastSuccessfulReload: Date, lastReloadAttempt: Date? = nil, lastReloadError: String? = nil,
                alertmanagers: [String], residentBytes: Int64? = nil) {
        self.version = version
        self.startTime = startTime
        self.workingDirectory = workingDirectory
        self.configFile = configFile
        self.storagePath = storagePath
        self.retentionTime = retentionTime
        self.retentionSize = retentionSize
        self.bytesOnDisk = bytesOnDisk
        self.series = series
        self.reloadSuccess = reloadSuccess
        self.lastSuccessfulReload = lastSuccessfulReload
        self.lastReloadAttempt = lastReloadAttempt
        self.lastReloadError = lastReloadError
        self.alertmanagers = alertmanagers
        self.residentBytes = residentBytes
    }

    /// The Swift compiler that built this binary, which stands where Prometheus shows its Go version.
    public static var swiftVersion: String {
        #if compiler(>=6.4)
        "Swift 6.4 or later"
        #elseif compiler(>=6.3)
        "Swift 6.3"
        #elseif compiler(>=6.2)
        "Swift 6.2"
        #elseif compiler(>=6.1)
        "Swift 6.1"
        #else
        "Swift 6.0"
        #endif
    }

    /// This process's resident memory from `/proc/self/statm`; nil where that file does not exist.
    public static func currentResidentBytes() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: Int64(sysconf(Int32(_SC_PAGESIZE))))
        return overflow ? nil : bytes
    }

    /// The Alertmanager's web address for an alerts endpoint: the URL without its `/api/v1|v2/alerts` path.
    public static func alertmanagerWebURL(_ alertsEndpoint: String) -> String {
        for suffix in ["/api/v2/alerts", "/api/v1/alerts"] where alertsEndpoint.hasSuffix(suffix) {
            return String(alertsEndpoint.dropLast(suffix.count))
        }
        return alertsEndpoint
    }
}

/// StatusPage renders `/status`: runtime and build information, storage, reloads and Alertmanagers.
public enum StatusPage {
    public static func render(_ status: RuntimeStatus, now: Date) -> String {
        func row(_ name: String, _ valueHTML: String) -> String { "<dt>\(HTML.escape(name))</dt><dd>\(valueHTML)</dd>" }
        func text(_ value: String) -> String { value.isEmpty ? "<span class=\"muted\">—</span>" : HTML.escape(value) }
        let iso = ISO8601DateFormatter()

        var runtime = row("Uptime", HTML.escape(HTML.span(max(0, now.timeIntervalSince(status.startTime)))))
        runtime += row("Start time", "<time datetime=\"\(iso.string(from: status.startTime))\">\(iso.string(from: status.startTime))</time>")
        runtime += row("Working directory", "<code>\(text(status.workingDirectory))</code>")
        runtime += row("Configuration file", "<code>\(text(status.configFile))</code>")
        let reload = status.reloadSuccess ? HTML.badge("successful", kind: "ok") : HTML.badge("failed", kind: "err")
        var reloadDetail = reload
        if let attempt = status.lastReloadAttempt { reloadDetail += " <span class=\"muted small\">\(HTML.escape(HTML.relative(attempt, now: now)))</span>" }
        if let error = status.lastReloadError { reloadDetail += "<div class=\"error small\">\(HTML.escape(error))</div>" }
        runtime += row("Configuration reload", reloadDetail)
        runtime += row("Last successful configuration reload",
                       "\(iso.string(from: status.lastSuccessfulReload)) <span class=\"muted small\">(\(HTML.escape(HTML.relative(status.lastSuccessfulReload, now: now))))</span>")
        runtime += row("Processors", "\(ProcessInfo.processInfo.activeProcessorCount)")
        if let resident = status.residentBytes { runtime += row("Resident memory", HTML.escape(bytes(resident))) }

        var storage = row("Storage path", "<code>\(text(status.storagePath))</code>")
        storage += row("Retention time", text(status.retentionTime))
        storage += row("Retention size", text(status.retentionSize == "0B" ? "" : status.retentionSize))
        storage += row("Size on disk", HTML.escape(bytes(status.bytesOnDisk)))
        storage += row("Series", "\(status.series) <a class=\"small\" href=\"/tsdb-status\">TSDB status</a>")

        var build = row("Version", HTML.escape(status.version))
        build += row("Compiler", HTML.escape(RuntimeStatus.swiftVersion))
        build += row("Operating system", HTML.escape(ProcessInfo.processInfo.operatingSystemVersionString))

        var body = "<div class=\"cards2\">"
        body += "<section class=\"card\"><header><h2>Runtime information</h2></header><dl class=\"kv\">\(runtime)</dl></section>\n"
        body += "<div><section class=\"card\"><header><h2>Storage</h2></header><dl class=\"kv\">\(storage)</dl></section>\n"
        body += "<section class=\"card\"><header><h2>Build information</h2></header><dl class=\"kv\">\(build)</dl></section></div></div>\n"
        body += "<section class=\"card\"><header><h2>Alertmanagers</h2><span class=\"meta\">\(status.alertmanagers.count) in use</span></header>"
        if status.alertmanagers.isEmpty {
            body += "<div class=\"empty\">No Alertmanagers are configured; alerts are evaluated but not sent.</div>"
        } else {
            body += "<div class=\"scroll\"><table><thead><tr><th>Endpoint</th><th>Web UI</th></tr></thead><tbody>"
            for endpoint in status.alertmanagers {
                let web = RuntimeStatus.alertmanagerWebURL(endpoint)
                body += "<tr><td class=\"wrap\"><code>\(HTML.escape(endpoint))</code></td><td><a href=\"\(HTML.escape(web))\">\(HTML.escape(web))</a></td></tr>"
            }
            body += "</tbody></table></div>"
        }
        body += "</section>\n"
        return PageLayout.render(title: "Runtime & build information", activePath: "/status", body: body)
    }

    /// Bytes in binary units with one decimal: "512 B", "3.4 MiB".
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}

/// FlagsPage renders `/flags`: every command-line flag and its value, with the search box.
public enum FlagsPage {
    public static func render(flags: [String: String], search: LabelSearch = LabelSearch(nil)) -> String {
        var body = LabelSearch.form(action: "/flags", search: search, placeholder: "Filter by flag name or value")
        var visible = 0
        body += "<section class=\"card\" data-filter-group><div class=\"scroll\"><table><thead><tr><th>Flag</th><th>Value</th></tr></thead><tbody>\n"
        for (name, value) in flags.sorted(by: { $0.key < $1.key }) {
            let text = LabelSearch.searchText([name, value])
            let shown = search.matches(text)
            if shown { visible += 1 }
            body += "<tr data-filter-item data-search=\"\(HTML.escape(text))\"\(shown ? "" : " hidden")><td><code>--\(HTML.escape(name))</code></td>"
            body += "<td class=\"wrap\">\(value.isEmpty ? "<span class=\"muted\">—</span>" : "<code>\(HTML.escape(value))</code>")</td></tr>\n"
        }
        body += "</tbody></table></div></section>\n"
        body += "<div class=\"card empty\" data-filter-empty\(visible == 0 ? "" : " hidden")>No flag matches this search.</div>\n"
        return PageLayout.render(title: "Command-line flags", activePath: "/flags", scripts: [LabelSearch.scriptPath], body: body)
    }
}

/// ConfigPage renders `/config`: the loaded configuration file with its secrets shown as `<secret>`.
public enum ConfigPage {
    /// `yaml` must already be redacted (`SecretRedaction`); the page only escapes it.
    public static func render(yaml: String, lastLoaded: Date, now: Date) -> String {
        var body = "<section class=\"card\"><header><h2>prometheus.yml</h2>"
        body += "<span class=\"meta\">loaded \(HTML.escape(HTML.relative(lastLoaded, now: now))) · secrets shown as &lt;secret&gt;</span></header>\n"
        let shown = yaml.isEmpty ? "# the configuration file is empty\n" : yaml
        body += "<pre class=\"config\"><code>\(HTML.escape(shown))</code></pre></section>\n"
        return PageLayout.render(title: "Configuration", activePath: "/config", body: body)
    }
}
