import Foundation
import Glibc
import Testing
@testable import EBPF

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

    /// One CPU only: one perf event (plus its link), and an offline CPU is refused.
    @Test func singleCPU() throws {
        let counter = try RunCounter(type: .perfEvent, name: "perf_one_cpu")
        defer { counter.close() }
        let link = try PerfEventLink(program: counter.program, sampling: .period(1_000_000), cpu: 0)
        defer { link.close() }
        #expect(link.cpus == [0])
        #expect((1...2).contains(link.resources.descriptorNumbers.count))
        let error = expectBPFError(.invalidArgument) {
            try PerfEventLink(program: counter.program, sampling: .period(1_000_000), cpu: 4096)
        }
        #expect(error?.description.contains("CPU 4096 is not online") == true)
    }

    @Test func zeroRatesAreRefused() throws {
        let counter = try RunCounter(type: .perfEvent, name: "perf_zero")
        defer { counter.close() }
        expectBPFError(.invalidArgument) { try PerfEventLink(program: counter.program, sampling: .frequency(0)) }
        expectBPFError(.invalidArgument) { try PerfEventLink(program: counter.program, sampling: .period(0)) }
    }
}
