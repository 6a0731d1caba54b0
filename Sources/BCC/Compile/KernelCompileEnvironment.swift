import BTF
import EBPF
import Foundation

/// The compile environment of the running kernel, built once per process:
/// the BTF header (and its precompiled form) from the header cache, the page
/// size, the CPUs, the compiler, tracefs formats and the kernel's helpers.
enum KernelCompileEnvironment {
    /// The environment for this process; the first call locates the compiler and the header.
    static func current() throws -> CompileEnvironment {
        try shared.get()
    }

    private static let shared: Result<CompileEnvironment, any Error> = Result {
        let clang = try ClangDriver.locate()
        let cache = VmlinuxHeaderCache.shared
        let header = try cache.headerPaths()
        var system = utsname()
        uname(&system)
        let machine = withUnsafeBytes(of: &system.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let release = withUnsafeBytes(of: &system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        return CompileEnvironment(
            headerPath: header.header.path,
            precompiledHeaderPath: header.pch.path,
            // The header's directory is named by a hash of the kernel's BTF.
            headerIdentity: header.header.path,
            pageSize: pageSize,
            possibleCPUs: try PossibleCPUs.count(),
            architecture: machine,
            clang: clang,
            cacheDirectory: cache.directory,
            tracepointArgs: { category, name in
                TracepointArgsStruct(try Tracefs.eventFormat(category: category, name: name))
            },
            availableHelpers: { try kernelHelperNames() },
            kernelRelease: release,
            kernelFacts: {
                KernelFacts(btf: try KernelBTF.shared(), pageSize: pageSize, architecture: machine,
                            version: KernelVersion(release: release) ?? KernelVersion(0, 0))
            },
            kernelDefinesType: { type in try kernelDefines(type) })
    }

    /// True when the kernel's BTF defines `type` completely: "struct T",
    /// "union T", "enum T" with members, or typedef T (a forward declaration
    /// does not collide with a program's definition).
    static func kernelDefines(_ type: String) throws -> Bool {
        let btf = try KernelBTF.shared()
        let parts = type.split(separator: " ")
        guard parts.count == 2 else { return btf.firstType(named: type, kind: .typedef) != nil }
        let name = String(parts[1])
        switch parts[0] {
        case "struct": return btf.firstType(named: name, kind: .struct) != nil
        case "union": return btf.firstType(named: name, kind: .union) != nil
        default: return btf.firstType(named: name, kind: .enum) != nil || btf.firstType(named: name, kind: .enum64) != nil
        }
    }

    /// The names (without bpf_) of the kernel's `enum bpf_func_id` enumerators
    /// BPF_FUNC_*, read from the process's shared kernel BTF.
    static func kernelHelperNames() throws -> Set<String> {
        let btf = try KernelBTF.shared()
        guard let functionIDs = btf.firstType(named: "bpf_func_id", kind: .enum) else {
            throw BCCError.file(path: KernelBTF.path, detail: "the kernel's BTF has no enum bpf_func_id")
        }
        var names = Set<String>()
        for value in btf.enumValues(of: functionIDs.id) where value.name.hasPrefix("BPF_FUNC_") {
            names.insert(String(value.name.dropFirst("BPF_FUNC_".count)))
        }
        return names
    }
}
