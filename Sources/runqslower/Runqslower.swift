// runqslower: trace long run queue (scheduler) delays, as bcc's tools/runqslower.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Runqslower: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "runqslower",
        abstract: "Trace high run queue latency",
        discussion: """
            Uses the sched_wakeup, sched_wakeup_new and sched_switch raw tracepoints, as
            bcc's runqslower does where it can (its fallback is kprobes). Dropped records
            are reported as "Possibly lost N samples".

            examples:
                runqslower         # trace run queue latency higher than 10000 us (default)
                runqslower 1000    # trace run queue latency higher than 1000 us
                runqslower -p 123  # trace pid 123
                runqslower -t 123  # trace tid 123 (use for threads only)
                runqslower -P      # also show previous task comm and TID
            """)

    @Argument(help: "minimum run queue latency to trace, in us (default 10000)")
    var minUs: UInt64 = 10000

    @Flag(name: [.customShort("P"), .long], help: "also show previous task name and TID")
    var previous = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Option(name: [.customShort("t"), .long], help: "trace this TID only")
    var tid: Int32?

    @Option(name: .customLong("duration"), help: "total duration of trace in seconds")
    var duration: Int?

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        if pid != nil && tid != nil { throw ValidationError("-p and -t are mutually exclusive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        let source = RunqslowerProgram.source(filterPid: pid != nil, filterTid: tid != nil)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        try TableFilters.fill(b, value: "min_us", with: minUs)
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        if let tid { try TableFilters.fill(b, value: "tid_filter", with: UInt64(UInt32(bitPattern: tid))) }
        try b.autoAttach()
        StandardOutput.printLine("Tracing run queue latency higher than \(minUs) us")
        StandardOutput.printLine(RunqslowerProgram.header(previous: previous))
        let previous = previous
        let output = OutputBuffer()
        try b["events"].openRingBuffer(as: runqslower_event_t.self) { event in
            output.appendLine(RunqslowerProgram.line(for: event, time: ToolClock.hhmmss(), previous: previous))
        }
        try b.pollReportingDrops(rings: ["events"], output: output, until: StopSignal(duration: duration.map(Double.init)))
    }
}
