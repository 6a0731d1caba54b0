import Foundation
import Testing
@testable import EBPF

@Suite struct AttachBinaryPathTests {
    /// "c" is libc, as in bcc's attach_uprobe(name="c"): the file this process has mapped.
    @Test func libraryNameResolvesToTheMappedLibc() throws {
        let path = try BinaryPath.resolve("c")
        #expect((path as NSString).lastPathComponent.hasPrefix("libc.so") || (path as NSString).lastPathComponent.hasPrefix("libc-"))
        #expect(BinaryPath.mappedFiles(pid: nil).contains(path))
        #expect(try BinaryPath.resolve("libc.so.6").hasSuffix("libc.so.6"))
    }

    @Test func libraryNotMappedIsFoundInTheLinkerCache() throws {
        let cache = try LinkerCache()
        #expect(!cache.entries.isEmpty)
        #expect(cache.entries.allSatisfy { $0.path.hasPrefix("/") })
        let libc = try #require(cache.path { $0 == "libc.so.6" })
        #expect(FileManager.default.fileExists(atPath: libc))
    }

    @Test func executablesOnPathAndPaths() throws {
        #expect(try BinaryPath.resolve("sh").hasSuffix("/sh"))
        #expect(try BinaryPath.resolve("/bin/sh") == "/bin/sh")
        expectBPFError(.notFound) { try BinaryPath.resolve("/no/such/file") }
        let error = expectBPFError(.notFound) { try BinaryPath.resolve("no_such_library_xyz") }
        #expect(error?.description.contains("libno_such_library_xyz.so") == true)
    }

    /// Cut or corrupted caches are errors, never out-of-bounds reads.
    @Test func malformedLinkerCacheIsAnError() throws {
        let good = try SysFile.readBytes(LinkerCache.defaultPath)
        for length in [0, 10, 20, 47, 48, 60, good.count / 2] where length < good.count {
            expectBPFError(.malformed) { try LinkerCache(bytes: Array(good.prefix(length)), path: "cut") }
        }
        var huge = good
        huge[20] = 0xff; huge[21] = 0xff; huge[22] = 0xff; huge[23] = 0x7f  // entry count
        expectBPFError(.malformed) { try LinkerCache(bytes: huge, path: "huge") }
        var dangling = good
        dangling[48 + 4] = 0xff; dangling[48 + 5] = 0xff; dangling[48 + 6] = 0xff; dangling[48 + 7] = 0x7f  // first key
        let error = expectBPFError(.malformed) { try LinkerCache(bytes: dangling, path: "dangling") }
        #expect(error?.description.contains("entry 0") == true)
    }
}
