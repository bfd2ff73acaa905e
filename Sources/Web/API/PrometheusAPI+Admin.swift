import Foundation
import Hummingbird
import TSDB

/// AdminAPI says whether `/api/v1/admin/*` is served (`--web.enable-admin-api`) and where snapshots go.
public struct AdminAPI: Sendable {
    public var enabled: Bool
    /// `<storage directory>/snapshots`: each snapshot is a directory in it holding a copy of the database file.
    public var snapshotDirectory: String
    /// The database's file name, which each snapshot directory repeats, so `--storage.path` points at the copy.
    public var databaseFileName: String

    public init(enabled: Bool, snapshotDirectory: String, databaseFileName: String) {
        self.enabled = enabled
        self.snapshotDirectory = snapshotDirectory
        self.databaseFileName = databaseFileName
    }

    /// The admin endpoints answer as Prometheus's do when the flag is off.
    public static let disabled = AdminAPI(enabled: false, snapshotDirectory: "", databaseFileName: "")

    /// A snapshot name as Prometheus makes them: the UTC time and 16 random hex digits.
    static func snapshotName(at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date) + "-" + String(format: "%016llx", UInt64.random(in: .min ... .max))
    }
}

extension PrometheusAPI {
    /// The admin endpoints, POST and PUT as in Prometheus; when disabled each answers 500 `unavailable`.
    func addAdminRoutes(to api: RouterGroup<BasicRequestContext>) {
        for method in [HTTPRequest.Method.post, .put] {
            api.on("admin/tsdb/snapshot", method: method) { _, _ in await admin { try await snapshot() } }
            api.on("admin/tsdb/delete_series", method: method) { request, _ in await admin { try await deleteSeries(request) } }
            api.on("admin/tsdb/clean_tombstones", method: method) { _, _ in await admin { try await cleanTombstones() } }
        }
    }

    private func admin(_ body: () async throws -> Response) async -> Response {
        // Prometheus 2.42 answers a disabled admin API with 500 and errorType "unavailable".
        guard adminAPI.enabled else {
            var error = APIError(.unavailable, "admin APIs disabled")
            error.statusOverride = .internalServerError
            return error.response
        }
        return await respond(body)
    }

    func snapshot() async throws -> Response {
        let name = AdminAPI.snapshotName()
        let directory = URL(fileURLWithPath: adminAPI.snapshotDirectory).appendingPathComponent(name)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw APIError(.internal, "create snapshot directory: \(error.localizedDescription)")
        }
        do {
            try await store.snapshot(to: directory.appendingPathComponent(adminAPI.databaseFileName).path)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw APIError(.internal, "create snapshot: \(error)")
        }
        return successResponse { json in json.object { json in json.key("name"); json.string(name) } }
    }

    func deleteSeries(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let sets = try parameters.matcherSets(required: true)
        func bound(_ name: String, _ fallback: Timestamp) throws -> Timestamp {
            guard let text = parameters[name], !text.isEmpty else { return fallback }
            guard let t = APIParameters.parseTime(text) else {
                throw APIError(.badData, "invalid parameter \"\(name)\": Invalid time value for '\(name)': cannot parse \"\(text)\" to a valid timestamp")
            }
            return t
        }
        let start = try bound("start", .min)
        let end = try bound("end", .max)
        for matchers in sets {
            do {
                try await store.deleteSeries(matching: matchers, mint: start, maxt: end)
            } catch {
                throw APIError(.internal, "delete series: \(error)")
            }
        }
        return Response(status: .noContent)
    }

    func cleanTombstones() async throws -> Response {
        do {
            try await store.cleanTombstones()
        } catch {
            throw APIError(.internal, "clean tombstones: \(error)")
        }
        return Response(status: .noContent)
    }
}
