// killsnoop: trace signals issued by the kill() syscall, as bcc's tools/killsnoop.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Killsnoop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "killsnoop",
        abstract: "Trace signals issued by the kill() syscall",
        discussion: """
            Uses the syscalls:sys_enter_kill and sys_exit_kill tracepoints (bcc's
            killsnoop uses a kprobe and kretprobe on the kill syscall). Dropped records
            are reported as "Possibly lost N samples".

            examples:
                killsnoop           # trace all kill() signals
                killsnoop -x        # only show failed kills
                killsnoop -p 181    # only trace PID 181
                killsnoop -T 189    # only trace target PID 189
                killsnoop -s 9      # only trace signal 9
                killsnoop -s 9,15   # trace signal 9 and 15
            """)

    @Flag(name: [.customShort("x"), .long], help: "only show failed kill syscalls")
    var failed = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only which is the sender of signal")
    var pid: Int32?

    @Option(name: [.customShort("T"), .long], help: "trace this target PID only which is the receiver of signal")
    var tpid: Int32?

    @Option(name: [.customShort("s"), .long], help: "trace a signal or a signal list")
    var signal: String?

    @OptionGroup var stream: EventStreamOptions

    func validate() throws {
        if let signal, case .failure(let error) = SignalNames.mask(signal) { throw ValidationError(error.description) }
    }

    func run() throws {
        let source = KillsnoopProgram.source(filterPid: pid != nil, filterTargetPid: tpid != nil,
                                             filterSignals: signal != nil, failedOnly: failed)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        if let tpid { try TableFilters.fill(b, value: "tpid_filter", with: UInt64(UInt32(bitPattern: tpid))) }
        if let signal, case .success(let mask) = SignalNames.mask(signal) { try TableFilters.fill(b, value: "signal_mask", with: mask) }
        try b.autoAttach()
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            let width = KillsnoopProgram.pidWidth(pidMax: try? ProcFile.text("/proc/sys/kernel/pid_max"))
            StandardOutput.printLine(KillsnoopProgram.header(pidWidth: width))
            try b["events"].openRingBuffer(as: killsnoop_event_t.self) { event in
                output.appendLine(KillsnoopProgram.line(for: event, time: ToolClock.hhmmss(), pidWidth: width))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
