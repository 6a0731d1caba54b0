// tcplife: trace the lifespan of TCP sessions and summarize, as bcc's tools/tcplife.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Tcplife: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcplife",
        abstract: "Trace the lifespan of TCP sessions and summarize",
        discussion: """
            Uses the sock:inet_sock_set_state tracepoint, as bcc's tcplife does where it
            exists (its fallback is a kprobe on tcp_set_state). Dropped records are
            reported as "Possibly lost N samples".

            examples:
                tcplife           # trace all TCP connect()s
                tcplife -T        # include time column (HH:MM:SS)
                tcplife -w        # wider columns (fit IPv6)
                tcplife -stT      # csv output, with times & timestamps
                tcplife -p 181    # only trace PID 181
                tcplife -L 80     # only trace local port 80
                tcplife -L 80,81  # only trace local ports 80 and 81
                tcplife -D 80     # only trace remote port 80
                tcplife -4        # only trace IPv4 family
                tcplife -6        # only trace IPv6 family
            """)

    @OptionGroup var session: TCPSessionOptions

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @OptionGroup var stream: EventStreamOptions

    func run() throws {
        let (local, remote) = try session.ports()
        let source = TcplifeProgram.source(filterPid: pid != nil, family: session.families.family,
                                           localPorts: local != nil, remotePorts: remote != nil)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        try session.fillPortFilters(b)
        try b.autoAttach()
        var formatter = TcplifeProgram.Formatter(style: session.style)
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(formatter.header)
            try b["events"].openRingBuffer(as: tcplife_event_t.self) { event in
                output.appendLine(formatter.line(for: event, clock: ToolClock.hhmmss()))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
