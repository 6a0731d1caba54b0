// sigsnoop: trace standard and real-time signals, as libbpf-tools' sigsnoop.
import ArgumentParser
import BCC
import BCCTools

@main
struct Sigsnoop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigsnoop",
        abstract: "Trace standard and real-time signals.",
        discussion: """
            Uses the signal:signal_generate tracepoint, or with -k the syscalls
            tracepoints of kill, tkill and tgkill, as libbpf-tools' sigsnoop (TCOMM is N/A
            with -k). Dropped records are reported as "Possibly lost N samples".

            examples:
                sigsnoop             # trace signals system-wide
                sigsnoop -k          # trace signals issued by kill syscall only
                sigsnoop -x          # trace failed signals only
                sigsnoop -p 1216     # only trace PID 1216
                sigsnoop -s 1,9,15   # trace signal 1, 9, 15
            """)

    @Flag(name: [.customShort("x"), .long], help: "Trace failed signals only.")
    var failed = false

    @Flag(name: [.customShort("k"), .long], help: "Trace signals issued by kill syscall only.")
    var kill = false

    @Option(name: [.customShort("p"), .long], help: "Process ID to trace")
    var pid: Int32?

    @Option(name: [.customShort("s"), .long], help: "Signals to trace.")
    var signal: String?

    @Flag(name: [.customShort("n"), .long], help: "Output signal name instead of signal number.")
    var name = false

    @OptionGroup var stream: EventStreamOptions

    func validate() throws {
        if let pid, pid <= 0 { throw ValidationError("Invalid PID: \(pid)") }
        if let signal, case .failure(let error) = SignalNames.mask(signal, maximum: 31) { throw ValidationError(error.description) }
    }

    func run() throws {
        let source = SigsnoopProgram.source(killOnly: kill, filterPid: pid != nil, filterSignals: signal != nil,
                                            failedOnly: failed)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(pid)) }
        if let signal, case .success(let mask) = SignalNames.mask(signal, maximum: 31) {
            try TableFilters.fill(b, value: "signal_mask", with: mask)
        }
        try b.autoAttach()
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(SigsnoopProgram.header)
            let names = name
            try b["events"].openRingBuffer(as: sigsnoop_event_t.self) { event in
                output.appendLine(SigsnoopProgram.line(for: event, time: ToolClock.hhmmss(), names: names))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
