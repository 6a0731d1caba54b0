// The rewriter sees every branch of an #if; the preprocessor decides which
// one is compiled. Knowing whether a declaration sits inside a conditional
// lets the rewriter accept a table declared once per branch.

/// Nesting of #if blocks.
enum PreprocessorConditional {
    /// +1 for a directive that opens a conditional block (#if, #ifdef,
    /// #ifndef), -1 for #endif, 0 for anything else.
    static func depthChange(of directive: String) -> Int {
        let keyword = directive.dropFirst().drop { $0 == " " || $0 == "\t" }.prefix { $0.isLetter }
        switch keyword {
        case "if", "ifdef", "ifndef": return 1
        case "endif": return -1
        default: return 0
        }
    }
}
