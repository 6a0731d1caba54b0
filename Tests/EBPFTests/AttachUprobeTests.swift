import ELF
import Foundation
import Glibc
import Testing
import TestSupport
@testable import EBPF

@Suite struct AttachUprobeTests {
    /// The helper program, built once per test as a PIE executable.
    private static func buildTarget() throws -> URL {
        try TestSupport.compileHostProgram("uprobe_target.c", extraFlags: ["-fPIE", "-pie"])
    }

    /// The uprobe_events definitions in tracefs that probe `binary` (each
    /// test builds its own, so other tests running meanwhile do not interfere).
    private static func definitions(probing binary: URL) throws -> [String] {
        try Tracefs.probeDefinitions(file: "uprobe_events").filter { $0.contains(binary.path) }
    }

    /// A uprobe on a function of a PIE helper program counts its calls, for
    /// both mechanisms: the uprobe PMU and a tracefs uprobe_events definition.
    @Test(arguments: [ProbeEvent.Mechanism.pmu, .tracefs])
    func countsCallsInHelperProgram(mechanism: ProbeEvent.Mechanism) throws {
        let binary = try Self.buildTarget()
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        #expect(try ELFFile(contentsOf: binary.path).fileType == ELFFile.sharedObject)  // PIE

        let counter = try RunCounter(type: .kprobe, name: "count_uprobe")
        defer { counter.close() }
        let child = try BlockedChild(executable: binary.path, arguments: ["7"])
        let link = try UprobeLink(
            program: counter.program, binary: binary.path, at: .symbol("uprobe_target_function", offset: 0),
            isReturn: false, pid: child.pid, mechanism: mechanism)
        #expect(link.target.hasPrefix("uprobe \(binary.path):uprobe_target_function"))
        let descriptors = Descriptors.snapshot(link.resources.descriptorNumbers)
        // A PMU probe lives only as long as its perf event and is never listed in tracefs.
        #expect(try Self.definitions(probing: binary).count == (mechanism == .tracefs ? 1 : 0))

        #expect(try child.release() == 0)
        #expect(try counter.count(tgid: child.pid, tid: child.pid) == 7)

        link.close()
        #expect(Descriptors.allClosed(descriptors))
        #expect(try Self.definitions(probing: binary).isEmpty)
    }

    /// The same function by its virtual address (bcc's addr) and by its file
    /// offset: both land on the offset the symbol resolves to.
    @Test func addressAndFileOffsetReachTheSameFunction() throws {
        let binary = try Self.buildTarget()
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        let elf = try ELFFile(contentsOf: binary.path)
        let address = try elf.symbol(named: "uprobe_target_function").value
        let fileOffset = try elf.symbolFileOffset(named: "uprobe_target_function")
        let counter = try RunCounter(type: .kprobe, name: "count_address")
        defer { counter.close() }
        let child = try BlockedChild(executable: binary.path, arguments: ["3"])
        let byAddress = try UprobeLink(program: counter.program, binary: binary.path, address: address, pid: child.pid)
        defer { byAddress.close() }
        let byOffset = try UprobeLink(program: counter.program, binary: binary.path, offset: fileOffset, pid: child.pid)
        defer { byOffset.close() }
        #expect(byAddress.offset == fileOffset && byOffset.offset == fileOffset)
        #expect(try child.release() == 0)
        #expect(try counter.count(tgid: child.pid, tid: child.pid) == 6)
        expectBPFError(.notFound) {
            try UprobeLink(program: counter.program, binary: binary.path, address: 1 << 50)
        }
    }

    /// A uretprobe fires on each return.
    @Test func returnProbeCountsReturns() throws {
        let binary = try Self.buildTarget()
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        let counter = try RunCounter(type: .kprobe, name: "count_uretprobe")
        defer { counter.close() }
        let child = try BlockedChild(executable: binary.path, arguments: ["5"])
        let link = try UprobeLink(
            program: counter.program, binary: binary.path, symbol: "uprobe_target_function", isReturn: true,
            pid: child.pid)
        defer { link.close() }
        #expect(link.target.hasPrefix("uretprobe "))
        #expect(try child.release() == 0)
        #expect(try counter.count(tgid: child.pid, tid: child.pid) == 5)
    }

    /// A uprobe on a libc function ("c", resolved as bcc does) counts the calls this thread makes.
    @Test func countsCallsToLibcFunction() throws {
        let counter = try RunCounter(type: .kprobe, name: "count_libc")
        defer { counter.close() }
        let link = try UprobeLink(program: counter.program, binary: "c", symbol: "getsid")
        let descriptors = Descriptors.snapshot(link.resources.descriptorNumbers)
        #expect(link.path == (try BinaryPath.resolve("c")))
        for _ in 0..<11 { _ = getsid(0) }
        #expect(try counter.countForThisThread() == 11)

        link.close()
        #expect(Descriptors.allClosed(descriptors))
        for _ in 0..<3 { _ = getsid(0) }
        #expect(try counter.countForThisThread() == 11)
    }

    @Test func missingSymbolAndBinaryAreNotFound() throws {
        let counter = try RunCounter(type: .kprobe, name: "uprobe_missing")
        defer { counter.close() }
        let symbolError = expectBPFError(.notFound) {
            try UprobeLink(program: counter.program, binary: "c", symbol: "no_such_function_in_libc")
        }
        #expect(symbolError?.description.contains("no_such_function_in_libc") == true)
        expectBPFError(.notFound) {
            try UprobeLink(program: counter.program, binary: "/no/such/binary", offset: 0)
        }
        let notELF = expectBPFError(.malformed) {
            try UprobeLink(program: counter.program, binary: "/proc/self/status", symbol: "main")
        }
        guard case .malformed? = notELF else {
            Issue.record("expected malformed, got \(String(describing: notELF))")
            return
        }
    }
}
