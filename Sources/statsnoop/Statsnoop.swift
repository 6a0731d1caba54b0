// statsnoop: trace stat() syscalls, as bcc's tools/statsnoop.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Statsnoop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "statsnoop",
        abstract: "Trace stat() syscalls",
        discussion: """
            Uses the syscalls:sys_enter_* and sys_exit_* tracepoints of stat, statx,
            statfs, newstat, newlstat, fstatat64 and newfstatat, those this kernel has
            (bcc's statsnoop uses kprobes and kretprobes on the same calls). Dropped
            records are reported as "Possibly lost N samples".

            examples:
                statsnoop           # trace all stat() syscalls
                statsnoop -t        # include timestamps
                statsnoop -s        # include syscall name
                statsnoop -x        # only show failed stats
                statsnoop -p 181    # only trace PID 181
            """)

    @Flag(name: [.customShort("t"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("s"), .long], help: "include syscall name on output")
    var sysname = false

    @Flag(name: [.customShort("x"), .long], help: "only show failed stats")
    var failed = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @OptionGroup var stream: EventStreamOptions

    func run() throws {
        let present = Set(try BPF.tracepoints { $0.hasPrefix("syscalls:sys_enter_") })
        let available = StatsnoopProgram.syscalls.filter { present.contains("syscalls:sys_enter_\($0)") }
        let source = StatsnoopProgram.source(available: available, filterPid: pid != nil, failedOnly: failed)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        try b.autoAttach()
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            let (timestamps, names) = (timestamp, sysname)
            StandardOutput.printLine(StatsnoopProgram.header(timestamps: timestamps, syscallNames: names))
            var start: UInt64 = 0
            try b["events"].openRingBuffer(as: statsnoop_event_t.self) { event in
                if start == 0 { start = event.ts_ns }
                output.appendLine(StatsnoopProgram.line(for: event, start: start, timestamps: timestamps, syscallNames: names))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
