import Glibc

/// What a compilation depends on besides the user's text: the BTF header,
/// the running kernel's facts, the compiler and the object cache.
struct CompileEnvironment: Sendable {
    /// The C header written from the kernel's BTF (vmlinux.h).
    var headerPath: String
    /// A precompiled form of that header, when there is one.
    var precompiledHeaderPath: String?
    /// What identifies the kernel's BTF (cache key part).
    var headerIdentity: String
    /// The kernel's page size.
    var pageSize: Int
    /// The number of possible CPUs.
    var possibleCPUs: Int
    /// `uname -m`.
    var architecture: String
    /// The compiler.
    var clang: ClangDriver
    /// Where compiled objects are kept.
    var cacheDirectory: String
    /// The `args` struct of a tracepoint, from its tracefs format file.
    var tracepointArgs: @Sendable (_ category: String, _ name: String) throws(BCCError) -> TracepointArgsStruct
    /// The helper names (without bpf_) the kernel's BTF has a BPF_FUNC_ enumerator for.
    var availableHelpers: @Sendable () throws(BCCError) -> Set<String>
    /// `uname -r`: LINUX_VERSION_CODE comes from it, so it is part of the cache key.
    var kernelRelease: String
    /// What the kernel's headers would have said (array sizes, request flags,
    /// version), read from its BTF when clang has to run.
    var kernelFacts: @Sendable () throws(BCCError) -> KernelFacts
    /// True when the kernel's header defines `type` ("struct T", "union T",
    /// "enum T" or a typedef name), for a program that defines it too.
    var kernelDefinesType: @Sendable (_ type: String) throws(BCCError) -> Bool
    /// True when member `member` of kernel type `record` ("struct task_struct") is a bitfield.
    var kernelBitfield: @Sendable (_ record: String, _ member: String) throws(BCCError) -> Bool = { _, _ in false }
    /// A precompiled header with those of the kernel's types renamed, or nil
    /// to read the text header instead.
    var renamedPrecompiledHeader: @Sendable (_ renaming: KernelTypeRenaming) throws(BCCError) -> String? = { _ in nil }
    /// The PCH of the header, built now if `precompiledHeaderPath` is nil
    /// because it was not built yet (a new kernel); nil when there is none.
    var precompiledHeader: @Sendable () throws(BCCError) -> String? = { nil }
}

/// A compiled bcc program: the object and what the rewriter learned.
struct CompiledProgram: Sendable {
    /// The BPF ELF object.
    var object: [UInt8]
    /// Tables in declaration order.
    var tables: [TableDefinition]
    /// Functions that are BPF programs.
    var functions: [ProbeFunction]
    /// C type of the records of each output table.
    var eventTypes: [String: String]
    /// True when the object came from the cache and clang did not run.
    var fromCache: Bool
}

/// bcc C -> BPF object: rewrite, look up the cache, else run clang and map
/// its diagnostics back to the user's lines.
struct BPFCompiler: Sendable {
    /// Bump when the prelude or the rewriting changes, so old objects are not reused.
    static let formatVersion = "swift-bcc-object-4"

    /// The flags of every compile, before the PCH, include directory and
    /// user's flags. The precompiled kernel header is built with exactly
    /// these (``VmlinuxHeaderCache``): a PCH loads only into compiles with
    /// the same target, CPU, language standard and predefined macros.
    static func compilerFlags(architecture: String) -> [String] {
        ["-target", "bpf", "-O2", "-g", "-mcpu=v3", "-std=gnu11",
         "-D__BPF_TRACING__", "-D__TARGET_ARCH_\(architecture == "aarch64" ? "arm64" : "x86")",
         "-fno-caret-diagnostics", "-fno-color-diagnostics", "-ferror-limit=20",
         "-Wno-unused-value", "-Wno-pointer-sign", "-Wno-compare-distinct-pointer-types",
         "-Wno-gnu-variable-sized-type-not-at-end", "-Wno-address-of-packed-member",
         "-Wno-tautological-compare", "-Wno-unknown-warning-option", "-Wno-unused-variable",
         "-Wno-incompatible-pointer-types-discards-qualifiers", "-Wno-int-to-void-pointer-cast",
         "-Wno-void-pointer-to-int-cast", "-Wno-pointer-to-int-cast"]
    }

    var environment: CompileEnvironment
    /// Tables other programs of the process export, for BPF_TABLE("extern", ...).
    var exportedTables: [String: TableDefinition] = [:]

