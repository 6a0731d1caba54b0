// The names a program declares itself: its functions, variables, struct
// members and enum constants. The kernel vocabulary leaves these out, as
// bcc's programs never saw the kernel's definition of a name they only got
// by not including that header (a program's own `struct sock { u32
// *sk_daddr; }` must not meet net/sock.h's sk_daddr alias). A program's own
// #define needs no such care: redefining a macro is only a warning, and
// programs that #undef the kernel's value first expect it to be there.

/// Finds the identifiers a C source declares.
package enum ProgramNames {
    /// Words that can precede a name without declaring it.
    private static let statementWords: Set<String> = [
        "return", "case", "goto", "sizeof", "else", "do", "if", "while", "for", "switch",
        "typeof", "__typeof__", "default", "break", "continue",
    ]
    /// Words that may come before a type name without being one.
    private static let modifierWords: Set<String> = [
        "static", "extern", "inline", "__inline", "__inline__", "const", "volatile", "register",
        "unsigned", "signed", "long", "short", "struct", "union", "enum", "__always_inline", "typedef",
    ]
    /// Words that may stand between a declaration's start and its type name.
    private static let specifierWords: Set<String> = [
        "static", "extern", "inline", "__inline", "__inline__", "const", "volatile", "register",
        "unsigned", "signed", "long", "short", "int", "char", "_Bool", "float", "double", "void",
        "struct", "union", "enum", "__always_inline", "typedef",
    ]

    /// The names `tokens` of `tokenizer`'s source declares.
    package static func declared(in tokens: [CToken], of tokenizer: CTokenizer) -> Set<String> {
        var names = Set<String>()
        var enumBodyDepth: [Int] = []
        var depth = 0
        for index in tokens.indices {
            let token = tokens[index]
            switch token.kind {
            case .directive:
                continue
            case .punctuator:
                if tokenizer.matches(token, "{") {
                    depth += 1
                    if isEnumBodyStart(index, tokens, tokenizer) { enumBodyDepth.append(depth) }
                } else if tokenizer.matches(token, "}") {
                    if enumBodyDepth.last == depth { enumBodyDepth.removeLast() }
                    depth -= 1
                }
                continue
            case .identifier:
                break
            default:
                continue
            }
            let previous = index > 0 ? tokens[index - 1] : nil
            if enumBodyDepth.last == depth, let previous,
               tokenizer.matches(previous, "{") || tokenizer.matches(previous, ",") {
                names.insert(tokenizer.text(token))
                continue
            }
            if isDeclarator(index, tokens, tokenizer) { names.insert(tokenizer.text(token)) }
        }
        return names
    }

    /// `enum {` or `enum tag {` ends at `index`.
    private static func isEnumBodyStart(_ index: Int, _ tokens: [CToken], _ tokenizer: CTokenizer) -> Bool {
        if index >= 1, tokenizer.matches(tokens[index - 1], "enum") { return true }
        return index >= 2 && tokens[index - 1].kind == .identifier && tokenizer.matches(tokens[index - 2], "enum")
    }

    /// The identifier at `index` is the name in a declaration: `TYPE [*...] NAME`
    /// followed by `;`, `[`, `=`, `,`, `)`, `:` or `(`, where TYPE starts a
    /// statement, a member, a parameter or a top-level declaration.
    private static func isDeclarator(_ index: Int, _ tokens: [CToken], _ tokenizer: CTokenizer) -> Bool {
        guard index + 1 < tokens.count, tokens[index + 1].kind == .punctuator else { return false }
        let next = tokenizer.text(tokens[index + 1])
        guard [";", "[", "=", ",", ")", ":", "("].contains(next) else { return false }
        var j = index - 1
        while j >= 0, tokenizer.matches(tokens[j], "*") || tokenizer.matches(tokens[j], "const")
                || tokenizer.matches(tokens[j], "volatile") || tokenizer.matches(tokens[j], "restrict") {
            j -= 1
        }
        guard j >= 0, tokens[j].kind == .identifier else { return false }
        let typeName = tokenizer.text(tokens[j])
        guard !statementWords.contains(typeName), !["struct", "union", "enum"].contains(typeName) else { return false }
        // `u64 x __maybe_unused = 1`: a second name after a type name is an attribute macro, not a declarator.
        if j >= 1, tokens[j - 1].kind == .identifier, !modifierWords.contains(tokenizer.text(tokens[j - 1])) { return false }
        // Back over the type: its name, and specifiers or a struct/union/enum keyword before it.
        var k = j - 1
        while k >= 0, tokens[k].kind == .identifier, specifierWords.contains(tokenizer.text(tokens[k])) {
            k -= 1
        }
        guard k >= 0 else { return true }
        let before = tokens[k]
        if before.kind == .directive { return true }
        return [";", "{", "}", "(", ","].contains { tokenizer.matches(before, $0) }
    }
}
