import Foundation
import Testing
import TestSupport
@testable import BCC

@Suite("vmlinux.h cache")
struct VmlinuxHeaderCacheTests {
    static let kernelBTF = "/sys/kernel/btf/vmlinux"
    static let hasBTF = FileManager.default.fileExists(atPath: kernelBTF)

    @Test(.enabled(if: hasBTF, "kernel has no BTF (CONFIG_DEBUG_INFO_BTF)"))
    func writesTheHeaderAndPCHOnceAndCompilesWithThem() async throws {
        let root = try TestSupport.temporaryDirectory("vmlinux-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = VmlinuxHeaderCache(btfPath: Self.kernelBTF, directory: root, clang: TestSupport.clang)
        // Two processes' worth of callers racing on an empty cache.
        let other = VmlinuxHeaderCache(btfPath: Self.kernelBTF, directory: root, clang: TestSupport.clang)
        async let first = Task { try cache.headerPaths() }.value
        async let second = Task { try other.headerPaths() }.value
        let (paths, otherPaths) = try await (first, second)
        #expect(paths.header == otherPaths.header && paths.pch == otherPaths.pch)
        #expect(paths.header.path.hasPrefix(root.path))
        #expect(paths.header.lastPathComponent == "vmlinux.h")
        let header = try #require(FileManager.default.contents(atPath: paths.header.path))
        #expect(String(decoding: header.prefix(200), as: UTF8.self).contains("#ifndef __VMLINUX_H__"))
        #expect(FileManager.default.fileExists(atPath: paths.pch.path))
        // No temporary files are left behind.
        let entries = try FileManager.default.contentsOfDirectory(atPath: paths.header.deletingLastPathComponent().path)
        #expect(entries.sorted() == [paths.pch.lastPathComponent, "vmlinux.h"].sorted())

        // A later user reuses the files as they are.
        let modified = try FileManager.default.attributesOfItem(atPath: paths.pch.path)[.modificationDate] as? Date
        let again = try VmlinuxHeaderCache(btfPath: Self.kernelBTF, directory: root, clang: TestSupport.clang).headerPaths()
        #expect(again.header == paths.header && again.pch == paths.pch)
        #expect(try FileManager.default.attributesOfItem(atPath: paths.pch.path)[.modificationDate] as? Date == modified)

        // A program compiles against the precompiled header.
        let source = root.appendingPathComponent("prog.c")
        try "int pid_of(struct task_struct *task) { return task->pid; }\n".write(to: source, atomically: false, encoding: .utf8)
        let result = try TestSupport.run(
            TestSupport.clang,
            VmlinuxHeaderCache.defaultCompilerFlags + ["-include-pch", paths.pch.path, "-c", source.path, "-o", root.appendingPathComponent("prog.o").path])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func reportsAMissingBTFFile() throws {
        let root = try TestSupport.temporaryDirectory("vmlinux-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = VmlinuxHeaderCache(btfPath: root.appendingPathComponent("missing").path, directory: root)
        #expect { try cache.headerPaths() } throws: { error in
            "\(error)".contains("missing") && "\(error)".contains("cannot read")
        }
    }

    @Test func reportsMalformedBTF() throws {
        let root = try TestSupport.temporaryDirectory("vmlinux-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let bogus = root.appendingPathComponent("bogus.btf")
        try Data([0x9f, 0xeb, 1, 0, 24, 0, 0, 0]).write(to: bogus)
        let cache = VmlinuxHeaderCache(btfPath: bogus.path, directory: root)
        #expect { try cache.headerPaths() } throws: { error in
            "\(error)".contains("bogus.btf") && "\(error)".contains("truncated")
        }
    }

    @Test func cacheDirectoryFollowsXDG() {
        #expect(VmlinuxHeaderCache.userCacheDirectory(environment: ["XDG_CACHE_HOME": "/var/cache/u", "HOME": "/home/u"]).path
            == "/var/cache/u/swift-bcc")
        #expect(VmlinuxHeaderCache.userCacheDirectory(environment: ["HOME": "/home/u"]).path == "/home/u/.cache/swift-bcc")
        #expect(VmlinuxHeaderCache.userCacheDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]).path
            == "/home/u/.cache/swift-bcc")
    }

    @Test func fnv1aMatchesTheReferenceVectors() {
        var empty = FNV1a()
        empty.update([])
        #expect(empty.hex == "cbf29ce484222325")
        var a = FNV1a()
        a.update(Array("a".utf8))
        #expect(a.hex == "af63dc4c8601ec8c")
        var foobar = FNV1a()
        foobar.update(Array("foobar".utf8))
        #expect(foobar.hex == "85944171f73967e8")
    }
}
