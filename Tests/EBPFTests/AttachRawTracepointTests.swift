import Foundation
import Glibc
import Testing
@testable import EBPF

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
        let error = expectBPFError(.notFound) { try RawTracepointLink(program: counter.program, name: "no_such_tp") }
        #expect(error?.description.contains("no_such_tp") == true)
    }
}
