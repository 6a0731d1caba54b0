import BCCDialect
import Testing

/// The byte-level JSON reader and the AST decoder on inputs written here
/// (no clang): values, escapes, malformed input, file tracking, macro
/// locations, depth limits; and insertions into a rewritten source.
@Suite struct ClangASTDecoderTests {
    func reader(_ text: String) -> JSONReader { JSONReader(Array(text.utf8)) }

    // MARK: - JSONReader

    @Test func readsStringsWithEveryEscape() throws {
        var json = reader(#"  "a\"b\\c\/d\n\t\u00e9\ud83d\ude00\ud800x""#)
        #expect(try json.readString() == "a\"b\\c/d\n\té😀\u{FFFD}x")
        try json.expectEnd()
    }

    @Test func readsIntegersAndRejectsWhatIsNotOne() throws {
        var json = reader("[12, -7, 1.5, 2e3, 99999999999999999999999]")
        var values: [Int?] = []
        try json.readArray { (reader: inout JSONReader) throws(JSONReadError) in values.append(try reader.readInteger()) }
        #expect(values == [12, -7, nil, nil, nil])
    }

    @Test func skipsNestedValuesWithoutReadingThem() throws {
        var json = reader(#"{"skip": {"a": [1, {"b": []}, [[]], "x]}"], "c": {}}, "keep": true}"#)
        var kept: Bool?
        try json.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            if key == "keep" { kept = try reader.readBool() } else { try reader.skipValue() }
        }
        #expect(kept == true)
        try json.expectEnd()
    }

    @Test func malformedInputIsAnErrorWithItsOffset() {
        for (text, offset) in [("{\"a\": ", 6), ("[1, 2", 5), ("{\"a\" 1}", 5), ("\"abc", 4), ("[1,]", 3), ("\"\\q\"", 3), ("tru", 0)] {
            var json = reader(text)
            #expect(throws: JSONReadError.self, "\(text)") { try json.skipValue() }
            do {
                var again = reader(text)
                try again.skipValue()
            } catch {
                #expect(error.offset == offset, "\(text): \(error)")
            }
        }
        var trailing = reader("{} x")
        #expect(throws: JSONReadError.self) {
            try trailing.skipValue()
            try trailing.expectEnd()
        }
    }

    // MARK: - Decoder

