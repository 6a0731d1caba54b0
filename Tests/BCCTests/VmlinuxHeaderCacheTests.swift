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
        let cache = VmlinuxHeaderCache(btfPath: Self.kernelBTF, directory: root.path, clang: TestSupport.clang)
        // Two processes' worth of callers racing on an empty cache.
        let other = VmlinuxHeaderCache(btfPath: Self.kernelBTF, directory: root.path, clang: TestSupport.clang)
        async let first = Task { try cache.headerPaths() }.value
        async let second = Task { try other.headerPaths() }.value
        let (paths, otherPaths) = try await (first, second)
        #expect(paths.header == otherPaths.header && paths.pch == otherPaths.pch)
        #expect(paths.header.hasPrefix(root.path))
        #expect(URL(fileURLWithPath: paths.header).lastPathComponent == "vmlinux.h")
        let header = try #require(FileManager.default.contents(atPath: paths.header))
        #expect(String(decoding: header.prefix(200), as: UTF8.self).contains("#ifndef __VMLINUX_H__"))
        #expect(FileManager.default.fileExists(atPath: paths.pch))
        // No temporary files are left behind.
        let entries = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: paths.header).deletingLastPathComponent().path)
        #expect(entries.sorted() == [URL(fileURLWithPath: paths.pch).lastPathComponent, "vmlinux.h"].sorted())

        // A later user reuses the files as they are.
        let modified = try FileManager.default.attributesOfItem(atPath: paths.pch)[.modificationDate] as? Date
        let again = try VmlinuxHeaderCache(btfPath: Self.kernelBTF, directory: root.path, clang: TestSupport.clang).headerPaths()
        #expect(again.header == paths.header && again.pch == paths.pch)
        #expect(try FileManager.default.attributesOfItem(atPath: paths.pch)[.modificationDate] as? Date == modified)

        // The PCH is built with the compiler's own flags, and its compiles load it.
        #expect(VmlinuxHeaderCache.defaultCompilerFlags == BPFCompiler.compilerFlags(architecture: KernelCompileEnvironment.architecture))
        let environment = CompileEnvironment(
            headerPath: paths.header, precompiledHeaderPath: paths.pch, headerIdentity: "pch-test",
            pageSize: 4096, possibleCPUs: 2, architecture: KernelCompileEnvironment.architecture,
            clang: ClangDriver(path: TestSupport.clang), cacheDirectory: root.appendingPathComponent("objects").path,
            tracepointArgs: { (category, name) throws(BCCError) in
                throw .tracepointFormat(tracepoint: "\(category):\(name)", detail: "no tracefs in this test")
            },
            availableHelpers: { Set(HelperPrototypes.all.map(\.name)) },
            kernelRelease: "pch-test",
            kernelFacts: { KernelFacts(pageSize: 4096, architecture: KernelCompileEnvironment.architecture, versionCode: 0x061200) },
            kernelDefinesType: { _ in false })
        // task_struct comes from the kernel's header, through the PCH alone.
        let compiled = try BPFCompiler(environment: environment).compile(
            source: "int on_exec(struct pt_regs *ctx) { struct task_struct *task = (void *)bpf_get_current_task(); return task->pid; }\n",
            fileName: "prog.c", cflags: [], includeDirectory: nil)
        #expect(!compiled.fromCache && compiled.object.starts(with: [0x7F, 0x45, 0x4C, 0x46]))
    }

    @Test(.enabled(if: hasBTF, "kernel has no BTF (CONFIG_DEBUG_INFO_BTF)"))
    func aNewKernelCompilesFromTheHeaderTextWhileThePCHIsBuilt() throws {
        let root = try TestSupport.temporaryDirectory("vmlinux-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = VmlinuxHeaderCache(btfPath: Self.kernelBTF, directory: root.path, clang: TestSupport.clang)
        // The first call writes the header and does not wait for the PCH.
        let first = try cache.headerAndBuiltPrecompiledHeader()
        #expect(first.pch == nil)
        #expect(FileManager.default.fileExists(atPath: first.header))
        // A caller that needs the PCH gets the one the background thread builds.
        let paths = try cache.headerPaths()
        #expect(paths.header == first.header && FileManager.default.fileExists(atPath: paths.pch))
        let later = try VmlinuxHeaderCache(btfPath: Self.kernelBTF, directory: root.path, clang: TestSupport.clang).headerAndBuiltPrecompiledHeader()
        #expect(later.pch == paths.pch)

        // The object compiled from the header's text is the one a run with the PCH finds.
        func environment(pch: String?) -> CompileEnvironment {
            CompileEnvironment(
                headerPath: paths.header, precompiledHeaderPath: pch, headerIdentity: "text-or-pch",
                pageSize: 4096, possibleCPUs: 2, architecture: KernelCompileEnvironment.architecture,
                clang: ClangDriver(path: TestSupport.clang), cacheDirectory: root.appendingPathComponent("objects").path,
                tracepointArgs: { (category, name) throws(BCCError) in
                    throw .tracepointFormat(tracepoint: "\(category):\(name)", detail: "no tracefs in this test")
                },
                availableHelpers: { Set(HelperPrototypes.all.map(\.name)) },
                kernelRelease: "text-or-pch",
                kernelFacts: { KernelFacts(pageSize: 4096, architecture: KernelCompileEnvironment.architecture, versionCode: 0x061200) },
                kernelDefinesType: { _ in false })
        }
        let source = "BPF_HASH(counts, u32, u64);\nint on_exec(struct pt_regs *ctx) { u32 k = sizeof(struct task_struct); counts.increment(k); return 0; }\n"
        let fromText = try BPFCompiler(environment: environment(pch: nil)).compile(source: source, fileName: "prog.c", cflags: [], includeDirectory: nil)
        #expect(!fromText.fromCache && fromText.object.starts(with: [0x7F, 0x45, 0x4C, 0x46]))
        let withPCH = try BPFCompiler(environment: environment(pch: paths.pch)).compile(source: source, fileName: "prog.c", cflags: [], includeDirectory: nil)
        #expect(withPCH.fromCache && withPCH.object == fromText.object)
    }

    @Test func temporariesOfEndedProcessesAreRemoved() throws {
        let root = try TestSupport.temporaryDirectory("vmlinux-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let pch = root.appendingPathComponent("vmlinux-0123.pch").path
        let abandoned = pch + ".\(Int32.max).42.tmp", ours = pch + ".\(getpid()).7.tmp", other = root.appendingPathComponent("vmlinux.h.1.2.tmp").path
        for path in [abandoned, ours, other] { #expect(FileManager.default.createFile(atPath: path, contents: Data([1]))) }
        CacheFile.removeAbandonedTemporaries(of: pch)
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: ours) && FileManager.default.fileExists(atPath: other))
    }

    @Test func reportsAMissingBTFFile() throws {
        let root = try TestSupport.temporaryDirectory("vmlinux-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = VmlinuxHeaderCache(btfPath: root.appendingPathComponent("missing").path, directory: root.path)
        #expect { try cache.headerPaths() } throws: { error in
            "\(error)".contains("missing") && "\(error)".contains("cannot read")
        }
    }

    @Test func reportsMalformedBTF() throws {
        let root = try TestSupport.temporaryDirectory("vmlinux-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let bogus = root.appendingPathComponent("bogus.btf")
        try Data([0x9f, 0xeb, 1, 0, 24, 0, 0, 0]).write(to: bogus)
        let cache = VmlinuxHeaderCache(btfPath: bogus.path, directory: root.path)
        #expect { try cache.headerPaths() } throws: { error in
            "\(error)".contains("bogus.btf") && "\(error)".contains("truncated")
        }
    }

    @Test func cacheDirectoryFollowsXDG() {
        #expect(VmlinuxHeaderCache.userCacheDirectory(environment: ["XDG_CACHE_HOME": "/var/cache/u", "HOME": "/home/u"])
            == "/var/cache/u/swift-bcc")
        #expect(VmlinuxHeaderCache.userCacheDirectory(environment: ["HOME": "/home/u"]) == "/home/u/.cache/swift-bcc")
        #expect(VmlinuxHeaderCache.userCacheDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"])
            == "/home/u/.cache/swift-bcc")
    }

    @Test func cacheKeyIsFNV1aAndSeparatesFields() {
        func hash(_ text: String) -> String {
            var key = CacheKey()
            key.update(Array(text.utf8))
            return key.hex
        }
        #expect(hash("") == "cbf29ce484222325")
        #expect(hash("a") == "af63dc4c8601ec8c")
        #expect(hash("foobar") == "85944171f73967e8")
        func fields(_ list: [String]) -> String {
            var key = CacheKey()
            for field in list { key.update(field: field) }
            return key.hex
        }
        #expect(fields(["ab", "c"]) != fields(["a", "bc"]))
        #expect(fields(["a", "bc"]) == fields(["a", "bc"]))
    }
}
