// The parts of clang's AST (as -ast-dump=json writes it) that the implicit
// read analysis needs: node kinds, types, value categories, casts, the
// declarations references point to, and source ranges as byte offsets.

/// A position in a file clang read: a byte offset and the length of the token there.
package struct ClangFilePosition: Equatable, Sendable {
    /// Byte offset in the file.
    package var offset: Int
    /// Length in bytes of the token at `offset`.
    package var tokenLength: Int
    /// True when the file is the translation unit clang was asked to parse (not an included file).
    package var inMainFile: Bool

    package init(offset: Int, tokenLength: Int, inMainFile: Bool) {
        self.offset = offset
        self.tokenLength = tokenLength
        self.inMainFile = inMainFile
    }
}

/// A source location: where the token was spelled and where it was expanded
/// (the same for a token outside macros).
package struct ClangLocation: Equatable, Sendable {
    /// Where the token's characters are.
    package var spelling: ClangFilePosition?
    /// Where the macro use that produced the token is (or the token itself outside macros).
    package var expansion: ClangFilePosition?
    /// True when the token came from a macro expansion.
    package var isMacro: Bool
    /// True when the token is part of a macro argument.
    package var isMacroArgument: Bool

    package init(spelling: ClangFilePosition? = nil, expansion: ClangFilePosition? = nil, isMacro: Bool = false, isMacroArgument: Bool = false) {
        self.spelling = spelling
        self.expansion = expansion
        self.isMacro = isMacro
        self.isMacroArgument = isMacroArgument
    }

    /// A location outside macros.
    package static func file(_ position: ClangFilePosition) -> ClangLocation {
        ClangLocation(spelling: position, expansion: position)
    }
}

/// A node of clang's AST: a declaration, a statement or an expression.
package struct ClangNode: Sendable {
    /// clang's class name without the base suffix: "MemberExpr", "VarDecl", "ImplicitCastExpr", ...
    package var kind: String
    /// clang's identity for the node (declarations are referred to by it).
    package var id: UInt64 = 0
    /// The declared name (declarations) or member name (MemberExpr).
    package var name: String?
    /// The type as written (`qualType`).
    package var type: String?
    /// The type with typedefs looked through, when it differs.
    package var desugaredType: String?
    /// True for lvalues (expressions that designate storage).
    package var isLValue = false
    /// The cast kind of cast expressions: "LValueToRValue", "ArrayToPointerDecay", ...
    package var castKind: String?
    /// The operator of unary and binary operators: "*", "&", "=", "+", ...
    package var opcode: String?
    /// `->` rather than `.` (MemberExpr).
    package var isArrow = false
    /// The storage class of declarations ("static", "extern").
    package var storageClass: String?
    /// The declaration a DeclRefExpr names: its id, kind and name.
    package var referencedDecl: ReferencedDecl?
    /// The field a MemberExpr names.
    package var referencedMemberDecl: UInt64?
    /// Where the node starts (its first token).
    package var begin = ClangLocation()
    /// Where the node ends (its last token).
    package var end = ClangLocation()
    /// Child nodes in clang's order.
    package var inner: [ClangNode] = []

    /// The declaration a reference points to.
    package struct ReferencedDecl: Equatable, Sendable {
        package var id: UInt64
        package var kind: String
        package var name: String

        package init(id: UInt64, kind: String, name: String) {
            self.id = id
            self.kind = kind
            self.name = name
        }
    }

    package init(kind: String) {
        self.kind = kind
    }

    /// The type with typedefs looked through.
    package var canonicalType: String? { desugaredType ?? type }

    /// True when the node's type is a pointer (looked through typedefs).
    package var isPointer: Bool {
        guard let type = canonicalType?.trimmingTrailingQualifiers else { return false }
        return type.hasSuffix("*")
    }

    /// True when the node's type is an array.
    package var isArray: Bool {
        guard let type = canonicalType?.trimmingTrailingQualifiers else { return false }
        return type.hasSuffix("]")
    }

    /// The child expressions: children that are not attributes or declarations' type information.
    package var expressionChildren: [ClangNode] {
        inner.filter { !$0.kind.hasSuffix("Attr") && !$0.kind.hasSuffix("Comment") }
    }
}

extension String {
    /// The type spelling without the qualifiers that may follow a pointer's `*` ("char *const" -> "char *").
    fileprivate var trimmingTrailingQualifiers: Substring {
        var text = Substring(self)
        var changed = true
        while changed {
            changed = false
            while text.last == " " { text = text.dropLast() }
            for qualifier in ["const", "volatile", "restrict", "__restrict"] where text.hasSuffix(qualifier) {
                let rest = text.dropLast(qualifier.count)
                if rest.last == " " || rest.last == "*" {
                    text = rest
                    changed = true
                }
            }
        }
        return text
    }
}
