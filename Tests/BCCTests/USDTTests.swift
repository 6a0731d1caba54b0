import EBPF
import ELF
import Foundation
import Testing
@testable import BCC
import TestSupport

/// Reads every argument of every probe of Tests/Fixtures/usdt_target.c: in
/// registers, on the stack, indexed, immediate, rip-relative, a string
/// through bpf_usdt_readarg_p, a probe with two sites whose specs differ,
/// and a probe guarded by a semaphore. `last` holds the value of argument A
/// of probe P at key P << 8 | A, sign-extended to 64 bits where the spec is
/// signed; `sites` counts the values of the two-site probe.
let usdtReaderProgram = """
    BPF_HASH(last, u64, u64, 256);
    BPF_HASH(sites, u64, u64, 64);

    static void put(u64 probe, u64 argument, u64 value) {
        u64 key = probe << 8 | argument;
        last.update(&key, &value);
    }

    int on_registers(struct pt_regs *ctx) {
        s32 a = 0; u64 b = 0; u8 c = 0; s16 d = 0; s64 wide = 0;
        bpf_usdt_readarg(1, ctx, &a);
        bpf_usdt_readarg(2, ctx, &b);
        bpf_usdt_readarg(3, ctx, &c);
        bpf_usdt_readarg(4, ctx, &d);
        bpf_usdt_readarg(1, ctx, &wide);   /* a signed 4-byte argument read into 8 bytes */
        put(1, 1, (s64)a); put(1, 2, b); put(1, 3, c); put(1, 4, (s64)d); put(1, 5, wide);
        return 0;
    }

    int on_memory(struct pt_regs *ctx) {
        s32 local = 0, indexed = 0; u64 wide = 0;
        int error = bpf_usdt_readarg(1, ctx, &local);
        bpf_usdt_readarg(2, ctx, &wide);
        bpf_usdt_readarg(3, ctx, &indexed);
        put(2, 1, (s64)local); put(2, 2, wide); put(2, 3, (s64)indexed); put(2, 9, error);
        return 0;
    }

    int on_constants(struct pt_regs *ctx) {
        s64 a = 0, b = 0;
        bpf_usdt_readarg(1, ctx, &a);
        bpf_usdt_readarg(2, ctx, &b);
        put(3, 1, a); put(3, 2, b);
        return 0;
    }

    int on_globals(struct pt_regs *ctx) {
        s32 a = 0; u64 b = 0;
        bpf_usdt_readarg(1, ctx, &a);
        bpf_usdt_readarg(2, ctx, &b);
        put(4, 1, (s64)a); put(4, 2, b);
        return 0;
    }

    int on_sites(struct pt_regs *ctx) {
        s64 a = 0; u64 b = 0;
        bpf_usdt_readarg(1, ctx, &a);
        bpf_usdt_readarg(2, ctx, &b);
        sites.increment(a);
        sites.increment(b);
        return 0;
    }

    int on_guarded(struct pt_regs *ctx) {
        u64 a = 0;
        bpf_usdt_readarg(1, ctx, &a);
        put(6, 1, a);
        return 0;
    }

    int on_string(struct pt_regs *ctx) {
        char text[16] = {};
        s32 length = 0;
        bpf_usdt_readarg_p(1, ctx, text, sizeof(text));
        bpf_usdt_readarg(2, ctx, &length);
        u64 head = 0, tail = 0;
        __builtin_memcpy(&head, text, 8);
        __builtin_memcpy(&tail, text + 8, 8);
        put(7, 1, head); put(7, 2, tail); put(7, 3, length);
        return 0;
    }
    """

/// A test program blocked on stdin: `fire()` lets it do its work and
/// waits for its first output line; `finish()` lets it exit.
/// (usdt_target fires every probe `rounds` times and prints "fired".)
final class USDTTarget {
    let binary: URL
    let process = Process()
    private let input = Pipe(), output = Pipe()

    convenience init(rounds: Int) throws {
        try self.init(binary: try TestSupport.compileHostProgram("usdt_target.c", extraFlags: ["-fPIE", "-pie"]),
                      arguments: [String(rounds)])
    }

    init(binary: URL, arguments: [String] = []) throws {
        self.binary = binary
        process.executableURL = binary
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // Wait until it waits in read(0, ...): exec'd, its libraries loaded (spawn returns before exec).
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let call = try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8), call.hasPrefix("\(Self.readSyscall) 0x0 ") { break }
            usleep(5_000)
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// read(2)'s number, as /proc/PID/syscall shows a process blocked in it.
    #if arch(x86_64)
    static let readSyscall = 0
    #else
    static let readSyscall = 63
    #endif

