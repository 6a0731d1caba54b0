// exitsnoop: trace all process termination (exit, fatal signal), as bcc's tools/exitsnoop.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Exitsnoop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "exitsnoop",
        abstract: "Trace all process termination (exit, fatal signal)",
        discussion: """
            Uses the sched:sched_process_exit tracepoint, as bcc's exitsnoop does. With -p
            it ends after that process's exit. Dropped records are reported as "Possibly
            lost N samples".

            examples:
                exitsnoop                # trace all process termination
                exitsnoop -x             # trace only fails, exclude exit(0)
                exitsnoop -t             # include timestamps (local time)
                exitsnoop --utc          # include timestamps (UTC)
                exitsnoop -p 181         # only trace PID 181
                exitsnoop --label=exit   # label each output line with 'exit'
                exitsnoop --per-thread   # trace per thread termination
            """)

    @Flag(name: [.customShort("t"), .long], help: "include timestamp (local time default)")
    var timestamp = false

    @Flag(name: .customLong("utc"), help: "include timestamp in UTC (-t implied)")
    var utc = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Option(name: .customLong("label"), help: "label each line")
    var label: String?

    @Flag(name: [.customShort("x"), .long], help: "trace only fails, exclude exit(0)")
    var failed = false

    @Flag(name: .customLong("per-thread"), help: "trace per thread termination")
    var perThread = false

    @OptionGroup var stream: EventStreamOptions

    func run() throws {
        let source = ExitsnoopProgram.source(filterPid: pid != nil, perThread: perThread, failedOnly: failed)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        try b.autoAttach()
        // With -p, the main thread's exit ends the trace.
        var sawTarget = false
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output) { event in
                if event.pid?.int == event.tid?.int { sawTarget = true }
            }
        } else {
            let timestamps = timestamp || utc
            let utc = utc
            StandardOutput.printLine(ExitsnoopProgram.header(timeTitle: timestamps ? ExitsnoopProgram.timeTitle(utc: utc) : nil,
                                                             label: label != nil))
            // bcc: an empty --label prints "exit".
            let label = label.map { $0.isEmpty ? "exit" : $0 }
            try b["events"].openRingBuffer(as: exitsnoop_event_t.self) { event in
                let time = timestamps ? ExitsnoopProgram.timestamp(utc: utc) : nil
                output.appendLine(ExitsnoopProgram.line(for: event, time: time, label: label))
                if event.tid == event.pid { sawTarget = true }
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop,
                                 done: { pid != nil && sawTarget })
    }
}
