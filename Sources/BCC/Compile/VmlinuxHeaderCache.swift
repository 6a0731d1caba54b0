import BTF
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
/// file is written to a temporary name and then linked into place:
/// concurrent processes see a complete file or none, and the first one
/// published stays.
public final class VmlinuxHeaderCache: Sendable {
    /// The cache for the running kernel (/sys/kernel/btf/vmlinux).
    public static let shared = VmlinuxHeaderCache()

    /// The flags the precompiled header is built with by default. A PCH only
    /// loads into compiles with the same target, CPU and language standard,
    /// so compile with these (extra -D, -I and -W flags are fine).
    public static let defaultCompilerFlags = ["-target", "bpf", "-O2", "-g", "-mcpu=v3", "-std=gnu11"]

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
    public func headerPaths(compilerFlags: [String] = VmlinuxHeaderCache.defaultCompilerFlags) throws -> Paths {
        let flagsKey = compilerFlags.joined(separator: "\u{0}")
        return try ready.withLock { ready in
            if let paths = ready[flagsKey] { return paths }
            let paths = try create(compilerFlags: compilerFlags)
            ready[flagsKey] = paths
            return paths
        }
    }

    // MARK: - Creation

    private func create(compilerFlags: [String]) throws -> Paths {
        guard let data = FileManager.default.contents(atPath: btfPath) else {
            throw BCCError.file(path: btfPath, detail: "cannot read the kernel's BTF (needs CONFIG_DEBUG_INFO_BTF)")
        }
        let btfBytes = Array(data)
        var hash = FNV1a()
        hash.update(Array(VmlinuxHeaderCache.formatVersion.utf8))
        hash.update(btfBytes)
        let headerDirectory = directory.appendingPathComponent(hash.hex)
        let header = headerDirectory.appendingPathComponent("vmlinux.h")
        do {
            try FileManager.default.createDirectory(at: headerDirectory, withIntermediateDirectories: true)
        } catch {
            throw BCCError.file(path: headerDirectory.path, detail: "cannot create the header cache: \(error)")
        }
        if !FileManager.default.fileExists(atPath: header.path) {
            let text: [UInt8]
            do {
                text = try BTF(bytes: btfBytes).cHeader()
            } catch {
                throw BCCError.file(path: btfPath, detail: "\(error)")
            }
            try publish(header) { temporary in
                guard FileManager.default.createFile(atPath: temporary, contents: Data(text)) else {
                    throw BCCError.file(path: temporary, detail: "cannot write the header")
                }
            }
        }

        let clang = try clangPath.map { ClangDriver(path: $0) } ?? ClangDriver.locate()
        var pchHash = FNV1a()
        pchHash.update(Array((clang.identity() + "\u{0}" + compilerFlags.joined(separator: "\u{0}")).utf8))
        let pch = headerDirectory.appendingPathComponent("vmlinux-\(pchHash.hex).pch")
        if !FileManager.default.fileExists(atPath: pch.path) {
            try publish(pch) { temporary in
                let output = try clang.compile(source: header.path, arguments: compilerFlags + ["-x", "c-header"], output: temporary)
                guard output.status == 0 else {
                    throw BCCError.compilerFailed(command: clang.path, detail: "precompiling \(header.path): \(output.diagnostics)")
                }
            }
        }
        return (header, pch)
    }

    /// Runs `write` on a unique temporary path beside `destination`, then
    /// moves it into place unless another process got there first: an
    /// existing file is never replaced, because a PCH built from it records
    /// its modification time.
    private func publish(_ destination: URL, write: (String) throws -> Void) throws {
        let temporary = destination.path + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        try write(temporary)
        if link(temporary, destination.path) == 0 || errno == EEXIST { return }
        // Filesystems without hard links: rename, which may replace.
        guard rename(temporary, destination.path) == 0 else {
            throw BCCError.file(path: destination.path, detail: "cannot move \(temporary) into place: \(String(cString: strerror(errno)))")
        }
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

/// FNV-1a, 64-bit: a fast non-cryptographic hash naming cache entries.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func update(_ bytes: [UInt8]) {
        var hash = value
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        value = hash
    }

    /// The hash as 16 lowercase hex digits.
    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