    /// Lets it do its work and returns its first output line.
    @discardableResult
    func fire() throws -> String {
        try input.fileHandleForWriting.write(contentsOf: Array("go\n".utf8))
        var received = Data()
        while !received.contains(0x0a) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw FixtureError(message: "\(binary.lastPathComponent) exited before printing: \(String(decoding: received, as: UTF8.self))") }
            received.append(chunk)
        }
        return String(decoding: received.prefix { $0 != 0x0a }, as: UTF8.self)
    }

    /// Lets it exit; returns its status.
    func finish() throws -> Int32 {
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: binary.deletingLastPathComponent())
        return process.terminationStatus
    }

    /// The guarded probe's semaphore, read from the process's memory.
    func semaphore() throws -> UInt16 {
        let file = try ELFFile(contentsOf: binary.path)
        let offset = try file.symbolFileOffset(named: "swiftbcc_guarded_semaphore")
        let address = try USDTProcess(pid: pid).address(ofFileOffset: offset, in: binary.path)
        let bytes = try ProcessMemory(pid: pid).read(at: address, count: 2)
        return UInt16(bytes[0]) | UInt16(bytes[1]) << 8
    }
}

@Suite struct USDTKernelTests {
    static let functions = ["registers": "on_registers", "memory": "on_memory", "constants": "on_constants",
                            "globals": "on_globals", "sites": "on_sites", "guarded": "on_guarded", "string": "on_string"]

    func value(_ b: BPF, probe: UInt64, argument: UInt64) throws -> UInt64? {
        try b.map(named: "last").lookup(probe << 8 | argument, as: UInt64.self)
    }

    /// Every argument as the program read it, after `rounds` rounds.
    func expectArguments(_ b: BPF, rounds: UInt64) throws {
        func signed(_ value: Int64) -> UInt64 { UInt64(bitPattern: value) }
        let expected: [(UInt64, UInt64, UInt64, String)] = [
            (1, 1, signed(-7), "register -4@%eax"), (1, 2, 0x1122_3344_5566_7788, "register 8@%rcx"),
            (1, 3, 200, "register 1@%dl"), (1, 4, signed(-300), "register -2@%si"), (1, 5, signed(-7), "-4@%eax into 8 bytes"),
            (2, 1, signed(-1234), "stack -4@-N(%rbp)"), (2, 2, 0x0102_0304_0506_0708, "stack 8@-N(%rbp)"),
            (2, 3, 40, "indexed -4@4(%rax,%rcx,4)"), (2, 9, 0, "bpf_usdt_readarg's result"),
            (3, 1, signed(-5), "immediate -4@$-5"), (3, 2, 123_456, "immediate 8@$123456"),
            (4, 1, signed(-42), "rip-relative -4@usdt_global_int(%rip)"), (4, 2, 0xdead_beef_cafe, "rip-relative 8@usdt_global_pair+8(%rip)"),
            (6, 1, 99, "semaphore-guarded 8@%rax"),
            (7, 3, 16, "string length"),
        ]
        for (probe, argument, value, what) in expected {
            #expect(try self.value(b, probe: probe, argument: argument) == value, "\(what)")
        }
        let head = try #require(try value(b, probe: 7, argument: 1)), tail = try #require(try value(b, probe: 7, argument: 2))
        let text = withUnsafeBytes(of: (head, tail)) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(text == "hello from usdt")
        // Two sites, each read with its own specs (told apart by the attach cookie).
        let sites = try b.map(named: "sites")
        for site in [11, 22, 33, 44] as [UInt64] {
            #expect(try sites.lookup(site, as: UInt64.self) == rounds, "site value \(site)")
        }
    }

    @Test func argumentsOfAPathReadInBPF() throws {
        let target = try USDTTarget(rounds: 3)
        let u = try USDT(path: target.binary.path)
        #expect(u.probes.map(\.name) == ["registers", "memory", "constants", "globals", "sites", "guarded", "string"])
        for (probe, function) in Self.functions.sorted(by: { $0.key < $1.key }) {
            try u.enableProbe(probe: probe == "guarded" ? "swiftbcc:guarded" : probe, fnName: function)
        }
        #expect(try target.semaphore() == 0)
        try expectKernelObjectsFreed(loading: { try BPF(text: usdtReaderProgram, usdtContexts: [u]) }) { b in
            // One uprobe per site: 8 sites.
            #expect(b.attachedProbes.filter { $0.hasPrefix("usdt ") }.count == 8)
            // The kernel raised the guarded probe's semaphore (the uprobe's reference counter).
            #expect(try target.semaphore() > 0)
            let line = try target.fire()
            #expect(line == "fired")
            try expectArguments(b, rounds: 3)
        }
        #expect(try target.semaphore() == 0)
        #expect(try target.finish() == 0)
    }

