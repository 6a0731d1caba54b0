// Timed sampling for runqlen and profile: a BPF program run by a perf event
// on every CPU, the hardware cycle counter where the machine has one.
import BCC

/// How a sampling tool's program is attached to perf events.
public enum PerfSampling {
    /// How often samples are taken.
    public enum Rate: Sendable, Equatable {
        /// About this many samples a second on each CPU (-F).
        case frequency(UInt64)
        /// One sample every this many events (-c).
        case period(UInt64)
    }

    /// Attaches `fnName` to the software CPU clock on every CPU (or `cpu`),
    /// which every kernel has, as bcc's runqlen does.
    public static func attachCPUClock(_ b: BPF, fnName: String, rate: Rate, cpu: Int = -1) throws(BCCError) {
        try attach(b, type: PerfType.software, config: PerfSWConfig.cpuClock, fnName: fnName, rate: rate, cpu: cpu)
    }

    /// Attaches `fnName` to the cpu-cycles hardware event, falling back to
    /// the software CPU clock where there is no PMU (most virtual machines),
    /// as bcc's profile does; returns the event used ("cpu-cycles" or "cpu-clock").
    @discardableResult
    public static func attachCyclesOrCPUClock(_ b: BPF, fnName: String, rate: Rate, cpu: Int = -1) throws(BCCError) -> String {
        do {
            try attach(b, type: PerfType.hardware, config: PerfHWConfig.cpuCycles, fnName: fnName, rate: rate, cpu: cpu)
            return "cpu-cycles"
        } catch {
            try attachCPUClock(b, fnName: fnName, rate: rate, cpu: cpu)
            return "cpu-clock"
        }
    }

    private static func attach(_ b: BPF, type: UInt32, config: UInt64, fnName: String, rate: Rate, cpu: Int) throws(BCCError) {
        switch rate {
        case .frequency(let hertz):
            try b.attachPerfEvent(evType: type, evConfig: config, fnName: fnName, sampleFreq: hertz, cpu: cpu)
        case .period(let period):
            try b.attachPerfEvent(evType: type, evConfig: config, fnName: fnName, samplePeriod: period, cpu: cpu)
        }
    }
}
