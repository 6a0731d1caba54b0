// gethostlatency: show latency for getaddrinfo/gethostbyname[2] calls, as bcc's tools/gethostlatency.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Gethostlatency: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "gethostlatency",
        abstract: "Show latency for getaddrinfo/gethostbyname[2] calls",
        discussion: """
            Uses uprobes and uretprobes on getaddrinfo, gethostbyname and gethostbyname2
            in libc, as bcc's gethostlatency. Dropped records are reported as
            "Possibly lost N samples".

            examples:
                gethostlatency           # time getaddrinfo/gethostbyname[2] calls
                gethostlatency -p 181    # only trace PID 181
            """)

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @OptionGroup var stream: EventStreamOptions

    func run() throws {
        let source = GethostlatencyProgram.source()
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source)
        defer { b.close() }
        for function in GethostlatencyProgram.functions {
            try b.attachUprobe(name: "c", sym: function, fnName: "do_entry", pid: pid ?? -1)
            try b.attachUretprobe(name: "c", sym: function, fnName: "do_return", pid: pid ?? -1)
        }
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(GethostlatencyProgram.header)
            try b["events"].openRingBuffer(as: gethostlatency_event_t.self) { event in
                output.appendLine(GethostlatencyProgram.line(for: event, clock: ToolClock.hhmmss()))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
