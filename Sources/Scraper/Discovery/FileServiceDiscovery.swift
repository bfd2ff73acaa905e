import Config
import Foundation
import Model

/// FileDiscoverySnapshot is what one file_sd config found at one moment.
public struct FileDiscoverySnapshot: Sendable, Hashable {
    /// Each matched file's target groups, labeled with `__meta_filepath`.
    public var groupsByFile: [String: [TargetGroup]]
    /// The modification time of every matched file; compare with `FileServiceDiscovery.modificationTimes` to see
    /// whether anything changed before re-reading.
    public var modificationTimes: [String: Date]
    /// Files that could not be read or parsed this time.
    public var errors: [ConfigError]

    public init(groupsByFile: [String: [TargetGroup]] = [:], modificationTimes: [String: Date] = [:], errors: [ConfigError] = []) {
        self.groupsByFile = groupsByFile
        self.modificationTimes = modificationTimes
        self.errors = errors
    }

    /// All groups, files in path order.
    public var groups: [TargetGroup] {
        groupsByFile.keys.sorted().flatMap { groupsByFile[$0]! }
    }
}

/// FileServiceDiscovery reads file_sd files; the scrape manager calls it every refresh interval or on change.
public enum FileServiceDiscovery {
    /// The label every target from a file carries, naming the file.
    public static let filepathLabel = "__meta_filepath"

    /// The files the patterns match now, with their modification times; cheap enough to poll.
    public static func modificationTimes(_ config: FileSDConfig) -> [String: Date] {
        var times: [String: Date] = [:]
        for pattern in config.files {
            for path in expand(pattern) {
                let attributes = try? FileManager.default.attributesOfItem(atPath: path)
                times[path] = attributes?[.modificationDate] as? Date ?? Date(timeIntervalSince1970: 0)
            }
        }
        return times
    }

    /// Reads every matched file.
    ///
    /// A file that cannot be read or parsed keeps the groups it had in `previous`, as Prometheus keeps the last
    /// good read, so a half-written file does not make its targets vanish; its error is reported in `errors`.
    public static func discover(_ config: FileSDConfig, previous: FileDiscoverySnapshot? = nil) -> FileDiscoverySnapshot {
        var snapshot = FileDiscoverySnapshot(modificationTimes: modificationTimes(config))
        for path in snapshot.modificationTimes.keys.sorted() {
            do {
                snapshot.groupsByFile[path] = try readTargetGroups(file: path)
            } catch {
                snapshot.errors.append(error)
                if let old = previous?.groupsByFile[path] { snapshot.groupsByFile[path] = old }
            }
        }
        return snapshot
    }

    /// One file's target groups, parsed as JSON or YAML by its extension.
    public static func readTargetGroups(file path: String) throws(ConfigError) -> [TargetGroup] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(code: .io, file: path, message: "cannot read file: \(error.localizedDescription)")
        }
        return try parseTargetGroups(text, file: path)
    }

    /// Parses file_sd content; `file` decides the format and becomes `__meta_filepath` and the groups' source.
    public static func parseTargetGroups(_ text: String, file: String) throws(ConfigError) -> [TargetGroup] {
        var groups: [TargetGroup]
        let lowercased = file.lowercased()
        if lowercased.hasSuffix(".json") {
            groups = try parseJSON(text, file: file)
        } else if lowercased.hasSuffix(".yml") || lowercased.hasSuffix(".yaml") {
            groups = try YAMLDocument(yaml: text, file: file).decode([TargetGroup].self, empty: [])
        } else {
            throw ConfigError(code: .io, file: file, message: "retrieval not supported for file \"\(file)\"")
        }
        for index in groups.indices {
            groups[index].source = "\(file):\(index)"
            groups[index].labels[filepathLabel] = file
        }
        return groups
    }

    private static func parseJSON(_ text: String, file: String) throws(ConfigError) -> [TargetGroup] {
        let decoded: [LenientTargetGroup?]
        do {
            decoded = try JSONDecoder().decode([LenientTargetGroup?].self, from: Data(text.utf8))
        } catch let DecodingError.dataCorrupted(context) {
            let cause = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw ConfigError(code: .syntax, file: file, message: "invalid JSON: \(cause ?? context.debugDescription)")
        } catch {
            throw ConfigError(code: .invalidValue, file: file, message: "invalid target groups: \(error)")
        }
        var groups: [TargetGroup] = []
        for (index, group) in decoded.enumerated() {
            guard let group else { throw ConfigError(code: .invalidValue, file: file, message: "nil target group item found") }
            let labels = group.labels ?? [:]
            if let bad = labels.keys.sorted().first(where: { !LabelName.isValid($0) }) {
                throw ConfigError(code: .invalidValue, file: file, message: "[\(index)].labels: \"\(bad)\" is not a valid label name")
            }
            groups.append(TargetGroup(targets: group.targets ?? [], labels: labels))
        }
        return groups
    }

    /// The existing files a pattern matches, sorted; `*`, `?` and `[…]` are wildcards (Go's `filepath.Glob`).
    static func expand(_ pattern: String) -> [String] {
        Glob.expand(pattern)
    }
}

/// A group read from a JSON file, where Prometheus ignores unknown fields.
private struct LenientTargetGroup: Decodable {
    var targets: [String]?
    var labels: [String: String]?
}
