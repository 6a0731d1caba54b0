// gethostlatency: show latency for getaddrinfo/gethostbyname[2] calls, as bcc's tools/gethostlatency.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Gethostlatency: ParsableCommand {
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

    @Option(name: [.customShort("d"), .customLong("duration")], help: "total duration of trace in seconds")
    var duration: Int?

    @Flag(name: [.customShort("j"), .long], help: "print each record as a line of JSON")
    var json = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        let source = GethostlatencyProgram.source()
        if ebpf {
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
        if json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(GethostlatencyProgram.header)
            try b["events"].openRingBuffer(as: gethostlatency_event_t.self) { event in
                output.appendLine(GethostlatencyProgram.line(for: event, clock: ToolClock.hhmmss()))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: json, until: StopSignal(duration: duration.map(Double.init)))
    }
}
