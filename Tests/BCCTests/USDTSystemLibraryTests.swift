import EBPF
import ELF
import Foundation
import Testing
@testable import BCC
import TestSupport

/// USDT probes of the system's own libraries: libstdc++'s, and glibc's where
/// glibc is built with them.
@Suite struct USDTSystemLibraryTests {
    /// The NT_STAPSDT notes of `path` as binutils' readelf counts them: an oracle independent of our parser.
    static func readelfNoteCount(_ path: String) throws -> Int {
        let result = try TestSupport.run("/usr/bin/readelf", ["-n", path])
        return result.stdout.split(separator: "\n").filter { $0.contains("NT_STAPSDT") }.count
    }

    static var libc: String { (try? BinaryPath.resolve("c")) ?? "/lib/x86_64-linux-gnu/libc.so.6" }

    static var libcHasProbes: Bool { ((try? USDT(path: "c"))?.probes.isEmpty == false) }

    /// libstdc++'s libstdcxx:throw fires in a process that throws, with the
    /// exception object and its type_info as arguments 1 and 2.
    @Test func libstdcxxThrowProbeReadsTheException() throws {
        let directory = try TestSupport.temporaryDirectory("usdt-throw")
        let binary = directory.appendingPathComponent("usdt_throw")
        let build = try TestSupport.run(TestSupport.clang + "++", [
            "-O0", TestSupport.fixturesDirectory.appendingPathComponent("usdt_throw.cc").path, "-o", binary.path])
        try #require(build.status == 0, "clang++: \(build.stderr)")
        let target = try USDTTarget(binary: binary)
        let u = try USDT(pid: target.pid)
        let library = try #require(u.probes.first { $0.qualifiedName == "libstdcxx:throw" }?.locations.first?.binary)
        #expect(library.contains("libstdc++"))
        #expect(try Self.readelfNoteCount(library) == u.probes.filter { $0.locations[0].binary == library }.reduce(0) { $0 + $1.locations.count })
        try u.enableProbe(probe: "libstdcxx:throw", fnName: "on_throw")
        let program = """
            BPF_ARRAY(seen, u64, 3);
            int on_throw(struct pt_regs *ctx) {
                u64 object = 0, type = 0;
                bpf_usdt_readarg(1, ctx, &object);
                bpf_usdt_readarg(2, ctx, &type);
                seen.update(&(int){0}, &object);
                seen.update(&(int){1}, &type);
                seen.increment(2);
                return 0;
            }
            """
        try expectKernelObjectsFreed(loading: { try BPF(text: program, usdtContexts: [u]) }) { b in
            let printed = try target.fire().split(separator: " ").compactMap { UInt64($0.dropFirst(2), radix: 16) }
            try #require(printed.count == 2)
            let seen = try b.map(named: "seen")
            #expect(try seen.lookup(UInt32(2), as: UInt64.self) == 1)
            #expect(try seen.lookup(UInt32(0), as: UInt64.self) == printed[0], "the exception object")
            #expect(try seen.lookup(UInt32(1), as: UInt64.self) == printed[1], "typeid(int)")
        }
        #expect(try target.finish() == 0)
    }

    /// glibc's probes (libc:setjmp, libc:memory_*) are listed exactly as
    /// readelf counts them. Debian's glibc is built without them: there
    /// both say none.
    @Test func libcProbesAgreeWithReadelf() throws {
        let u = try USDT(path: "c")
        #expect(u.binary == Self.libc)
        let sites = u.probes.reduce(0) { $0 + $1.locations.count }
        #expect(sites == (try Self.readelfNoteCount(Self.libc)))
        if sites > 0 {
            let names = Set(u.probes.map(\.qualifiedName))
            #expect(names.contains("libc:setjmp"))
            #expect(names.contains { $0.hasPrefix("libc:memory_") })
        }
    }

    /// libc:setjmp fires in a process that calls setjmp.
    @Test(.enabled(if: Self.libcHasProbes, "this system's glibc is built without systemtap probes (Debian's is)"))
    func libcSetjmpProbeFires() throws {
        let target = try USDTTarget(binary: try TestSupport.compileHostProgram("usdt_setjmp.c"))
        let u = try USDT(pid: target.pid)
        try u.enableProbe(probe: "libc:setjmp", fnName: "on_setjmp")
        let program = """
            BPF_ARRAY(calls, u64, 1);
            int on_setjmp(struct pt_regs *ctx) { calls.increment(0); return 0; }
            """
        try expectKernelObjectsFreed(loading: { try BPF(text: program, usdtContexts: [u]) }) { b in
            let line = try target.fire()
            #expect(line == "fired")
            #expect(try b.map(named: "calls").lookup(UInt32(0), as: UInt64.self) == 3)
        }
        #expect(try target.finish() == 0)
    }
}
