import Foundation
import Glibc
import Testing
@testable import EBPF

@Suite struct AttachTracepointTests {
    /// A tracepoint program on sched/sched_process_exec counts the exec of a child we spawn.
    @Test(.enabled(if: kernelHas(.perfEventLinks), "needs BPF links for perf events (Linux 5.15+)"))
    func schedProcessExecThroughLink() throws {
        try countChildExec(usingLink: true)
    }

    /// The same through PERF_EVENT_IOC_SET_BPF, as on kernels before 5.15.
    @Test func schedProcessExecThroughIoctls() throws {
        try countChildExec(usingLink: false)
    }

    private func countChildExec(usingLink: Bool) throws {
        let counter = try RunCounter(type: .tracepoint, name: "count_exec")
        defer { counter.close() }
        let link = try TracepointLink(
            program: counter.program, category: "sched", name: "sched_process_exec", usingLink: usingLink)
        #expect(link.target == "tracepoint sched/sched_process_exec")
        let descriptors = Descriptors.snapshot(link.resources.descriptorNumbers)
        #expect(descriptors.count == (usingLink ? 2 : 1))

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let pid = child.processIdentifier
        #expect(try counter.count(tgid: pid, tid: pid) == 1)

        link.close()
        #expect(link.isClosed)
        #expect(Descriptors.allClosed(descriptors))
        link.close()  // A second close does nothing.

        let after = Process()
        after.executableURL = URL(fileURLWithPath: "/bin/true")
        try after.run()
        after.waitUntilExit()
        #expect(try counter.count(tgid: after.processIdentifier, tid: after.processIdentifier) == 0)
    }

    /// Letting go of a link detaches it, as close() does.
    @Test func releasingTheLinkDetaches() throws {
        let counter = try RunCounter(type: .tracepoint, name: "count_enter")
        defer { counter.close() }
        var descriptors: [Int32: String] = [:]
        do {
            let link = try TracepointLink(program: counter.program, category: "raw_syscalls", name: "sys_enter")
            descriptors = Descriptors.snapshot(link.resources.descriptorNumbers)
            _ = getppid()
            #expect(try counter.countForThisThread() > 0)
        }
        #expect(Descriptors.allClosed(descriptors))
        let before = try counter.countForThisThread()
        for _ in 0..<10 { _ = getppid() }
        #expect(try counter.countForThisThread() == before)
    }

    @Test func unknownTracepointIsNotFound() throws {
        let counter = try RunCounter(type: .tracepoint, name: "count_none")
        defer { counter.close() }
        let error = expectBPFError(.notFound) {
            try TracepointLink(program: counter.program, category: "sched", name: "no_such_tracepoint")
        }
        guard case .notFound? = error else {
            Issue.record("expected notFound, got \(String(describing: error))")
            return
        }
    }

    /// The kernel refuses a program of the wrong type, and the error names the program and the tracepoint.
    @Test func wrongProgramTypeIsRefused() throws {
        let counter = try RunCounter(type: .rawTracepoint, name: "wrong_type")
        defer { counter.close() }
        let error = expectBPFError(.invalidArgument) {
            try TracepointLink(program: counter.program, category: "sched", name: "sched_process_exec")
        }
        #expect(error?.description.contains("wrong_type") == true)
        #expect(error?.description.contains("sched/sched_process_exec") == true)
    }
}
