import BPFObject
import Foundation
import Glibc
import Testing
@testable import EBPF

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
    static var trampolinesAvailable: Bool { kernelSupports(TracingLink.requireTrampolines) }

    /// Where fentry is refused, the probe says why, in terms of the kernel rather than our privileges.
    @Test func trampolineProbeIsConclusive() throws {
        do {
            try TracingLink.requireTrampolines()
        } catch {
            guard case let .notSupported(feature, requirement) = error else { throw error }
            #expect(feature.contains("fentry"))
            #expect(requirement.contains("lockdown") || requirement.contains("BTF"))
        }
    }

    @Test func missingTargetsAreNotFound() throws {
        let tracepoint = expectBPFError(.notFound) { try TracingLink.btfID(ofTracepoint: "no_such_tracepoint") }
        #expect(tracepoint?.description.contains("btf_trace_no_such_tracepoint") == true)
        expectBPFError(.notFound) { try TracingLink.btfID(ofFunction: "no_such_kernel_function") }
    }

    @Test func nonTracingProgramIsRefused() throws {
        let counter = try RunCounter(type: .rawTracepoint, name: "not_tracing")
        defer { counter.close() }
        let error = expectBPFError(.invalidArgument) { try TracingLink(program: counter.program) }
        #expect(error?.description.contains("tracing program") == true)
    }
}
