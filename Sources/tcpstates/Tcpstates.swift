// tcpstates: trace TCP session state changes and durations, as bcc's tools/tcpstates.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Tcpstates: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpstates",
        abstract: "Trace TCP session state changes and durations",
        discussion: """
            Uses the sock:inet_sock_set_state tracepoint, as bcc's tcpstates does where it
            exists (its fallback is a kprobe on tcp_set_state). bcc's -Y (systemd journal)
            is not offered. Dropped records are reported as "Possibly lost N samples".

            examples:
                tcpstates           # trace all TCP state changes
                tcpstates -t        # include timestamp column
                tcpstates -T        # include time column (HH:MM:SS)
                tcpstates -w        # wider columns (fit IPv6)
                tcpstates -stT      # csv output, with times & timestamps
                tcpstates -L 80     # only trace local port 80
                tcpstates -L 80,81  # only trace local ports 80 and 81
                tcpstates -D 80     # only trace remote port 80
                tcpstates -4        # trace IPv4 family only
                tcpstates -6        # trace IPv6 family only
            """)

    @Flag(name: [.customShort("T"), .long], help: "include time column on output (HH:MM:SS)")
    var time = false

    @Flag(name: [.customShort("t"), .long], help: "include timestamp on output (seconds)")
    var timestamp = false

    @Flag(name: [.customShort("w"), .long], help: "wide column output (fits IPv6 addresses)")
    var wide = false

    @Flag(name: [.customShort("s"), .long], help: "comma separated values output")
    var csv = false

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
        let source = TcpstatesProgram.source(family: TCPFamilyFilter(ipv4: ipv4, ipv6: ipv6),
                                             localPorts: local != nil, remotePorts: remote != nil)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let local { try TCPPortFilter.fill(b, "lports", with: local) }
        if let remote { try TCPPortFilter.fill(b, "dports", with: remote) }
        try b.autoAttach()
        var formatter = TcpstatesProgram.Formatter(style: TCPLineStyle(time: time, timestamp: timestamp, wide: wide, csv: csv))
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(formatter.header)
            try b["events"].openRingBuffer(as: tcpstates_event_t.self) { event in
                output.appendLine(formatter.line(for: event, clock: ToolClock.hhmmss()))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
