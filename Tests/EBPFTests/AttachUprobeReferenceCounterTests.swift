import ELF
import Foundation
import Glibc
import Testing
import TestSupport
@testable import EBPF

/// A uprobe with a reference counter (a USDT semaphore): the kernel raises the
/// counter in the running process while the probe exists and lowers it on close.
@Suite struct AttachUprobeReferenceCounterTests {
    /// The semaphore's address in process `pid`, through the mapping of `binary` that holds its file offset.
    /// (The child may still be between fork and exec: wait up to five seconds for the mapping.)
    static func runtimeAddress(ofFileOffset offset: UInt64, in binary: String, pid: Int32) throws -> UInt64 {
        let deadline = Date().addingTimeInterval(5)
        repeat {
            let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
            for line in maps.split(separator: "\n") where line.hasSuffix(binary) {
                let columns = line.split(separator: " ", omittingEmptySubsequences: true)
                let range = columns[0].split(separator: "-").compactMap { UInt64($0, radix: 16) }
                guard range.count == 2, let fileOffset = UInt64(columns[2], radix: 16) else { continue }
                if offset >= fileOffset, offset - fileOffset < range[1] - range[0] { return range[0] + offset - fileOffset }
            }
            usleep(10_000)
        } while Date() < deadline
        throw FixtureError(message: "file offset 0x\(String(offset, radix: 16)) of \(binary) is not mapped in \(pid)")
    }

    @Test(arguments: [ProbeEvent.Mechanism.pmu, .tracefs])
    func semaphoreIsRaisedWhileAttached(mechanism: ProbeEvent.Mechanism) throws {
        let binary = try TestSupport.compileHostProgram("usdt_target.c", extraFlags: ["-fPIE", "-pie"])
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        let probe = try #require(try ELFFile(contentsOf: binary.path).sdtProbes().first { $0.name == "guarded" })
        let site = try #require(probe.locations.first)
        let semaphore = try #require(site.semaphore)

        let counter = try RunCounter(type: .kprobe, name: "count_guarded")
        defer { counter.close() }
        let child = try BlockedChild(executable: binary.path, arguments: ["3"])
        let memory = try ProcessMemory(pid: child.pid)
        let address = try Self.runtimeAddress(ofFileOffset: semaphore.fileOffset, in: binary.path, pid: child.pid)
        #expect(try memory.read(at: address, count: 2) == [0, 0])

        // Raised while attached, lowered on close.
        let first = try UprobeLink(
            program: counter.program, binary: binary.path, at: .fileOffset(site.fileOffset), isReturn: false,
            pid: child.pid, mechanism: mechanism, referenceCounterOffset: semaphore.fileOffset)
        #expect(first.target.contains("with semaphore at file offset 0x\(String(semaphore.fileOffset, radix: 16))"))
        // (Linux 6.18 raises it by 2 for one uprobe, and lowers it by as much: only nonzero counts.)
        let raised = try memory.read(at: address, count: 2)
        #expect(raised != [0, 0], "semaphore \(raised) at 0x\(String(address, radix: 16))")
        first.close()
        #expect(try memory.read(at: address, count: 2) == [0, 0])

        // The guarded probe fires only because the kernel raised its semaphore.
        let second = try UprobeLink(
            program: counter.program, binary: binary.path, at: .fileOffset(site.fileOffset), isReturn: false,
            pid: child.pid, mechanism: mechanism, referenceCounterOffset: semaphore.fileOffset)
        defer { second.close() }
        #expect(try child.release() == 0)
        #expect(try counter.count(tgid: child.pid, tid: child.pid) == 3)
    }

    /// Without a reference counter the semaphore stays 0 and the guarded probe never fires.
    @Test func withoutReferenceCounterTheGuardedSiteStaysQuiet() throws {
        let binary = try TestSupport.compileHostProgram("usdt_target.c", extraFlags: ["-fPIE", "-pie"])
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        let probe = try #require(try ELFFile(contentsOf: binary.path).sdtProbes().first { $0.name == "guarded" })
        let counter = try RunCounter(type: .kprobe, name: "count_unguarded")
        defer { counter.close() }
        let child = try BlockedChild(executable: binary.path, arguments: ["3"])
        let link = try UprobeLink(program: counter.program, binary: binary.path, offset: probe.locations[0].fileOffset,
                                  referenceCounterOffset: nil, pid: child.pid)
        defer { link.close() }
        #expect(try child.release() == 0)
        #expect(try counter.count(tgid: child.pid, tid: child.pid) == 0)
    }

    @Test func processMemoryErrorsNameTheProcessAndAddress() throws {
        let memory = try ProcessMemory(pid: getpid())
        #expect(throws: BPFError.self) { try memory.read(at: 8, count: 2) }
        #expect(throws: BPFError.self) { try memory.read(at: 1 << 63, count: 2) }
        var value: UInt16 = 5
        let address = withUnsafeMutablePointer(to: &value) { UInt64(UInt(bitPattern: $0)) }
        #expect(try memory.addToCounter(2, at: address) == 7)
        #expect(try memory.addToCounter(-9, at: address) == 0)
        let gone = #expect(throws: BPFError.self) { _ = try ProcessMemory(pid: Int32.max) }
        #expect(gone?.description.contains("process \(Int32.max)") == true)
    }
}
