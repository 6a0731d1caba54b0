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
            program: counter.program, binary: binary.path, symbol: "uprobe_target_function", offset: 0,
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
        let symbolError = #expect(throws: BPFError.self) {
            try UprobeLink(program: counter.program, binary: "c", symbol: "no_such_function_in_libc")
        }
        #expect(symbolError?.description.contains("no_such_function_in_libc") == true)
        #expect(throws: BPFError.self) {
            try UprobeLink(program: counter.program, binary: "/no/such/binary", offset: 0)
        }
        let notELF = #expect(throws: BPFError.self) {
            try UprobeLink(program: counter.program, binary: "/proc/self/status", symbol: "main")
        }
        guard case .malformed? = notELF else {
            Issue.record("expected malformed, got \(String(describing: notELF))")
            return
        }
    }
}

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
                let error = #expect(throws: BPFError.self) {
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
        #expect(throws: BPFError.self) { try KprobeLink(program: counter.program, symbol: "") }
        #expect(throws: BPFError.self) { try KprobeLink(program: counter.program, symbol: "a b") }
        #expect(throws: BPFError.self) {
            try KprobeLink(program: counter.program, symbol: "vfs_read", offset: 4, isReturn: true)
        }
    }
}

@Suite struct AttachPerfEventTests {
    /// cpu-clock sampling at 1 kHz on every CPU runs the program while this thread burns CPU.
    @Test func cpuClockSamplesWhileBurningCPU() throws {
        let counter = try RunCounter(type: .perfEvent, name: "count_samples")
        defer { counter.close() }
        let link = try PerfEventLink(program: counter.program, event: .cpuClock, sampling: .frequency(1000))
        #expect(link.cpus == (try OnlineCPUs.list()))
        #expect(link.target == "perf_event cpu-clock at 1000 Hz")
        let descriptors = Descriptors.snapshot(link.resources.descriptorNumbers)
        #expect(descriptors.count >= link.cpus.count)

        let deadline = Date().addingTimeInterval(0.3)
        var spin: UInt64 = 0
        while Date() < deadline { spin &+= 1 }
        #expect(spin > 0)
        #expect(try counter.countForThisThread() > 0)

        link.close()
        #expect(Descriptors.allClosed(descriptors))
    }

    @Test func zeroRatesAreRefused() throws {
        let counter = try RunCounter(type: .perfEvent, name: "perf_zero")
        defer { counter.close() }
        #expect(throws: BPFError.self) { try PerfEventLink(program: counter.program, sampling: .frequency(0)) }
        #expect(throws: BPFError.self) { try PerfEventLink(program: counter.program, sampling: .period(0)) }
    }
}
