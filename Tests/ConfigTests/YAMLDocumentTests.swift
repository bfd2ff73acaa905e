import Config
import Testing
import Yams

@Suite struct YAMLDocumentTests {
    /// The value of a top-level key, as text, for assertions.
    private func string(_ document: YAMLDocument, _ path: String...) -> String? {
        var node = document.root
        for key in path { node = node?.mapping?[key] }
        return node?.string
    }

    @Test func mergeKeyAddsTheAnchoredPairsAndOwnKeysWin() throws {
        let document = try YAMLDocument(yaml: """
            base: &base {a: 1, b: 2}
            job:
              <<: *base
              b: 3
            """, file: "m.yml")
        #expect(string(document, "job", "a") == "1")
        #expect(string(document, "job", "b") == "3")
        #expect(document.root?.mapping?["job"]?.mapping?.keys.compactMap(\.string).sorted() == ["a", "b"])
    }

    @Test(arguments: ["", "# only a comment\n", "~\n", "null\n", "---\n~\n"])
    func aNullDocumentIsEmptyAsInGo(_ yaml: String) throws {
        #expect(try YAMLDocument(yaml: yaml, file: "n.yml").root == nil)
    }

    @Test func aNullValueInsideIsKept() throws {
        let document = try YAMLDocument(yaml: "a: ~\n", file: "n.yml")
        #expect(document.root?.mapping?["a"] != nil)
    }

    @Test func ownKeyWinsEvenWhenWrittenBeforeTheMerge() throws {
        let document = try YAMLDocument(yaml: "base: &base {a: 1}\njob: {a: 2, <<: *base}\n", file: "m.yml")
        #expect(string(document, "job", "a") == "2")
    }

    @Test func earlierMappingsOfAMergeListWin() throws {
        let document = try YAMLDocument(yaml: """
            one: &one {a: first, b: first}
            two: &two {a: second, c: second}
            job:
              <<: [*one, *two]
            """, file: "m.yml")
        #expect(string(document, "job", "a") == "first")
        #expect(string(document, "job", "b") == "first")
        #expect(string(document, "job", "c") == "second")
    }

    @Test func mergesNestInsideMergedMappings() throws {
        let document = try YAMLDocument(yaml: """
            inner: &inner {deep: yes}
            outer: &outer {<<: *inner, shallow: 1}
            job: {<<: *outer}
            """, file: "m.yml")
        #expect(string(document, "job", "deep") == "yes")
        #expect(string(document, "job", "shallow") == "1")
        #expect(document.root?.mapping?["job"]?.mapping?.keys.contains { $0.string == "<<" } == false)
    }

    @Test func mergedKeysKeepTheirAnchorsPosition() throws {
        let document = try YAMLDocument(yaml: "base: &base\n  a: 1\njob:\n  <<: *base\n", file: "m.yml")
        let pair = try #require(document.root?.mapping?["job"]?.mapping?.first)
        #expect(pair.key.mark?.line == 2)
        #expect(pair.key.mark?.column == 3)
    }

    @Test func mergingAScalarIsAnErrorAtItsPosition() {
        #expect {
            _ = try YAMLDocument(yaml: "job:\n  <<: 5\n", file: "m.yml")
        } throws: { error in
            (error as? ConfigError)?.description == "m.yml:2:7: map merge requires map or sequence of maps as the value"
        }
    }

    @Test func decodingErrorsInMergedValuesPointAtTheAnchor() {
        struct Job: Decodable { var port: Int }
        struct File: Decodable { var job: Job }
        let yaml = "base: &base\n  port: eighty\njob:\n  <<: *base\n"
        #expect {
            let document = try YAMLDocument(yaml: yaml, file: "m.yml")
            struct Wrapper: Decodable {
                var job: Job
                enum CodingKeys: CodingKey { case job }
            }
            _ = try document.decode(Wrapper.self, empty: Wrapper(job: Job(port: 0)))
        } throws: { error in
            (error as? ConfigError)?.description == "m.yml:2:9: job.port: expected an integer, got \"eighty\""
        }
    }

    @Test func syntaxErrorsCarryLineAndColumn() {
        #expect {
            _ = try YAMLDocument(yaml: "a: [1, 2\nb: 3\n", file: "s.yml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.code == .syntax && error.line != nil && error.column != nil
        }
    }

    @Test func exponentialAliasingFailsInsteadOfExhaustingMemory() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            let items = Array(repeating: previous, count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(items)]\n"
        }
        #expect {
            _ = try YAMLDocument(yaml: yaml, file: "laughs.yml")
        } throws: { error in
            (error as? ConfigError)?.message.contains("excessive aliasing") == true
        }
    }

    @Test func unknownKeysAreFoundInOnePassAtTheirOwnPositions() throws {
        let count = 20_000
        var yaml = "groups:\n  - name: g\n"
        for index in 0..<count { yaml += "    unknown_\(index): 1\n" }
        yaml += "    rules: []\n"
        let document = try YAMLDocument(yaml: yaml, file: "big.yml")
        let shape = YAMLShape.mapping(type: "file", fields: [
            "groups": .list(.mapping(type: "group", fields: ["name": .any, "rules": .any])),
        ])
        let unknown = shape.unknownKeys(in: document.root)
        #expect(unknown.count == count)
        #expect(unknown.first?.name == "unknown_0")
        #expect(unknown.first?.line == 3)
        #expect(unknown.last?.line == count + 2)
        #expect(unknown.allSatisfy { $0.type == "group" && $0.path == [.field("groups"), .index(0)] })
    }
}
