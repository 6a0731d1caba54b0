import BPFObject
import Glibc
import Testing
@testable import EBPF

/// The attach-level wrappers the link types are built on.
@Suite struct AttachSyscallTests {
    /// A raw tracepoint program on sys_enter counts this process's syscalls
    /// (pid filtered in the program) through a link; closing the link stops it.
    @Test(.enabled(if: kernelHas(.rawTracepoints), "needs raw tracepoints (Linux 4.17+)"))
    func rawTracepointOpenAttachesAndDetaches() throws {
        let counter = try Map(type: .array, name: "test_rawtp", keySize: 4, valueSize: 8, maxEntries: 1)
        let tgid = Int32(getpid())
        let code: [Instruction] = [
            .call(.getCurrentPIDTGID),
            .mov(.r1, .r0), .rightShift(.r1, 32),
            .jump(if: .r1, .notEqual, tgid, 9),
            .store(.word, .r10, -4, 0)]
            + Instruction.loadMapFD(.r1, counter.fd.rawValue)
            + [.mov(.r2, .r10), .add(.r2, -4), .call(.mapLookupElement),
               .jump(if: .r0, .equal, 0, 2),
               .mov(.r1, 1), .atomicAdd(.double, .r0, 0, .r1),
               .mov(.r0, 0), .exit()]
        let program = try Program(type: .rawTracepoint, instructions: code, license: "GPL", name: "count_syscalls")
        let link = try Syscall.rawTracepointOpen(programFD: program.fd.rawValue, name: "sys_enter", object: "test")
        for _ in 0..<5 { _ = getppid() }
        let counted = try #require(try counter.lookup(UInt32(0), as: UInt64.self))
        #expect(counted >= 5)
        link.close()
        // The kernel detaches a closed link from deferred work: wait for the
        // count to stand still while this process keeps making syscalls.
        var stopped = false
        for _ in 0..<40 where !stopped {
            let before = try counter.lookup(UInt32(0), as: UInt64.self)
            for _ in 0..<5 { _ = getppid() }
            stopped = try counter.lookup(UInt32(0), as: UInt64.self) == before
            if !stopped { usleep(50_000) }
        }
        #expect(stopped, "the program kept counting after its link was closed")

        #expect(throws: BPFError.notFound(what: "raw tracepoint 'no_such_tracepoint_xyz' for test")) {
            try Syscall.rawTracepointOpen(programFD: program.fd.rawValue, name: "no_such_tracepoint_xyz", object: "test")
        }
    }

    /// LINK_CREATE reaches the kernel: a perf-event link to a bad descriptor fails with EBADF, named.
    @Test(.enabled(if: kernelHas(.perfEventLinks), "needs BPF links for perf events (Linux 5.15+)"))
    func linkCreateReportsTheKernelsError() throws {
        let program = try Program(type: .tracepoint, instructions: [.mov(.r0, 0), .exit()], license: "GPL", name: "link_test")
        let error = expectBPFError(.system) {
            try Syscall.linkCreate(programFD: program.fd.rawValue, targetFD: -1, attachType: .perfEvent, object: "link_test")
        }
        #expect(error == .system(operation: "create perf_event link for", object: "link_test", errno: EBADF))
    }
}
