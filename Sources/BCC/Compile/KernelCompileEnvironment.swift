import BTF
import EBPF
import Glibc

/// The compile environment of the running kernel, built once per process:
/// the BTF header (and its precompiled form, built with the compiler's own
/// flags) from the header cache, the page size, the CPUs, the compiler,
/// tracefs formats and the kernel's helpers.
enum KernelCompileEnvironment {
    /// The environment for this process; the first call locates the compiler and the header.
    static func current() throws(BCCError) -> CompileEnvironment {
        try shared.get()
    }

    /// The environment for loading the program `fileName`: first checks that
    /// this process may load tracing programs at all, before the compiler
    /// runs or the header cache is written (a user without CAP_BPF and
    /// CAP_PERFMON is told so at once, and nothing lands in their cache).
    static func forLoading(_ fileName: String) throws(BCCError) -> CompileEnvironment {
        do {
            try Capabilities.requireTracing(for: "loading BPF programs")
        } catch {
            throw .kernel(operation: "load", object: fileName, cause: error)
        }
        return try current()
    }

    /// `uname -m` of this machine ("x86_64", "aarch64").
    static let architecture: String = {
        var system = utsname()
        uname(&system)
        return withUnsafeBytes(of: &system.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()

    /// `uname -r` of the running kernel.
    static let release: String = {
        var system = utsname()
        uname(&system)
        return withUnsafeBytes(of: &system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()

    private static let shared: Result<CompileEnvironment, BCCError> = Result { () throws(BCCError) in
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let clang = try ClangDriver.locate()
        let cache = VmlinuxHeaderCache.shared
        // A new kernel's PCH is built in the background: compiles read the
        // header as text until it is there.
        let header = try cache.headerAndBuiltPrecompiledHeader(compilerFlags: BPFCompiler.compilerFlags(architecture: architecture))
        return CompileEnvironment(
            headerPath: header.header,
            precompiledHeaderPath: header.pch,
            // The header's directory is named by a hash of the kernel's BTF.
            headerIdentity: header.header,
            pageSize: pageSize,
            possibleCPUs: try BCCError.wrapping("count", "possible CPUs") { try PossibleCPUs.count() },
            architecture: architecture,
            clang: clang,
            cacheDirectory: cache.directory,
            tracepointArgs: { (category, name) throws(BCCError) in
                let format = try BCCError.wrapping("read the format of", "tracepoint \(category):\(name)") {
                    try Tracefs.eventFormat(category: category, name: name)
                }
                return TracepointArgsStruct(format)
            },
            availableHelpers: { () throws(BCCError) in try kernelHelperNames() },
            kernelRelease: release,
            kernelFacts: { () throws(BCCError) in
                let btf = try BCCError.wrapping("read", KernelBTF.path) { try KernelBTF.shared() }
                var facts = KernelFacts(btf: btf, pageSize: pageSize, architecture: architecture,
                                        version: KernelVersion(release: release) ?? KernelVersion(0, 0))
                facts.configuration = KernelConfigFile.read(release: release)
                return facts
            },
            kernelDefinesType: { (type) throws(BCCError) in try kernelDefines(type) },
            kernelBitfield: { (record, member) throws(BCCError) in try kernelBitfield(record, member) },
            renamedPrecompiledHeader: { (renaming) throws(BCCError) in
                try cache.precompiledHeader(renaming: renaming, compilerFlags: BPFCompiler.compilerFlags(architecture: architecture))
            },
            precompiledHeader: { () throws(BCCError) in
                try cache.headerPaths(compilerFlags: BPFCompiler.compilerFlags(architecture: architecture)).pch
            })
    }

    /// True when the kernel's BTF defines `type` completely: "struct T",
    /// "union T", "enum T" with members, or typedef T (a forward declaration
    /// does not collide with a program's definition).
    static func kernelDefines(_ type: String) throws(BCCError) -> Bool {
        let btf = try BCCError.wrapping("read", KernelBTF.path) { try KernelBTF.shared() }
        let parts = type.split(separator: " ")
        guard parts.count == 2 else { return btf.firstType(named: type, kind: .typedef) != nil }
        let name = String(parts[1])
        switch parts[0] {
        case "struct": return btf.firstType(named: name, kind: .struct) != nil
        case "union": return btf.firstType(named: name, kind: .union) != nil
        default: return btf.firstType(named: name, kind: .enum) != nil || btf.firstType(named: name, kind: .enum64) != nil
        }
    }

    /// True when member `member` of the kernel's `record` ("struct task_struct",
    /// "union T", or a typedef of one) is a bitfield, looking into anonymous members.
    static func kernelBitfield(_ record: String, _ member: String) throws(BCCError) -> Bool {
        let btf = try BCCError.wrapping("read", KernelBTF.path) { try KernelBTF.shared() }
        let parts = record.split(separator: " ")
        let type: BTFTypeID?
        switch (parts.count, parts.first) {
        case (2, "struct"?): type = btf.firstType(named: String(parts[1]), kind: .struct)?.id
        case (2, "union"?): type = btf.firstType(named: String(parts[1]), kind: .union)?.id
        case (1, _): type = btf.firstType(named: record, kind: .typedef).map { btf.resolved($0.id) }
        default: type = nil
        }
        guard let type else { return false }
        func find(in type: BTFTypeID, depth: Int) -> Bool {
            for candidate in btf.members(of: type) {
                if candidate.name == member { return candidate.isBitfield }
                if candidate.name.isEmpty, depth < 8, find(in: btf.resolved(candidate.type), depth: depth + 1) { return true }
            }
            return false
        }
        return find(in: type, depth: 0)
    }

    /// The names (without bpf_) of the kernel's `enum bpf_func_id` enumerators
    /// BPF_FUNC_*, read from the process's shared kernel BTF.
    static func kernelHelperNames() throws(BCCError) -> Set<String> {
        let btf = try BCCError.wrapping("read", KernelBTF.path) { try KernelBTF.shared() }
        guard let functionIDs = btf.firstType(named: "bpf_func_id", kind: .enum) else {
            throw .file(path: KernelBTF.path, detail: "the kernel's BTF has no enum bpf_func_id")
        }
        var names = Set<String>()
        for value in btf.enumValues(of: functionIDs.id) where value.name.hasPrefix("BPF_FUNC_") {
            names.insert(String(value.name.dropFirst("BPF_FUNC_".count)))
        }
        return names
    }
}
