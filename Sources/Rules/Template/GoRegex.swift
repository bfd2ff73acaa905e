/// GoRegex is a regular expression for `match` and `reReplaceAll`, written in Go's RE2 syntax.
///
/// Swift `Regex` accepts the RE2 syntax templates use, including `(?P<name>…)`. Matching is by Unicode scalar and
/// `.` excludes only `\n`, as in Go. Replacement strings expand `$1`, `${1}`, `$name` and `${name}` with Go's rule
/// that a name runs as long as it can (`$1x` is the group named `1x`, which is empty).
struct GoRegex {
    private let regex: Regex<AnyRegexOutput>
    private let pattern: String

    init(_ pattern: String) throws(TemplateFunction.Failure) {
        self.pattern = pattern
        do {
            regex = try Regex(Self.goDots(pattern)).matchingSemantics(.unicodeScalar).asciiOnlyCharacterClasses()
        } catch {
            throw .init("error parsing regexp: \(error)")
        }
    }

    /// Whether the pattern matches anywhere in `text`, as `regexp.MatchString` does.
    func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }

    /// Go's `ReplaceAllString`: every non-overlapping match replaced by the expanded template.
    func replaceAll(in text: String, with template: String) -> String {
        var out = ""
        var cursor = text.startIndex
        for match in text.matches(of: regex) {
            out += text[cursor..<match.range.lowerBound]
            out += expand(template, match)
            cursor = match.range.upperBound
        }
        out += text[cursor...]
        return out
    }

    private func expand(_ template: String, _ match: Regex<AnyRegexOutput>.Match) -> String {
        var out = ""
        var rest = Substring(template)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            if rest.hasPrefix("$") {
                out += "$"
                rest = rest.dropFirst()
                continue
            }
            var name: Substring
            if rest.hasPrefix("{") {
                guard let close = rest.firstIndex(of: "}") else {
                    out += "$"
                    continue
                }
                name = rest[rest.index(after: rest.startIndex)..<close]
                guard !name.isEmpty, name.allSatisfy(Self.isNameCharacter) else {
                    out += "$"
                    continue
                }
                rest = rest[rest.index(after: close)...]
            } else {
                name = rest.prefix(while: Self.isNameCharacter)
                guard !name.isEmpty else {
                    out += "$"
                    continue
                }
                rest = rest.dropFirst(name.count)
            }
            if let number = Int(name), name.allSatisfy(\.isASCII) {
                if number < match.output.count, let substring = match.output[number].substring { out += substring }
            } else if let element = match.output[String(name)], let substring = element.substring {
                out += substring
            }
        }
        return out + rest
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character == "_" || character.isLetter || character.isNumber
    }

    /// The pattern with each `.` outside a bracket expression spelled `[^\n]`, Go's meaning of `.`.
    private static func goDots(_ pattern: String) -> String {
        guard pattern.contains("."), !pattern.contains("(?s") else { return pattern }
        let characters = Array(pattern)
        var out = ""
        var index = 0
        var inClass = false
        while index < characters.count {
            let character = characters[index]
            if character == "\\" && index + 1 < characters.count {
                out.append(character)
                out.append(characters[index + 1])
                index += 2
                continue
            }
            if inClass {
                if character == "]" { inClass = false }
                out.append(character)
            } else if character == "[" {
                inClass = true
                out.append(character)
                if index + 1 < characters.count && characters[index + 1] == "^" {
                    out.append("^")
                    index += 1
                }
                if index + 1 < characters.count && characters[index + 1] == "]" {
                    out.append("]")
                    index += 1
                }
            } else if character == "." {
                out += "[^\\n]"
            } else {
                out.append(character)
            }
            index += 1
        }
        return out
    }
}
