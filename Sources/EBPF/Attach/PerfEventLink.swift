import CBPF

/// A perf_event program (BPF_PROG_TYPE_PERF_EVENT) run by a sampling perf
/// event on every online CPU, as bcc's `attach_perf_event` does: for
/// example software cpu-clock samples at 99 Hz for a CPU profiler.
public final class PerfEventLink: Link {
    /// A perf event source: perf_event_attr's type and config.
    public struct Event: Sendable, Equatable, CustomStringConvertible {
        /// perf_event_attr.type (PERF_TYPE_SOFTWARE, PERF_TYPE_HARDWARE, ...).
        public var type: UInt32
        /// perf_event_attr.config (PERF_COUNT_SW_CPU_CLOCK, ...).
        public var config: UInt64

        /// An event by its raw perf type and config.
        public init(type: UInt32, config: UInt64) {
            self.type = type
            self.config = config
        }

        /// The software CPU clock: fires while a CPU runs, whatever it runs.
        public static let cpuClock = Event(type: PERF_TYPE_SOFTWARE.rawValue, config: UInt64(PERF_COUNT_SW_CPU_CLOCK.rawValue))
        /// The software task clock: time the monitored task runs.
        public static let taskClock = Event(type: PERF_TYPE_SOFTWARE.rawValue, config: UInt64(PERF_COUNT_SW_TASK_CLOCK.rawValue))
        /// Hardware CPU cycles (needs a PMU the virtual machine may not have).
        public static let cpuCycles = Event(type: PERF_TYPE_HARDWARE.rawValue, config: UInt64(PERF_COUNT_HW_CPU_CYCLES.rawValue))

        /// "cpu-clock", "task-clock", "cpu-cycles" or "type T config C".
        public var description: String {
            switch self {
            case .cpuClock: return "cpu-clock"
            case .taskClock: return "task-clock"
            case .cpuCycles: return "cpu-cycles"
            default: return "type \(type) config \(config)"
            }
        }
    }

    /// How often the event runs the program.
    public enum Sampling: Sendable, Equatable {
        /// About this many times a second (perf_event_attr.freq).
        case frequency(UInt64)
        /// Once every this many events (nanoseconds for the clocks).
        case period(UInt64)
    }

    /// "perf_event cpu-clock at 99 Hz" and the like.
    public let target: String
    /// The CPUs the program runs on, one perf event each.
    public let cpus: [Int]
    let resources: LinkResources

    /// Attaches `program` to `event` sampled at `sampling` on every online
    /// CPU (only on `cpu` when it is given), for process `pid` only when it is given.
    ///
    /// - Throws: `BPFError.notFound` when the kernel lacks the event (no
    ///   hardware PMU, for one), or the kernel's refusal of the program. When
    ///   one CPU fails, nothing stays attached.
    public init(
        program: Program, event: Event = .cpuClock, sampling: Sampling, pid: Int32? = nil, cpu: Int? = nil
    ) throws(BPFError) {
        var attr = perf_event_attr()
        attr.type = event.type
        attr.config = event.config
        switch sampling {
        case .frequency(let hertz):
            guard hertz > 0 else {
                throw BPFError.invalidArgument(
                    operation: "attach perf event", object: "\(event)", detail: "the sampling frequency must be above 0")
            }
            attr.freq = 1
            attr.sample_freq = hertz
        case .period(let period):
            guard period > 0 else {
                throw BPFError.invalidArgument(
                    operation: "attach perf event", object: "\(event)", detail: "the sampling period must be above 0")
            }
            attr.sample_period = period
        }
        let rate: String
        switch sampling {
        case .frequency(let hertz): rate = "at \(hertz) Hz"
        case .period(let period): rate = "every \(period)"
        }
        target = "perf_event \(event) \(rate)" + (pid.map { " for pid \($0)" } ?? "")
        try program.requireType([.perfEvent], for: target)
        let online = try OnlineCPUs.list()
        if let cpu {
            guard online.contains(cpu) else {
                throw BPFError.invalidArgument(
                    operation: "attach", object: target, detail: "CPU \(cpu) is not online (online: \(online))")
            }
            cpus = [cpu]
        } else {
            cpus = online
        }

        var links: [OwnedFD] = []
        var events: [OwnedFD] = []
        do {
            for cpu in cpus {
                let what = "\(target) on CPU \(cpu)"
                let fd = try PerfEvent.open(attr, pid: pid ?? -1, cpu: Int32(cpu), what: what)
                events.append(fd)
                if let link = try PerfEvent.attach(program, to: fd, what: what) { links.append(link) }
            }
        } catch {
            for fd in links + events { fd.close() }
            throw error
        }
        resources = LinkResources(descriptors: links + events)
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Detaches the program from every CPU. Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}
