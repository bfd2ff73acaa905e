import CRE2

extension GoRegex {
    /// The template with `$1`, `${1}`, `$name`, `${name}` and `$$` replaced by the groups of a match, as Go's
    /// `Regexp.Expand` does.
    ///
    /// A name is the longest run of letters, digits and `_`, so `$1x` is the group named "1x" (empty), not group 1
    /// then "x"; write `${1}x`. Numbers have no leading zeros (`$01` is the group named "01"). A missing group or one
    /// that took no part expands to nothing, and a `$` that starts no valid reference stays as written.
    public func expand(_ template: String, captures: [Substring?]) -> String {
        guard template.utf8.contains(UInt8(ascii: "$")) else { return template }
        var out: [UInt8] = []
        out.reserveCapacity(template.utf8.count)
        Self.expand(template, into: &out) { reference, out in
            let index = groupIndex(reference) { $0 < captures.count && captures[$0] != nil }
            guard let index, let text = captures[index] else { return }
            out.append(contentsOf: text.utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `ReplaceAllString`: every match in `text` (leftmost first, never overlapping, an empty match right
    /// after a previous match skipped) replaced by the expanded template.
    public func replaceAll(in text: String, with template: String) -> String {
        var copy = text
        let result: [UInt8]? = copy.withUTF8 { source in
            var out: [UInt8] = []
            var spans = [cre2_span](repeating: cre2_span(start: -1, end: -1), count: groupCount + 1)
            var lastMatchEnd = 0
            var searchPosition = 0
            var replaced = false
            while searchPosition <= source.count {
                guard search(source, from: searchPosition, into: &spans) else { break }
                let start = Int(spans[0].start), end = Int(spans[0].end)
                out.append(contentsOf: source[lastMatchEnd..<start])
                if end > lastMatchEnd || start == 0 {
                    Self.expand(template, into: &out) { reference, out in
                        let index = groupIndex(reference) { $0 < spans.count && spans[$0].start >= 0 }
                        guard let index else { return }
                        out.append(contentsOf: source[Int(spans[index].start)..<Int(spans[index].end)])
                    }
                }
                replaced = true
                lastMatchEnd = end
                // Advance past the match, and at least one character.
                let width = searchPosition < source.count ? Self.characterWidth(source, at: searchPosition) : 0
                if searchPosition + width > end {
                    searchPosition += width
                } else if searchPosition + 1 > end {
                    searchPosition += 1
                } else {
                    searchPosition = end
                }
            }
            guard replaced else { return nil }
            out.append(contentsOf: source[lastMatchEnd...])
            return out
        }
        guard let result else { return text }
        return String(decoding: result, as: UTF8.self)
    }

    /// The group a `$` reference takes its text from, or nil for none: the numbered group when it took part in the
    /// match, or the first group of that name that did (Go allows several groups with one name).
    func groupIndex(_ reference: Reference, tookPart: (Int) -> Bool) -> Int? {
        switch reference {
        case .number(let number):
            return tookPart(number) ? number : nil
        case .name(let name):
            return groupNames.indices.first { index in
                (groupNames[index].map { $0.utf8Equal(name) } ?? false) && tookPart(index)
            }
        }
    }

    /// What follows a `$` in a template.
    enum Reference {
        case number(Int)
        case name(String)
    }

    /// Walks `template`, copying literal text to `out` and calling `substitute` for each group reference.
    static func expand(_ template: String, into out: inout [UInt8], substitute: (Reference, inout [UInt8]) -> Void) {
        let scalars = Array(template.unicodeScalars)
        var index = 0
        var literal = String.UnicodeScalarView()
        func flush(_ out: inout [UInt8]) {
            out.append(contentsOf: String(literal).utf8)
            literal = String.UnicodeScalarView()
        }
        while index < scalars.count {
            guard scalars[index] == "$" else {
                literal.append(scalars[index])
                index += 1
                continue
            }
            if index + 1 < scalars.count, scalars[index + 1] == "$" {
                literal.append("$")
                index += 2
                continue
            }
            guard let (reference, next) = parseReference(scalars, after: index) else {
                literal.append("$")
                index += 1
                continue
            }
            flush(&out)
            substitute(reference, &out)
            index = next
        }
        flush(&out)
    }

    /// Reads `name` or `{name}` after the `$` at `dollar`; nil when malformed (empty name, missing `}`).
    static func parseReference(_ scalars: [Unicode.Scalar], after dollar: Int) -> (Reference, Int)? {
        var index = dollar + 1
        let braced = index < scalars.count && scalars[index] == "{"
        if braced { index += 1 }
        let start = index
        while index < scalars.count, isNameScalar(scalars[index]) { index += 1 }
        guard index > start else { return nil }
        let name = scalars[start..<index]
        if braced {
            guard index < scalars.count, scalars[index] == "}" else { return nil }
            index += 1
        }
        return (reference(name), index)
    }

    /// A purely ASCII-decimal name without a leading zero and below 10^8 is a group number; anything else a name.
    private static func reference(_ name: ArraySlice<Unicode.Scalar>) -> Reference {
        var number = 0
        for scalar in name {
            guard ("0"..."9").contains(scalar), number < 100_000_000 else {
                return .name(String(String.UnicodeScalarView(name)))
            }
            number = number * 10 + Int(scalar.value - 48)
        }
        if name.count > 1 && name.first == "0" { return .name(String(String.UnicodeScalarView(name))) }
        return .number(number)
    }

    /// Go's `unicode.IsLetter || unicode.IsDigit || '_'`.
    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "_" { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber: return true
        default: return false
        }
    }

    /// The byte length of the UTF-8 character at `index`, 1 for a byte that starts none (as Go decodes).
    static func characterWidth(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let first = bytes[index]
        let width = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1
        return index + width <= bytes.count ? width : 1
    }
}
