import Glibc

/// clang's JSON AST of a translation unit (`-Xclang -ast-dump=json
/// -fsyntax-only`), which the implicit kernel reads are planned from.
///
/// With the per-kernel precompiled header only the unit's own declarations
/// are dumped (the header's stay in the PCH), so the dump stays small.
/// `-ast-dump-filter` would narrow it further but makes clang deserialize
/// the whole PCH to match names (0.44 s instead of ~15 ms).
struct ASTDump {
    /// The compiler.
    var clang: ClangDriver

    /// The dump of the unit at `unitPath` compiled with `arguments`, or nil
    /// when clang reports errors (the compile that follows reports them with
    /// the user's lines).
    func json(unitPath: String, arguments: [String]) throws(BCCError) -> [UInt8]? {
        let outputPath = unitPath + ".ast.json"
        defer { unlink(outputPath) }
        let output = try clang.run(arguments + ["-Xclang", "-ast-dump=json", "-fsyntax-only", unitPath], standardOutput: outputPath)
        guard output.status == 0 else { return nil }
        guard let dump = FileSystem.contents(outputPath) else {
            throw .compilerFailed(command: clang.path, detail: "no AST dump written to \(outputPath)")
        }
        return dump
    }
}
