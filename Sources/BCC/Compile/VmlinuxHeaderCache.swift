import BTF
import EBPF
import Foundation
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
    public let directory: URL
    private let clangPath: String?
    private let ready = Mutex<[String: Paths]>([:])

    /// The header and its precompiled form.
    public typealias Paths = (header: URL, pch: URL)

    /// A cache for the BTF at `btfPath` under `directory` (default: the
    /// user's cache directory), precompiling with `clang` (default: $BCC_CLANG,
    /// else the clang beside the running Swift toolchain, else PATH).
    public init(btfPath: String = "/sys/kernel/btf/vmlinux", directory: URL? = nil, clang: String? = nil) {
        self.btfPath = btfPath
        self.directory = directory ?? VmlinuxHeaderCache.userCacheDirectory()
        self.clangPath = clang
    }

    /// The header for this cache's BTF and a PCH of it built with
    /// `compilerFlags`, creating them on first use (about two seconds for a
    /// kernel; later calls, in any process, only read the BTF to hash it).
    public func headerPaths(compilerFlags: [String] = VmlinuxHeaderCache.defaultCompilerFlags) throws(BCCError) -> Paths {
        let flagsKey = compilerFlags.joined(separator: "\u{0}")
        return try ready.withLock { (ready: inout [String: Paths]) throws(BCCError) -> Paths in
            if let paths = ready[flagsKey] { return paths }
            let paths = try create(compilerFlags: compilerFlags)
            ready[flagsKey] = paths
            return paths
        }
    }

    // MARK: - Creation

    private func create(compilerFlags: [String]) throws(BCCError) -> Paths {
        var key = CacheKey()
        key.update(field: VmlinuxHeaderCache.formatVersion)
        try Self.hash(file: btfPath, into: &key)
        let headerDirectory = directory.appendingPathComponent(key.hex)
        let header = headerDirectory.appendingPathComponent("vmlinux.h")
        try CacheFile.createDirectory(headerDirectory, for: "header cache")
        if !FileManager.default.fileExists(atPath: header.path) {
            guard let data = FileManager.default.contents(atPath: btfPath) else {
                throw .file(path: btfPath, detail: "cannot read the kernel's BTF (needs CONFIG_DEBUG_INFO_BTF)")
            }
            let text: [UInt8]
            do {
                text = try BTF(bytes: Array(data)).cHeader()
            } catch {
                throw .file(path: btfPath, detail: "\(error)")
            }
            try CacheFile.publish(header.path) { (temporary: String) throws(BCCError) in
                guard FileManager.default.createFile(atPath: temporary, contents: Data(text)) else {
                    throw .file(path: temporary, detail: "cannot write the header")
                }
            }
        }

        let clang = if let clangPath { ClangDriver(path: clangPath) } else { try ClangDriver.locate() }
        var pchKey = CacheKey()
        for field in [clang.identity()] + compilerFlags { pchKey.update(field: field) }
        let pch = headerDirectory.appendingPathComponent("vmlinux-\(pchKey.hex).pch")
        if !FileManager.default.fileExists(atPath: pch.path) {
            try CacheFile.publish(pch.path) { (temporary: String) throws(BCCError) in
                let output = try clang.compile(source: header.path, arguments: compilerFlags + ["-x", "c-header"], output: temporary)
                guard output.status == 0 else {
                    throw .compilerFailed(command: clang.path, detail: "precompiling \(header.path): \(output.diagnostics)")
                }
            }
        }
        return (header, pch)
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
                           compilerFlags: [String] = VmlinuxHeaderCache.defaultCompilerFlags) throws(BCCError) -> URL {
        let (header, _) = try headerPaths(compilerFlags: compilerFlags)
        let clang = if let clangPath { ClangDriver(path: clangPath) } else { try ClangDriver.locate() }
        var key = CacheKey()
        for field in [clang.identity()] + compilerFlags + renaming.names { key.update(field: field) }
        let directory = header.deletingLastPathComponent()
        let wrapper = directory.appendingPathComponent("vmlinux-renamed-\(key.hex).h")
        let pch = directory.appendingPathComponent("vmlinux-renamed-\(key.hex).pch")
        if !FileManager.default.fileExists(atPath: wrapper.path) {
            try CacheFile.publish(wrapper.path) { (temporary: String) throws(BCCError) in
                guard FileManager.default.createFile(atPath: temporary, contents: Data(renaming.headerInclusion(headerPath: header.path).utf8)) else {
                    throw .file(path: temporary, detail: "cannot write the renaming header")
                }
            }
        }
        if !FileManager.default.fileExists(atPath: pch.path) {
            try CacheFile.publish(pch.path) { (temporary: String) throws(BCCError) in
                let output = try clang.compile(source: wrapper.path, arguments: compilerFlags + ["-x", "c-header"], output: temporary)
                guard output.status == 0 else {
                    throw .compilerFailed(command: clang.path, detail: "precompiling \(wrapper.path): \(output.diagnostics)")
                }
            }
        }
        return pch
    }

    /// `$XDG_CACHE_HOME/swift-bcc`, else `~/.cache/swift-bcc`.
    static func userCacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return URL(fileURLWithPath: cache).appendingPathComponent("swift-bcc")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".cache/swift-bcc")
    }
}