    /// A translation unit whose first declaration comes from an included
    /// header, the next from the unit (its file named once, then implied),
    /// with a macro-argument location.
    static let unit = #"""
        {"id": "0x1", "kind": "TranslationUnitDecl", "loc": {}, "range": {"begin": {}, "end": {}}, "inner": [
          {"id": "0x10", "kind": "TypedefDecl", "loc": {"offset": 5, "file": "other.h", "line": 1, "col": 6, "tokLen": 3},
           "range": {"begin": {"offset": 0, "col": 1, "tokLen": 7}, "end": {"offset": 5, "col": 6, "tokLen": 3}}, "name": "u8"},
          {"id": "0x20", "kind": "FunctionDecl", "loc": {"offset": 30, "file": "/tmp/unit.c", "line": 3, "col": 5, "tokLen": 1},
           "range": {"begin": {"offset": 26, "tokLen": 3}, "end": {"offset": 80, "tokLen": 1}}, "name": "f",
           "inner": [
             {"id": "0x21", "kind": "MemberExpr", "isArrow": true, "name": "pid", "referencedMemberDecl": "0xabc",
              "valueCategory": "lvalue", "type": {"qualType": "pid_t", "desugaredQualType": "int"},
              "range": {"begin": {"spellingLoc": {"offset": 50, "tokLen": 1},
                                  "expansionLoc": {"offset": 40, "tokLen": 6, "isMacroArgExpansion": true}},
                        "end": {"offset": 55, "tokLen": 3}}},
             {"id": "0x22", "kind": "DeclRefExpr", "valueCategory": "lvalue",
              "referencedDecl": {"id": "0x30", "kind": "ParmVarDecl", "name": "t", "type": {"qualType": "struct task_struct *"}},
              "range": {"begin": {"offset": 60, "file": "other.h", "tokLen": 1}, "end": {"offset": 60, "tokLen": 1}}}
           ]}
        ]}
        """#

    @Test func followsTheFileInDocumentOrder() throws {
        var decoder = ClangASTDecoder(mainFile: "/tmp/unit.c")
        let root = try decoder.decode(Array(Self.unit.utf8))
        #expect(root.kind == "TranslationUnitDecl")
        let typedef = root.inner[0], function = root.inner[1]
        #expect(typedef.begin.spelling?.inMainFile == false)
        // The function's range names no file: it is in the unit, the file its loc named.
        #expect(function.begin.spelling == ClangFilePosition(offset: 26, tokenLength: 3, inMainFile: true))
        let member = function.inner[0]
        #expect(member.kind == "MemberExpr" && member.isArrow && member.isLValue && member.referencedMemberDecl == 0xabc)
        #expect(member.canonicalType == "int")
        #expect(member.begin.isMacro && member.begin.isMacroArgument)
        #expect(member.begin.spelling?.offset == 50 && member.begin.expansion?.offset == 40)
        #expect(member.end == .file(ClangFilePosition(offset: 55, tokenLength: 3, inMainFile: true)))
        let reference = function.inner[1]
        #expect(reference.referencedDecl == ClangNode.ReferencedDecl(id: 0x30, kind: "ParmVarDecl", name: "t"))
        #expect(reference.begin.spelling?.inMainFile == false)
        #expect(reference.end.spelling?.inMainFile == false)
    }

    @Test func deepNestingIsSkippedNotRecursedInto() throws {
        let depth = 2000
        let json = #"{"kind": "TranslationUnitDecl", "inner": ["# + String(repeating: #"{"kind": "ParenExpr", "inner": ["#, count: depth)
            + String(repeating: "]}", count: depth) + "]}"
        var decoder = ClangASTDecoder(mainFile: "u.c", maximumDepth: 100)
        let root = try decoder.decode(Array(json.utf8))
        #expect(decoder.skippedSubtrees == 1)
        var node = root, levels = 0
        while let child = node.inner.first { node = child; levels += 1 }
        #expect(levels == 100)
    }

    @Test func aDumpThatIsNotATranslationUnitIsAnError() {
        #expect(throws: ClangASTError.self) {
            var decoder = ClangASTDecoder(mainFile: "u.c")
            _ = try decoder.decode(Array(#"{"kind": "FunctionDecl"}"#.utf8))
        }
        #expect(throws: ClangASTError.self) {
            var decoder = ClangASTDecoder(mainFile: "u.c")
            _ = try decoder.decode(Array("[]".utf8))
        }
        #expect(throws: ClangASTError.self) {
            var decoder = ClangASTDecoder(mainFile: "u.c")
            _ = try decoder.decode(Array(#"{"kind": "TranslationUnitDecl", "inner": [{"kind": 1}]}"#.utf8))
        }
    }

    @Test func absurdOffsetsAreDropped() throws {
        let json = #"{"kind": "TranslationUnitDecl", "inner": [{"kind": "VarDecl", "range": {"begin": {"offset": 9223372036854775807, "file": "u.c", "tokLen": 2}, "end": {"offset": 4, "tokLen": -3}}}]}"#
        var decoder = ClangASTDecoder(mainFile: "u.c")
        let root = try decoder.decode(Array(json.utf8))
        #expect(root.inner[0].begin.spelling == nil)
        #expect(root.inner[0].end.spelling == ClangFilePosition(offset: 4, tokenLength: 0, inMainFile: true))
    }

    // MARK: - Insertions into a rewritten source

    @Test func insertedTextMapsToTheByteItPrecedes() {
        let original = Array("abc\ndef".utf8)
        var source = RewrittenSource()
        source.appendVerbatim(original, 0..<2)          // "ab"
        source.appendGenerated("XY", anchor: 2)        // generated in place of "c"
        source.appendVerbatim(original, 3..<7)          // "\ndef"
        let inserted = source.inserting([(offset: 1, text: "<"), (offset: 3, text: "["), (offset: 6, text: "]"), (offset: 8, text: "!")])
        #expect(inserted.text == "a<bX[Y\nd]ef!")
        let lines = LineIndex(original)
        #expect(inserted.originalOffset(forOutputOffset: 1) == 1)          // "<" stands for "b"
        #expect(inserted.originalOffset(forOutputOffset: 2) == 1)          // "b"
        #expect(inserted.originalOffset(forOutputOffset: 8) == 5)          // "]" before "e"
        #expect(inserted.originalOffset(forOutputOffset: 9) == 5)          // "e"
        #expect(inserted.originalLocation(line: 2, column: 4, output: LineIndex(inserted.bytes), original: lines) == (2, 3))
    }
}
