// bcc's PerfType, PerfHWConfig and PerfSWConfig: the perf_event_attr type
// and config numbers attachPerfEvent takes.
import CBPF

/// perf_event_attr.type values, as bcc's `PerfType`.
public enum PerfType {
    /// PERF_TYPE_HARDWARE: counters of the CPU's PMU.
    public static let hardware = PERF_TYPE_HARDWARE.rawValue
    /// PERF_TYPE_SOFTWARE: the kernel's own counters and clocks.
    public static let software = PERF_TYPE_SOFTWARE.rawValue
}

/// Hardware event configs, as bcc's `PerfHWConfig`.
public enum PerfHWConfig {
    /// PERF_COUNT_HW_CPU_CYCLES.
    public static let cpuCycles = UInt64(PERF_COUNT_HW_CPU_CYCLES.rawValue)
    /// PERF_COUNT_HW_INSTRUCTIONS.
    public static let instructions = UInt64(PERF_COUNT_HW_INSTRUCTIONS.rawValue)
}

/// Software event configs, as bcc's `PerfSWConfig`.
public enum PerfSWConfig {
    /// PERF_COUNT_SW_CPU_CLOCK: fires while a CPU runs, whatever it runs.
    public static let cpuClock = UInt64(PERF_COUNT_SW_CPU_CLOCK.rawValue)
    /// PERF_COUNT_SW_TASK_CLOCK: the time the monitored task runs.
    public static let taskClock = UInt64(PERF_COUNT_SW_TASK_CLOCK.rawValue)
}
