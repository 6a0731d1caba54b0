// Decodes clang's `-Xclang -ast-dump=json` output into ClangNode trees.
//
// clang writes a location's file only when it differs from the previous
// location it wrote, so the decoder follows the file in document order to
// know which offsets are in the translation unit itself. Nodes nested deeper
// than `maximumDepth` are skipped (counted in `skippedSubtrees`), so a
// pathological input cannot exhaust the stack.

/// Why clang's AST dump could not be decoded.
package enum ClangASTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The dump is not valid JSON.
    case malformedJSON(JSONReadError)
    /// The JSON is not a translation unit dump.
    case notATranslationUnit(String)

    package var description: String {
        switch self {
        case let .malformedJSON(error): "clang's AST dump is not valid JSON: \(error)"
        case let .notATranslationUnit(detail): "clang's AST dump is not a translation unit: \(detail)"
        }
    }
}

/// Decodes one AST dump.
package struct ClangASTDecoder {
    /// The path clang was given for the translation unit (how it names the main file).
    package var mainFile: String
    /// Nodes nested deeper than this are skipped with their children.
    package var maximumDepth: Int
    /// How many subtrees were skipped for depth.
    package private(set) var skippedSubtrees = 0

    private var currentFileIsMain = false

    /// A decoder for the dump of the unit at `mainFile`.
    package init(mainFile: String, maximumDepth: Int = 256) {
        self.mainFile = mainFile
        self.maximumDepth = maximumDepth
    }

    /// Decodes the TranslationUnitDecl in `json`.
    package mutating func decode(_ json: [UInt8]) throws(ClangASTError) -> ClangNode {
        var reader = JSONReader(json)
        currentFileIsMain = false
        skippedSubtrees = 0
        let root: ClangNode
        do {
            guard try reader.peekKind() == .object else { throw ClangASTError.notATranslationUnit("the top level is not an object") }
            root = try node(&reader, depth: 0)
            try reader.expectEnd()
        } catch let error as JSONReadError {
            throw .malformedJSON(error)
        } catch let error as ClangASTError {
            throw error
        } catch {
            throw .notATranslationUnit("\(error)")
        }
        guard root.kind == "TranslationUnitDecl" else { throw .notATranslationUnit("the top node is a \(root.kind)") }
        return root
    }

    // MARK: - Nodes

    private mutating func node(_ reader: inout JSONReader, depth: Int) throws(JSONReadError) -> ClangNode {
        var node = ClangNode(kind: "")
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "kind": node.kind = try reader.readString()
            case "id": node.id = Self.identifier(try reader.readString())
            case "name": node.name = try reader.readString()
            case "type": (node.type, node.desugaredType) = try Self.type(&reader)
            case "valueCategory": node.isLValue = try reader.readString() == "lvalue"
            case "castKind": node.castKind = try reader.readString()
            case "opcode": node.opcode = try reader.readString()
            case "isArrow": node.isArrow = try reader.readBool()
            case "storageClass": node.storageClass = try reader.readString()
            case "referencedMemberDecl": node.referencedMemberDecl = Self.identifier(try reader.readString())
            case "referencedDecl": node.referencedDecl = try Self.referencedDecl(&reader)
            case "loc": _ = try self.location(&reader)
            case "range":
                try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
                    switch key {
                    case "begin": node.begin = try self.location(&reader)
                    case "end": node.end = try self.location(&reader)
                    default: try reader.skipValue()
                    }
                }
            case "inner":
                guard try reader.peekKind() == .array else { try reader.skipValue(); return }
                try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
                    guard try reader.peekKind() == .object else { try reader.skipValue(); return }
                    if depth + 1 > self.maximumDepth {
                        self.skippedSubtrees += 1
                        try reader.skipValue()
                        return
                    }
                    node.inner.append(try self.node(&reader, depth: depth + 1))
                }
            default:
                try reader.skipValue()
            }
        }
        return node
    }

    /// `"0x55d0c0a1b2c8"` -> its value (0 when it is not hexadecimal).
    private static func identifier(_ text: String) -> UInt64 {
        UInt64(text.hasPrefix("0x") ? text.dropFirst(2) : Substring(text), radix: 16) ?? 0
    }

    private static func type(_ reader: inout JSONReader) throws(JSONReadError) -> (String?, String?) {
        guard try reader.peekKind() == .object else { try reader.skipValue(); return (nil, nil) }
        var qualType: String?, desugared: String?
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "qualType": qualType = try reader.readString()
            case "desugaredQualType": desugared = try reader.readString()
            default: try reader.skipValue()
            }
        }
        return (qualType, desugared)
    }

    private static func referencedDecl(_ reader: inout JSONReader) throws(JSONReadError) -> ClangNode.ReferencedDecl? {
        guard try reader.peekKind() == .object else { try reader.skipValue(); return nil }
        var referenced = ClangNode.ReferencedDecl(id: 0, kind: "", name: "")
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "id": referenced.id = identifier(try reader.readString())
            case "kind": referenced.kind = try reader.readString()
            case "name": referenced.name = try reader.readString()
            default: try reader.skipValue()
            }
        }
        return referenced
    }

    // MARK: - Locations

    /// A location object: bare (offset, file, tokLen) or a macro's spellingLoc and expansionLoc.
    private mutating func location(_ reader: inout JSONReader) throws(JSONReadError) -> ClangLocation {
        guard try reader.peekKind() == .object else { try reader.skipValue(); return ClangLocation() }
        var location = ClangLocation()
        var bare = BarePosition()
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "spellingLoc":
                location.isMacro = true
                location.spelling = try self.barePosition(&reader).position
            case "expansionLoc":
                location.isMacro = true
                let expansion = try self.barePosition(&reader)
                location.expansion = expansion.position
                location.isMacroArgument = expansion.isMacroArgument
            default:
                try bare.read(key: key, &reader)
            }
        }
        if !location.isMacro {
            if let file = bare.file { currentFileIsMain = file == mainFile }
            if let position = bare.position(inMainFile: currentFileIsMain) { location = .file(position) }
        }
        return location
    }

    private mutating func barePosition(_ reader: inout JSONReader) throws(JSONReadError) -> (position: ClangFilePosition?, isMacroArgument: Bool) {
        guard try reader.peekKind() == .object else { try reader.skipValue(); return (nil, false) }
        var bare = BarePosition()
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            try bare.read(key: key, &reader)
        }
        if let file = bare.file { currentFileIsMain = file == mainFile }
        return (bare.position(inMainFile: currentFileIsMain), bare.isMacroArgument)
    }

    /// The keys of one bare location object.
    private struct BarePosition {
        var offset: Int?
        var tokenLength: Int?
        var file: String?
        var isMacroArgument = false

        mutating func read(key: String, _ reader: inout JSONReader) throws(JSONReadError) {
            switch key {
            case "offset": offset = try reader.integerIfNumber()
            case "tokLen": tokenLength = try reader.integerIfNumber()
            case "file": file = try reader.stringIfString()
            case "isMacroArgExpansion": isMacroArgument = try reader.boolIfBool() ?? false
            default: try reader.skipValue()
            }
        }

        /// The position, when its numbers are offsets a file can have (no sum of them can overflow).
        func position(inMainFile: Bool) -> ClangFilePosition? {
            let limit = Int(Int32.max)
            guard let offset, (0...limit).contains(offset) else { return nil }
            let length = tokenLength ?? 0
            return ClangFilePosition(offset: offset, tokenLength: (0...limit).contains(length) ? length : 0, inMainFile: inMainFile)
        }
    }
}