    @Test func argumentsOfAProcessReadInBPF() throws {
        let target = try USDTTarget(rounds: 2)
        let u = try USDT(pid: target.pid)
        #expect(u.binary == target.binary.path)
        #expect(u.binaries.count >= 2)  // the executable and at least libc
        for (probe, function) in Self.functions {
            try u.enableProbe(probe: probe, fnName: function)
        }
        try expectKernelObjectsFreed(loading: { try BPF(text: usdtReaderProgram, usdtContexts: [u]) }) { b in
            #expect(b.attachedProbes.filter { $0.hasPrefix("usdt semaphore") }.count == 1)
            // Raised in the process's memory: exactly once.
            #expect(try target.semaphore() == 1)
            let line = try target.fire()
            #expect(line == "fired")
            try expectArguments(b, rounds: 2)
        }
        #expect(try target.semaphore() == 0)
        #expect(try target.finish() == 0)
    }

    @Test func missingProbeNamesTheBinaryAndListsItsProbes() throws {
        let binary = try TestSupport.compileHostProgram("usdt_target.c")
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        let u = try USDT(path: binary.path)
        let error = #expect(throws: BCCError.self) { try u.enableProbe(probe: "nosuch", fnName: "f") }
        #expect(error?.description == "no USDT probe 'nosuch' in \(binary.path) (its probes: swiftbcc:registers, swiftbcc:memory, "
                + "swiftbcc:constants, swiftbcc:globals, swiftbcc:sites, swiftbcc:guarded, swiftbcc:string)")
        #expect(throws: BCCError.self) { try u.enableProbe(probe: "other:registers", fnName: "f") }
        try u.enableProbe(probe: "swiftbcc:registers", fnName: "f")
        #expect(throws: BCCError.self) { try u.enableProbe(probe: "registers", fnName: "f") }
        #expect(throws: BCCError.self) { try USDT(path: "/no/such/binary") }
    }

    /// A spec BPF cannot read is an error naming the binary, the probe and the argument when the probe is enabled.
    @Test func unreadableArgumentSpecIsAnErrorOnEnable() throws {
        let directory = try TestSupport.temporaryDirectory("usdt-broken")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("broken.c"), binary = directory.appendingPathComponent("broken")
        try """
            #include "usdt_note.h"
            int main(void) { USDT_NOTE("swiftbcc", "broken", "0", "8@%%rdi -4@%%xmm0"); return 0; }
            """.write(to: source, atomically: true, encoding: .utf8)
        let build = try TestSupport.run(TestSupport.clang, [
            "-I", TestSupport.fixturesDirectory.appendingPathComponent("include").path, source.path, "-o", binary.path])
        try #require(build.status == 0, "\(build.stderr)")
        let u = try USDT(path: binary.path)
        #expect(u.probes.map(\.qualifiedName) == ["swiftbcc:broken"])
        let error = #expect(throws: BCCError.self) { try u.enableProbe(probe: "broken", fnName: "f") }
        #expect(error?.description == "USDT probe swiftbcc:broken: ELF: USDT probe swiftbcc:broken in \(binary.path): argument 2 '-4@%xmm0': "
                + "floating-point and vector registers (%xmm0) are not in struct pt_regs; BPF cannot read them")
    }

    /// An index past the probe's arguments is an error at the user's line, before clang runs.
    @Test func argumentIndexPastTheCountIsACompileError() throws {
        let binary = try TestSupport.compileHostProgram("usdt_target.c")
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        let u = try USDT(path: binary.path)
        try u.enableProbe(probe: "constants", fnName: "on_constants")
        let program = """
            int on_constants(struct pt_regs *ctx) {
                u64 value = 0;
                bpf_usdt_readarg(3, ctx, &value);
                return 0;
            }
            int elsewhere(struct pt_regs *ctx) {
                u64 value = 0;
                return bpf_usdt_readarg(1, ctx, &value);
            }
            """
        let error = #expect(throws: BCCError.self) { try BPF(text: program, usdtContexts: [u]) }
        guard case let .compileFailed(file, diagnostics)? = error else {
            Issue.record("expected a compile error, got \(String(describing: error))")
            return
        }
        #expect(file == "<text>")
        #expect(diagnostics.map(\.line) == [3, 8])
        #expect(diagnostics.first?.column == 22)
        #expect(diagnostics.first?.message == "USDT probe swiftbcc:constants has 2 arguments; index 3 is out of range (1 to 2)")
        #expect(diagnostics.last?.message.contains("function 'elsewhere', which is not enabled on a USDT probe") == true)
    }
}