    /// Compiles `source` (named `fileName` in diagnostics) with extra `cflags`;
    /// `usdtFunctions` are the functions enabled on USDT probes, whose
    /// bpf_usdt_readarg calls read their probes' arguments.
    func compile(source: String, fileName: String, cflags: [String], includeDirectory: String?,
                 usdtFunctions: [USDTFunction] = []) throws(BCCError) -> CompiledProgram {
        var rewriter = DialectRewriter(fileName: fileName, pageSize: environment.pageSize, possibleCPUs: environment.possibleCPUs)
        rewriter.exportedTables = exportedTables
        rewriter.usdtFunctions = Dictionary(usdtFunctions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var rewritten: RewriteResult
        do {
            rewritten = try rewriter.rewrite(source)
        } catch {
            throw BCCError(error)
        }
        var tracepointStructs: [String] = []
        for tracepoint in Set(rewritten.tracepoints).sorted() {
            let parts = tracepoint.split(separator: ":", maxSplits: 1).map(String.init)
            let args = try environment.tracepointArgs(parts[0], parts[1])
            tracepointStructs.append(args.cDefinition(structName: "tracepoint__\(parts[0])__\(parts[1])"))
        }
        let epilogue = eventTypeAnchors(rewritten.eventTypes)
        let usdtReaders = USDTArgumentReaders(functions: usdtFunctions).cText
        let arguments = compilerArguments(cflags: cflags, includeDirectory: includeDirectory)

        // The PCH only speeds the header up: an object compiled with it is
        // the one compiled from the header's text, so its path is no part of the key.
        var keyArguments = arguments
        if let pch = keyArguments.firstIndex(of: "-include-pch") { keyArguments.removeSubrange(pch...(pch + 1)) }
        var key = CacheKey()
        for field in [Self.formatVersion, environment.headerIdentity, environment.clang.identity(), environment.architecture,
                      String(environment.pageSize), environment.kernelRelease, fileName, rewritten.body.text, epilogue, usdtReaders]
                          + tracepointStructs + keyArguments {
            key.update(field: field)
        }
        let objectsDirectory = FileSystem.join(environment.cacheDirectory, "objects")
        let objectPath = objectsDirectory + "/\(key.hex).o"
        func result(_ object: [UInt8], fromCache: Bool) -> CompiledProgram {
            CompiledProgram(object: object, tables: rewritten.tables, functions: rewritten.functions,
                            eventTypes: rewritten.eventTypes, fromCache: fromCache)
        }
        if let cached = FileSystem.contents(objectPath), !cached.isEmpty {
            return result(cached, fromCache: true)
        }

        let prelude = DialectPrelude(kernel: try environment.kernelFacts(), availableHelpers: try environment.availableHelpers(),
                                     programNames: rewritten.programNames, kconfigNames: rewritten.kconfigNames)
        let renaming = try KernelTypeRenaming(definedTypes: rewritten.definedTypes, kernelDefines: environment.kernelDefinesType)
        var unit = ""
        var compileArguments = arguments
        if compileArguments.firstIndex(of: "-include-pch") == nil,
           ImplicitReads.mayApply(sections: rewritten.functions.map(\.section), body: rewritten.body.text),
           let pch = try environment.precompiledHeader() {
            // clang's AST dump of a unit that reads the header as text is
            // 150 MB of JSON: a program that may need implicit reads waits
            // for the PCH, which keeps the header out of the dump.
            compileArguments += ["-include-pch", pch]
        }
        let pchArgument = compileArguments.firstIndex(of: "-include-pch")
        if !renaming.isEmpty, let pchArgument, let renamed = try environment.renamedPrecompiledHeader(renaming) {
            compileArguments[pchArgument + 1] = renamed
        } else if pchArgument == nil || !renaming.isEmpty {
            unit += renaming.headerInclusion(headerPath: environment.headerPath)
            if let pchArgument { compileArguments.removeSubrange(pchArgument...(pchArgument + 1)) }
        }
        unit += prelude.text
        unit += tracepointStructs.joined(separator: "\n") + "\n"
        unit += usdtReaders
        unit += "#line 1 \"\(fileName.cStringLiteralContent)\"\n"
        let bodyStart = unit.utf8.count
        unit += rewritten.body.text
        let body = bodyStart..<unit.utf8.count
        unit += "\n#line 1 \"<swift-bcc generated>\"\n" + epilogue

        try FileSystem.createDirectories(objectsDirectory, for: "object cache")
        CacheFile.removeStale(in: objectsDirectory)
        let unitPath = CacheFile.temporaryPath(for: objectsDirectory + "/" + key.hex, fileExtension: ".c")
        defer { unlink(unitPath) }
        guard FileSystem.write(Array(unit.utf8), to: unitPath) else {
            throw .file(path: unitPath, detail: "cannot write the translation unit")
        }
        if let withReads = try insertImplicitReads(unit: Array(unit.utf8), unitPath: unitPath, body: body,
                                                   rewritten: rewritten, arguments: compileArguments) {
            rewritten = withReads
        }
        var object: [UInt8] = []
        try CacheFile.publish(objectPath) { (temporaryObject: String) throws(BCCError) in
            let output = try environment.clang.compile(source: unitPath, arguments: compileArguments, output: temporaryObject)
            guard output.status == 0 else {
                let diagnostics = ModuleTypeDiagnostics(kernelDefinesType: environment.kernelDefinesType)
                    .explain(ClangDiagnostics.parse(output.diagnostics, userFile: fileName, rewritten: rewritten),
                             programTypes: rewritten.definedTypes)
                if diagnostics.contains(where: { $0.severity == .error }) {
                    throw .compileFailed(file: fileName, diagnostics: diagnostics)
                }
                throw .compilerFailed(command: environment.clang.path, detail: output.diagnostics)
            }
            guard let written = FileSystem.contents(temporaryObject) else {
                throw .compilerFailed(command: environment.clang.path, detail: "no object written to \(temporaryObject)")
            }
            object = written
        }
        return result(object, fromCache: false)
    }

    /// Globals that force each event type into the object's BTF (clang only
    /// emits types that something global refers to); the decoder reads the
    /// pointee of `__bcc_event__TABLE`.
    private func eventTypeAnchors(_ eventTypes: [String: String]) -> String {
        eventTypes.keys.sorted().map { "\(eventTypes[$0]!) *__bcc_event__\($0) __attribute__((unused));\n" }.joined()
    }

    private func compilerArguments(cflags: [String], includeDirectory: String?) -> [String] {
        var arguments = Self.compilerFlags(architecture: environment.architecture)
        if let pch = environment.precompiledHeaderPath { arguments += ["-include-pch", pch] }
        if let includeDirectory { arguments += ["-I", includeDirectory] }
        return arguments + cflags
    }
}

extension String {
    /// The text as the inside of a C string literal, backslashes and quotes
    /// escaped: a file name in `#line` or `#include`.
    var cStringLiteralContent: String {
        replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
    }
}
