import BPFObject
import Foundation
import Glibc
import Testing
@testable import EBPF

/// A hand-assembled program that counts its runs per thread: a hash map from
/// bpf_get_current_pid_tgid() (tgid << 32 | tid) to a 64-bit count. Tests run
/// in parallel, so each looks up only its own thread's or child's key.
final class RunCounter {
    let map: Map
    let program: Program

    /// Loads the counter as a program of `type`.
    init(type: ProgramType, name: String, expectedAttachType: AttachType? = nil, attachBTFID: UInt32 = 0) throws {
        map = try Map(type: .hash, name: "runs", keySize: 8, valueSize: 8, maxEntries: 1024)
        program = try Program(
            type: type, instructions: RunCounter.instructions(mapFD: map.fd.rawValue), license: "GPL", name: name,
            expectedAttachType: expectedAttachType, attachBTFID: attachBTFID)
    }

    /// Runs counted for thread `tid` of process `tgid`.
    func count(tgid: Int32, tid: Int32) throws -> UInt64 {
        try map.lookup(UInt64(UInt32(bitPattern: tgid)) << 32 | UInt64(UInt32(bitPattern: tid)), as: UInt64.self) ?? 0
    }

    /// Runs counted for the calling thread.
    func countForThisThread() throws -> UInt64 {
        try count(tgid: getpid(), tid: currentThreadID())
    }

    /// The calling thread's id: /proc/thread-self links to "TGID/task/TID".
    func currentThreadID() throws -> Int32 {
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
        return try #require(link.split(separator: "/").last.flatMap { Int32($0) })
    }

    func close() {
        program.close()
        map.close()
    }

    private static func instructions(mapFD: Int32) -> [Instruction] {
        let r0: UInt8 = 0, r1: UInt8 = 1, r2: UInt8 = 2, r3: UInt8 = 3, r4: UInt8 = 4, r10: UInt8 = 10
        func mov(_ dst: UInt8, _ imm: Int32) -> Instruction { Instruction(opcode: 0xb7, destination: dst, immediate: imm) }
        func movReg(_ dst: UInt8, _ src: UInt8) -> Instruction { Instruction(opcode: 0xbf, destination: dst, source: src) }
        func add(_ dst: UInt8, _ imm: Int32) -> Instruction { Instruction(opcode: 0x07, destination: dst, immediate: imm) }
        func call(_ helper: Int32) -> Instruction { Instruction(opcode: 0x85, immediate: helper) }
        let loadMap = [
            Instruction(opcode: 0x18, destination: r1, source: Opcode.pseudoMapFD, immediate: mapFD), Instruction(opcode: 0),
        ]
        return [call(14),  // 0: r0 = bpf_get_current_pid_tgid()
            Instruction(opcode: 0x7b, destination: r10, source: r0, offset: -8),  // 1: *(u64 *)(r10 - 8) = r0
        ] + loadMap + [  // 2-3: r1 = map
            movReg(r2, r10), add(r2, -8),  // 4-5: r2 = &key
            call(1),  // 6: r0 = bpf_map_lookup_elem(r1, r2)
            Instruction(opcode: 0x15, destination: r0, offset: 3),  // 7: if r0 == 0 goto 11
            mov(r1, 1),  // 8
            Instruction(opcode: 0xdb, destination: r0, source: r1),  // 9: lock *(u64 *)(r0 + 0) += r1
            Instruction(opcode: 0x05, offset: 9),  // 10: goto 20
            Instruction(opcode: 0x7a, destination: r10, offset: -16, immediate: 1),  // 11: *(u64 *)(r10 - 16) = 1
        ] + loadMap + [  // 12-13: r1 = map
            movReg(r2, r10), add(r2, -8),  // 14-15: r2 = &key
            movReg(r3, r10), add(r3, -16),  // 16-17: r3 = &one
            mov(r4, 0),  // 18: BPF_ANY
            call(2),  // 19: bpf_map_update_elem(r1, r2, r3, r4)
            mov(r0, 0),  // 20
            Instruction(opcode: 0x95),  // 21: exit
        ]
    }
}

/// Descriptor checks that tolerate parallel tests: a descriptor we closed
/// may already be reused by another test, but then it names a different file.
enum Descriptors {
    /// What /proc/self/fd says descriptor `fd` is, or nil when it is closed.
    static func target(_ fd: Int32) -> String? {
        guard fcntl(fd, F_GETFD) != -1 || errno != EBADF else { return nil }
        return try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")
            + ((try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8)) ?? "")
    }

    /// Records each descriptor's identity while it is open.
    static func snapshot(_ fds: [Int32]) -> [Int32: String] {
        Dictionary(uniqueKeysWithValues: fds.map { ($0, target($0) ?? "") })
    }

    /// True when every descriptor in `snapshot` is closed (EBADF) or now names another file.
    static func allClosed(_ snapshot: [Int32: String]) -> Bool {
        snapshot.allSatisfy { fd, before in
            guard let now = target(fd) else { return true }
            return now != before
        }
    }
}

/// Runs `body` with a child process blocked on its stdin until `release` is
/// called: attach first, then let the child do what is counted.
struct BlockedChild {
    let process: Process
    let input: Pipe

    init(executable: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Lets the child go on and waits for it; returns its exit status.
    func release() throws -> Int32 {
        try input.fileHandleForWriting.write(contentsOf: [0x0a])
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
