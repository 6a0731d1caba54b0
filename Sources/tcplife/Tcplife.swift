// tcplife: trace the lifespan of TCP sessions and summarize, as bcc's tools/tcplife.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Tcplife: ParsableCommand {
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

    @Flag(name: [.customShort("T"), .long], help: "include time column on output (HH:MM:SS)")
    var time = false

    @Flag(name: [.customShort("t"), .long], help: "include timestamp on output (seconds)")
    var timestamp = false

    @Flag(name: [.customShort("w"), .long], help: "wide column output (fits IPv6 addresses)")
    var wide = false

    @Flag(name: [.customShort("s"), .long], help: "comma separated values output")
    var csv = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Option(name: [.customShort("L"), .customLong("localport")], help: "comma-separated list of local ports to trace.")
    var localPorts: String?

    @Option(name: [.customShort("D"), .customLong("remoteport")], help: "comma-separated list of remote ports to trace.")
    var remotePorts: String?

    @Flag(name: [.customShort("4"), .customLong("ipv4")], help: "trace IPv4 family only")
    var ipv4 = false

    @Flag(name: [.customShort("6"), .customLong("ipv6")], help: "trace IPv6 family only")
    var ipv6 = false

    @OptionGroup var stream: EventStreamOptions

    func validate() throws {
        if ipv4 && ipv6 { throw ValidationError("-4 and -6 are mutually exclusive") }
    }

    func run() throws {
        let local = try TCPText.portOption(localPorts, option: "-L")
        let remote = try TCPText.portOption(remotePorts, option: "-D")
        let source = TcplifeProgram.source(filterPid: pid != nil, family: TCPFamilyFilter(ipv4: ipv4, ipv6: ipv6),
                                           localPorts: local != nil, remotePorts: remote != nil)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        if let local { try TCPPortFilter.fill(b, "lports", with: local) }
        if let remote { try TCPPortFilter.fill(b, "dports", with: remote) }
        try b.autoAttach()
        var formatter = TcplifeProgram.Formatter(style: TCPLineStyle(time: time, timestamp: timestamp, wide: wide, csv: csv))
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
