import Foundation
import Glibc
import Testing
@testable import EBPF

@Suite struct AttachKprobeTests {
    /// kprobes work where the kernel has them; this project's kernels lack
    /// CONFIG_KPROBES, and then the error says exactly that.
    @Test func kprobeWorksOrIsPreciselyNotSupported() throws {
        let counter = try RunCounter(type: .kprobe, name: "count_kprobe")
        defer { counter.close() }
        let hasPMU = FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe/type")
        let hasEvents = FileManager.default.fileExists(atPath: try Tracefs.root() + "/kprobe_events")
        #if arch(x86_64)
            let function = "__x64_sys_getppid"
        #else
            let function = "__arm64_sys_getppid"
        #endif
        if hasPMU || hasEvents {
            let link = try KprobeLink(program: counter.program, symbol: function)
            defer { link.close() }
            for _ in 0..<5 { _ = getppid() }
            #expect(try counter.countForThisThread() == 5)
        } else {
            for isReturn in [false, true] {
                let error = expectBPFError(.notSupported) {
                    try KprobeLink(program: counter.program, symbol: function, isReturn: isReturn)
                }
                guard case .notSupported(let feature, let requirement)? = error else {
                    Issue.record("expected notSupported, got \(String(describing: error))")
                    continue
                }
                #expect(feature == "\(isReturn ? "kretprobe" : "kprobe") \(function): kprobes")
                #expect(requirement.contains("CONFIG_KPROBES"))
                #expect(requirement.contains("no kprobe PMU at /sys/bus/event_source/devices/kprobe"))
                #expect(requirement.contains("kprobe_events"))
            }
        }
    }

    @Test func badKprobeArgumentsAreRefused() throws {
        let counter = try RunCounter(type: .kprobe, name: "kprobe_bad")
        defer { counter.close() }
        expectBPFError(.invalidArgument) { try KprobeLink(program: counter.program, symbol: "") }
        expectBPFError(.invalidArgument) { try KprobeLink(program: counter.program, symbol: "a b") }
        expectBPFError(.invalidArgument) {
            try KprobeLink(program: counter.program, symbol: "vfs_read", offset: 4, isReturn: true)
        }
    }
}
