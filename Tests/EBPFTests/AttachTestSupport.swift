import BPFObject
import BTF
import CBPF
import Foundation
import Glibc
import Testing
import TestSupport
@testable import EBPF

/// A hand-assembled program that counts its runs per thread: a hash map from
/// bpf_get_current_pid_tgid() (tgid << 32 | tid) to a 64-bit count. Tests run
/// in parallel, so each looks up only its own thread's or child's key.
final class RunCounter {
    let map: Map
    let program: Program

    /// Loads the counter as a program of `type`.
    init(type: ProgramType, name: String, expectedAttachType: AttachType? = nil, attachBTFID: BTFTypeID = .void) throws {
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
        try count(tgid: getpid(), tid: RunCounter.currentThreadID())
    }

    /// The calling thread's id.
    static func currentThreadID() throws -> Int32 {
        try TestSupport.currentThreadID()
    }

    func close() {
        program.close()
        map.close()
    }

    /// Each key is only ever updated by its own thread, so a plain
    /// load-add-store is enough.
    private static func instructions(mapFD: Int32) -> [Instruction] {
        [.call(.getCurrentPIDTGID),
         .store(.double, .r10, -8, .r0)]  // key = pid_tgid
            + Instruction.loadMapFD(.r1, mapFD)
            + [.mov(.r2, .r10), .add(.r2, -8),
               .call(.mapLookupElement),
               .jump(if: .r0, .equal, 0, 4),  // no entry yet: insert 1
               .load(.double, .r1, .r0, 0), .add(.r1, 1), .store(.double, .r0, 0, .r1),
               .jump(9),
               .store(.double, .r10, -16, 1)]
            + Instruction.loadMapFD(.r1, mapFD)
            + [.mov(.r2, .r10), .add(.r2, -8),
               .mov(.r3, .r10), .add(.r3, -16),
               .mov(.r4, 0),  // BPF_ANY
               .call(.mapUpdateElement),
               .mov(.r0, 0),
               .exit()]
    }
}

/// Descriptor checks that tolerate parallel tests: a descriptor we closed
/// may already be reused by another test, but then it names another object.
/// An object is told apart by its file, BPF link id (in fdinfo) or perf event
/// id (PERF_EVENT_IOC_ID); links and perf events share one anonymous inode.
enum Descriptors {
    /// _IOR('$', 7, __u64 *): the kernel's unique id of a perf event.
    private static let perfEventIDRequest: UInt = 0x8008_2407

    /// What descriptor `fd` refers to, or nil when it is closed.
    static func identity(_ fd: Int32) -> String? {
        guard fcntl(fd, F_GETFD) != -1 || errno != EBADF else { return nil }
        var identity = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? "?"
        identity += (try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8)) ?? ""
        var perfEventID: UInt64 = 0
        if cbpf_ioctl_ptr(fd, perfEventIDRequest, &perfEventID) == 0 { identity += " perf event \(perfEventID)" }
        return identity
    }

    /// Records each descriptor's identity while it is open.
    static func snapshot(_ fds: [Int32]) -> [Int32: String] {
        Dictionary(uniqueKeysWithValues: fds.map { ($0, identity($0) ?? "") })
    }

    /// True when every descriptor in `snapshot` is closed (EBADF) or now refers to another object.
    static func allClosed(_ snapshot: [Int32: String]) -> Bool {
        snapshot.allSatisfy { fd, before in identity(fd).map { $0 != before } ?? true }
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
