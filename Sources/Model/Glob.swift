import Foundation

/// Glob expands file patterns with the syntax of Go's `filepath.Glob`, which Prometheus uses for `rule_files` and
/// `file_sd_configs` files: the one implementation for both.
///
/// `*` matches any run of characters other than `/`, `?` one such character, `[a-z]` and `[^a-z]` a class, and
/// `\` escapes the next character. Matches come back sorted within each directory; unreadable directories match
/// nothing, as in Go.
public enum Glob {
    /// Whether the pattern has any of the characters that make it a pattern rather than a path.
    public static func hasMeta(_ pattern: String) -> Bool {
        pattern.contains { "*?[\\".contains($0) }
    }

    /// Whether the pattern is well formed: every `[` closed and no trailing `\`.
    public static func isValid(_ pattern: String) -> Bool {
        pattern.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            match(Array($0.unicodeScalars), Array("".unicodeScalars), checkOnly: true) != nil
        }
    }

    /// The existing paths the pattern matches, sorted per directory level.
    public static func expand(_ pattern: String) -> [String] {
        guard hasMeta(pattern) else { return FileManager.default.fileExists(atPath: pattern) ? [pattern] : [] }
        let (directory, file) = split(pattern)
        let directories = hasMeta(directory) && directory != pattern ? expand(directory) : [directory]
        var matches: [String] = []
        for directory in directories {
            let listing = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
            let filePattern = Array(file.unicodeScalars)
            for name in listing.sorted() where match(filePattern, Array(name.unicodeScalars)) == true {
                matches.append(join(directory, name))
            }
        }
        return matches
    }

    /// Splits after the last `/`, keeping a root `/` as the directory, like `filepath.Split` followed by `Clean`.
    private static func split(_ path: String) -> (directory: String, file: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        var directory = String(path[..<slash])
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Matches one path element against one pattern element; nil when the pattern is malformed.
    ///
    /// With `checkOnly`, the name is ignored and only the pattern's syntax is checked.
    public static func match(_ pattern: [Unicode.Scalar], _ name: [Unicode.Scalar], checkOnly: Bool = false) -> Bool? {
        if checkOnly {
            var index = 0
            while index < pattern.count {
                switch pattern[index] {
                case "\\":
                    guard index + 1 < pattern.count else { return nil }
                    index += 2
                case "[":
                    guard let (_, next) = matchClass(pattern, from: index, scalar: "a") else { return nil }
                    index = next
                default:
                    index += 1
                }
            }
            return true
        }
        return matchFrom(pattern, 0, name, 0)
    }

    private static func matchFrom(_ pattern: [Unicode.Scalar], _ p: Int, _ name: [Unicode.Scalar], _ n: Int) -> Bool? {
        var p = p, n = n
        while p < pattern.count {
            switch pattern[p] {
            case "*":
                // Try every split; `*` never crosses a path separator.
                var k = n
                while true {
                    if let result = matchFrom(pattern, p + 1, name, k), result { return true }
                    if k >= name.count || name[k] == "/" { break }
                    k += 1
                }
                // Still report malformed patterns after a failed star.
                return match(Array(pattern[(p + 1)...]), [], checkOnly: true) == nil ? nil : false
            case "?":
                guard n < name.count, name[n] != "/" else { return false }
                p += 1
                n += 1
            case "[":
                guard let (matched, next) = matchClass(pattern, from: p, scalar: n < name.count ? name[n] : nil) else { return nil }
                guard matched, n < name.count else { return false }
                p = next
                n += 1
            case "\\":
                guard p + 1 < pattern.count else { return nil }
                guard n < name.count, name[n] == pattern[p + 1] else { return false }
                p += 2
                n += 1
            default:
                guard n < name.count, name[n] == pattern[p] else { return false }
                p += 1
                n += 1
            }
        }
        return n == name.count
    }

    /// Matches `scalar` against the class starting at `pattern[start] == "["`; nil when the class is malformed.
    private static func matchClass(_ pattern: [Unicode.Scalar], from start: Int, scalar: Unicode.Scalar?) -> (Bool, Int)? {
        var index = start + 1
        var negated = false
        if index < pattern.count, pattern[index] == "^" {
            negated = true
            index += 1
        }
        var matched = false
        var first = true
        while true {
            guard index < pattern.count else { return nil }
            if pattern[index] == "]" && !first { break }
            first = false
            guard let (low, afterLow) = classChar(pattern, index) else { return nil }
            var high = low
            index = afterLow
            if index < pattern.count, pattern[index] == "-" {
                guard let (value, afterHigh) = classChar(pattern, index + 1) else { return nil }
                high = value
                index = afterHigh
            }
            if let scalar, low <= scalar, scalar <= high { matched = true }
        }
        if let scalar, scalar == "/" { return (false, index + 1) }
        return (matched != negated, index + 1)
    }

    private static func classChar(_ pattern: [Unicode.Scalar], _ index: Int) -> (Unicode.Scalar, Int)? {
        guard index < pattern.count else { return nil }
        let scalar = pattern[index]
        if scalar == "-" || scalar == "]" { return nil }
        if scalar == "\\" {
            guard index + 1 < pattern.count else { return nil }
            return (pattern[index + 1], index + 2)
        }
        return (scalar, index + 1)
    }
}
