import BTF
import EBPF
import Glibc
import Synchronization

/// The running kernel's types as a C header (vmlinux.h) plus a clang
/// precompiled header of it, written once per kernel and reused.
///
/// Programs compile against the exact types of the kernel they run on,
/// with no kernel headers installed:
///
///     let (header, pch) = try VmlinuxHeaderCache.shared.headerPaths()
///     // clang <VmlinuxHeaderCache.defaultCompilerFlags> -include-pch <pch> -c prog.c
///
/// Files live under `$XDG_CACHE_HOME/swift-bcc` (else `~/.cache/swift-bcc`)
/// in a directory named by a hash of the BTF bytes, so a new kernel gets a
/// new header and the header's path identifies the kernel's types. Every
/// file is published as the object cache's are (`CacheFile.publish`):
/// concurrent processes see a complete file or none, and the first one
/// published stays.
public final class VmlinuxHeaderCache: Sendable {
    /// The cache for the running kernel (/sys/kernel/btf/vmlinux).
    public static let shared = VmlinuxHeaderCache()

    /// The flags the precompiled header is built with by default: those
    /// `BPF(text:)` compiles with on this machine. A PCH only loads into
    /// compiles with the same target, CPU, language standard and predefined
    /// macros, so compile with these (extra -I and -W flags are fine).
    public static var defaultCompilerFlags: [String] {
        BPFCompiler.compilerFlags(architecture: KernelCompileEnvironment.architecture)
    }

    /// Bump when the emitted header changes, so old headers are not reused.
    static let formatVersion = "swift-bcc-vmlinux-1"

    /// The BTF file the header is written from.
    public let btfPath: String
    /// The cache's root directory.
    public let directory: String
    private let clangPath: String?
    private let ready = Mutex<[String: Paths]>([:])
    /// PCHs this process builds or built on a thread of their own.
    private let building = Mutex<Set<String>>([])

    /// The header and its precompiled form.
    public typealias Paths = (header: String, pch: String)

    /// A cache for the BTF at `btfPath` under `directory` (default: the
    /// user's cache directory), precompiling with `clang` (default: $BCC_CLANG,
    /// else the clang beside the running Swift toolchain, else PATH).
    public init(btfPath: String = "/sys/kernel/btf/vmlinux", directory: String? = nil, clang: String? = nil) {
        self.btfPath = btfPath
        self.directory = directory ?? VmlinuxHeaderCache.userCacheDirectory()
        self.clangPath = clang
    }

    /// The header for this cache's BTF and a PCH of it built with
    /// `compilerFlags`, creating them on first use (about two seconds for a
    /// kernel; later calls, in any process, only read the BTF to hash it).
    public func headerPaths(compilerFlags: [String] = VmlinuxHeaderCache.defaultCompilerFlags) throws(BCCError) -> Paths {
        let flagsKey = compilerFlags.joined(separator: "\u{0}")
        // While another thread builds the PCH (a background build holds the
        // lock), wait in steps that notice the calling task's cancellation.
        while true {
            let paths = try ready.withLockIfAvailable { (ready: inout [String: Paths]) throws(BCCError) -> Paths in
                if let paths = ready[flagsKey] { return paths }
                let header = try self.header()
                let pch = try precompiledHeaderPath(header: header, compilerFlags: compilerFlags)
                if !FileSystem.exists(pch) {
                    try buildPrecompiledHeader(header: header, pch: pch, compilerFlags: compilerFlags)
                }
                ready[flagsKey] = (header, pch)
                return (header, pch)
            }
            if let paths { return paths }
            if Task.isCancelled {
                throw .compilerFailed(command: "clang", detail: "cancelled: the calling task was cancelled while the kernel's PCH was being built")
            }
            usleep(20_000)
        }
    }

    /// The header, written now when missing, and its PCH for `compilerFlags`
    /// when one is already built. When none is, this call does not wait for
    /// it: the PCH is built on a thread of its own for the compiles of later
    /// runs, and this run's compiles read the header as text, which on a new
    /// machine brings the first event about a second sooner (the PCH takes
    /// longer to build than a compile saves).
    func headerAndBuiltPrecompiledHeader(compilerFlags: [String] = VmlinuxHeaderCache.defaultCompilerFlags) throws(BCCError) -> (header: String, pch: String?) {
        let header = try self.header()
        let pch = try precompiledHeaderPath(header: header, compilerFlags: compilerFlags)
        if FileSystem.exists(pch) { return (header, pch) }
        let starts = building.withLock { $0.insert(pch).inserted }
        if starts {
            // Through headerPaths, under its lock: a compile of this process
            // that needs the PCH now waits for this build instead of starting one.
            // Failing to start it only leaves the PCH to a later run.
            try? DetachedThread.start { [self] in
                _ = try? headerPaths(compilerFlags: compilerFlags)
            }
        }
        return (header, nil)
    }

    // MARK: - Creation

