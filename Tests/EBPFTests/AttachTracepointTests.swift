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
        let error = #expect(throws: BPFError.self) {
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
        let error = #expect(throws: BPFError.self) {
            try TracepointLink(program: counter.program, category: "sched", name: "sched_process_exec")
        }
        #expect(error?.description.contains("wrong_type") == true)
        #expect(error?.description.contains("sched/sched_process_exec") == true)
    }
}

@Suite struct AttachRawTracepointTests {
    /// A raw tracepoint program on sys_enter sees this thread's system calls.
    @Test func sysEnterFiresForOurThread() throws {
        let counter = try RunCounter(type: .rawTracepoint, name: "raw_enter")
        defer { counter.close() }
        let link = try RawTracepointLink(program: counter.program, name: "sys_enter")
        #expect(link.target == "raw_tracepoint sys_enter")
        let descriptors = Descriptors.snapshot(link.resources.descriptorNumbers)
        for _ in 0..<20 { _ = getppid() }
        #expect(try counter.countForThisThread() >= 20)

        link.close()
        #expect(Descriptors.allClosed(descriptors))
        let before = try counter.countForThisThread()
        for _ in 0..<20 { _ = getppid() }
        #expect(try counter.countForThisThread() == before)
    }

    @Test func unknownRawTracepointIsNotFound() throws {
        let counter = try RunCounter(type: .rawTracepoint, name: "raw_none")
        defer { counter.close() }
        let error = #expect(throws: BPFError.self) { try RawTracepointLink(program: counter.program, name: "no_such_tp") }
        #expect(error?.description.contains("no_such_tp") == true)
    }
}

@Suite struct AttachTracingTests {
    #if arch(x86_64)
        static let getpgidFunction = "__x64_sys_getpgid"
    #else
        static let getpgidFunction = "__arm64_sys_getpgid"
    #endif

    /// A tp_btf program on sys_enter sees this thread's system calls.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux"), "needs kernel BTF (CONFIG_DEBUG_INFO_BTF)"))
    func btfTracepointFiresForOurThread() throws {
        let counter = try RunCounter(
            type: .tracing, name: "tp_btf_enter", expectedAttachType: .traceRawTracepoint,
            attachBTFID: try TracingLink.btfID(ofTracepoint: "sys_enter"))
        defer { counter.close() }
        let link = try TracingLink(program: counter.program, target: "tp_btf sys_enter")
        let descriptors = Descriptors.snapshot(link.resources.descriptorNumbers)
        for _ in 0..<10 { _ = getppid() }
        #expect(try counter.countForThisThread() >= 10)

        link.close()
        #expect(Descriptors.allClosed(descriptors))
        let before = try counter.countForThisThread()
        for _ in 0..<10 { _ = getppid() }
        #expect(try counter.countForThisThread() == before)
    }

    /// fentry and fexit on the getpgid system call count this thread's calls exactly.
    @Test(.enabled(if: trampolinesAvailable, "the kernel forbids fentry/fexit (BPF trampolines)"),
          arguments: [AttachType.traceFentry, .traceFexit])
    func fentryAndFexitCountCalls(attachType: AttachType) throws {
        let counter = try RunCounter(
            type: .tracing, name: "\(attachType)_getpgid", expectedAttachType: attachType,
            attachBTFID: try TracingLink.btfID(ofFunction: Self.getpgidFunction))
        defer { counter.close() }
        let link = try TracingLink(program: counter.program, target: "\(attachType) \(Self.getpgidFunction)")
        #expect(link.target == "\(attachType) \(Self.getpgidFunction)")
        for _ in 0..<9 { _ = getpgid(0) }
        #expect(try counter.countForThisThread() == 9)
        link.close()
        for _ in 0..<9 { _ = getpgid(0) }
        #expect(try counter.countForThisThread() == 9)
    }

    /// False only when the kernel conclusively refuses BPF trampolines.
    static var trampolinesAvailable: Bool {
        do {
            try TracingLink.requireTrampolines()
            return true
        } catch BPFError.notSupported {
            return false
        } catch {
            return true  // Anything else (a missing privilege) must fail the test, not skip it.
        }
    }

    /// Where fentry is refused, the probe says why, in terms of the kernel rather than our privileges.
    @Test func trampolineProbeIsConclusive() throws {
        do {
            try TracingLink.requireTrampolines()
        } catch BPFError.notSupported(let feature, let requirement) {
            #expect(feature.contains("fentry"))
            #expect(requirement.contains("lockdown") || requirement.contains("BTF"))
        }
    }

    @Test func missingTargetsAreNotFound() throws {
        let tracepoint = #expect(throws: BPFError.self) { try TracingLink.btfID(ofTracepoint: "no_such_tracepoint") }
        #expect(tracepoint?.description.contains("btf_trace_no_such_tracepoint") == true)
        #expect(throws: BPFError.self) { try TracingLink.btfID(ofFunction: "no_such_kernel_function") }
    }

    @Test func nonTracingProgramIsRefused() throws {
        let counter = try RunCounter(type: .rawTracepoint, name: "not_tracing")
        defer { counter.close() }
        let error = #expect(throws: BPFError.self) { try TracingLink(program: counter.program) }
        #expect(error?.description.contains("tracing program") == true)
    }
}