    /// The header of this cache's BTF, written when it is missing, with a
    /// progress line while it is written when standard error is a terminal.
    private func header() throws(BCCError) -> String {
        var key = CacheKey()
        key.update(field: VmlinuxHeaderCache.formatVersion)
        try Self.hash(file: btfPath, into: &key)
        let headerDirectory = FileSystem.join(directory, key.hex)
        let header = headerDirectory + "/vmlinux.h"
        // Each process passes here first: temporary files a killed one left go now.
        CacheFile.removeStale(in: headerDirectory)
        if FileSystem.exists(header) { return header }
        try FileSystem.createDirectories(headerDirectory, for: "header cache")
        guard let data = FileSystem.contents(btfPath) else {
            throw .file(path: btfPath, detail: "cannot read the kernel's BTF (needs CONFIG_DEBUG_INFO_BTF)")
        }
        let progress = isatty(STDERR_FILENO) == 1
        if progress { StandardOutput.writeToStandardError("Preparing kernel types (once per kernel)...") }
        // Erase the line, so that it leaves no trace in the tool's output.
        defer { if progress { StandardOutput.writeToStandardError("\r\u{1B}[K") } }
        let text: [UInt8]
        do {
            text = try BTF(bytes: data).cHeader()
        } catch {
            throw .file(path: btfPath, detail: "\(error)")
        }
        try CacheFile.publish(header) { (temporary: String) throws(BCCError) in
            guard FileSystem.write(text, to: temporary) else {
                throw .file(path: temporary, detail: "cannot write the header")
            }
        }
        return header
    }

    /// Where the PCH of `header` built with `compilerFlags` by this cache's clang lives.
    private func precompiledHeaderPath(header: String, compilerFlags: [String]) throws(BCCError) -> String {
        let clang = if let clangPath { ClangDriver(path: clangPath) } else { try ClangDriver.locate() }
        var pchKey = CacheKey()
        for field in [clang.identity()] + compilerFlags { pchKey.update(field: field) }
        return FileSystem.directory(of: header) + "/vmlinux-\(pchKey.hex).pch"
    }

    /// Precompiles `header` into `pch` (published atomically), first removing
    /// the temporary files of builds whose process ended before publishing.
    private func buildPrecompiledHeader(header: String, pch: String, compilerFlags: [String]) throws(BCCError) {
        CacheFile.removeAbandonedTemporaries(of: pch)
        let clang = if let clangPath { ClangDriver(path: clangPath) } else { try ClangDriver.locate() }
        try CacheFile.publish(pch) { (temporary: String) throws(BCCError) in
            let output = try clang.compile(source: header, arguments: compilerFlags + ["-x", "c-header"], output: temporary)
            guard output.status == 0 else {
                throw .compilerFailed(command: clang.path, detail: "precompiling \(header): \(output.diagnostics)")
            }
        }
    }

    /// Adds the bytes of the file at `path` to `key`, read in chunks: a
    /// warm start names the header directory without holding the kernel's
    /// 5 MB of BTF (twice, as Data and as an array, it was most of a tool's
    /// peak memory).
    private static func hash(file path: String, into key: inout CacheKey) throws(BCCError) {
        let detail = "cannot read the kernel's BTF (needs CONFIG_DEBUG_INFO_BTF)"
        let file: OwnedFD
        do {
            file = try OwnedFD.open(path, flags: O_RDONLY)
        } catch {
            throw .file(path: path, detail: "\(detail): \(error)")
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { chunk.deallocate() }
        while true {
            let count: Int
            do {
                count = try file.read(into: chunk)
            } catch {
                throw .file(path: path, detail: "\(detail): read: errno \(error.rawValue)")
            }
            if count == 0 { return }
            key.update(UnsafeRawBufferPointer(rebasing: chunk[..<count]))
        }
    }

    /// A PCH of the header with the types of `renaming` renamed, for the
    /// programs that define types of those names themselves: built on first
    /// use beside the plain one (about two seconds) and reused by every
    /// program with the same collisions, so their compiles keep the PCH's speed.
    func precompiledHeader(renaming: KernelTypeRenaming,
                           compilerFlags: [String] = VmlinuxHeaderCache.defaultCompilerFlags) throws(BCCError) -> String {
        let (header, _) = try headerPaths(compilerFlags: compilerFlags)
        let clang = if let clangPath { ClangDriver(path: clangPath) } else { try ClangDriver.locate() }
        var key = CacheKey()
        for field in [clang.identity()] + compilerFlags + renaming.names { key.update(field: field) }
        let directory = FileSystem.directory(of: header)
        let wrapper = directory + "/vmlinux-renamed-\(key.hex).h"
        let pch = directory + "/vmlinux-renamed-\(key.hex).pch"
        if !FileSystem.exists(wrapper) {
            try CacheFile.publish(wrapper) { (temporary: String) throws(BCCError) in
                guard FileSystem.write(Array(renaming.headerInclusion(headerPath: header).utf8), to: temporary) else {
                    throw .file(path: temporary, detail: "cannot write the renaming header")
                }
            }
        }
        if !FileSystem.exists(pch) {
            try CacheFile.publish(pch) { (temporary: String) throws(BCCError) in
                let output = try clang.compile(source: wrapper, arguments: compilerFlags + ["-x", "c-header"], output: temporary)
                guard output.status == 0 else {
                    throw .compilerFailed(command: clang.path, detail: "precompiling \(wrapper): \(output.diagnostics)")
                }
            }
        }
        return pch
    }

    /// `$XDG_CACHE_HOME/swift-bcc`, else `~/.cache/swift-bcc`.
    static func userCacheDirectory(environment: [String: String] = ProcessEnvironment.current) -> String {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return FileSystem.join(cache, "swift-bcc")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? getpwuid(getuid()).map { String(cString: $0.pointee.pw_dir) } ?? "/"
        return FileSystem.join(home, ".cache/swift-bcc")
    }
}
