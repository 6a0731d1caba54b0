// tcpconnect: trace TCP active connections (connect()), as bcc's tools/tcpconnect.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Tcpconnect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpconnect",
        abstract: "Trace TCP connects",
        discussion: """
            bcc's tcpconnect uses kprobes on tcp_v4_connect and tcp_v6_connect; this one
            uses the sock:inet_sock_set_state tracepoint: the task is taken where connect()
            moves the socket to SYN_SENT, and the line is printed when the socket leaves
            SYN_SENT (established, refused or timed out), once its local port is known.
            bcc's -d (DNS), --cgroupmap and --mntnsmap are not offered. Dropped records
            are reported as "Possibly lost N samples".

            examples:
                tcpconnect           # trace all TCP connect()s
                tcpconnect -t        # include timestamps
                tcpconnect -p 181    # only trace PID 181
                tcpconnect -P 80     # only trace port 80
                tcpconnect -P 80,81  # only trace port 80 and 81
                tcpconnect -4        # only trace IPv4 family
                tcpconnect -6        # only trace IPv6 family
                tcpconnect -U        # include UID
                tcpconnect -u 1000   # only trace UID 1000
                tcpconnect -c        # count connects per src ip and dest ip/port
                tcpconnect -L        # include LPORT while printing outputs
            """)

    @Flag(name: [.customShort("t"), .long], help: "include timestamp on output")
    var timestamp = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Option(name: [.customShort("P"), .long], help: "comma-separated list of destination ports to trace.")
    var port: String?

    @Flag(name: [.customShort("4"), .customLong("ipv4")], help: "trace IPv4 family only")
    var ipv4 = false

    @Flag(name: [.customShort("6"), .customLong("ipv6")], help: "trace IPv6 family only")
    var ipv6 = false

    @Flag(name: [.customShort("L"), .customLong("lport")], help: "include LPORT on output")
    var localPort = false

    @Flag(name: [.customShort("U"), .customLong("print-uid")], help: "include UID on output")
    var printUID = false

    @Option(name: [.customShort("u"), .long], help: "trace this UID only")
    var uid: UInt32?

    @Flag(name: [.customShort("c"), .long], help: "count connects per src ip and dest ip/port")
    var count = false

    @OptionGroup var stream: EventStreamOptions

    func validate() throws {
        if ipv4 && ipv6 { throw ValidationError("-4 and -6 are mutually exclusive") }
    }

    func run() throws {
        let ports = try TCPText.portOption(port, option: "-P")
        let source = TcpconnectProgram.source(filterPid: pid != nil, filterUID: uid != nil,
                                              family: TCPFamilyFilter(ipv4: ipv4, ipv6: ipv6), ports: ports != nil)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        if let uid { try TableFilters.fill(b, value: "uid_filter", with: UInt64(uid)) }
        if let ports { try TCPPortFilter.fill(b, "dports", with: ports) }
        try b.autoAttach()
        if !stream.json || count { StandardOutput.printLine("Tracing connect ... Hit Ctrl-C to end") }
        let stop = stream.stop
        if count {
            var counts = TcpconnectProgram.Counts()
            try b["events"].openRingBuffer(as: tcpconnect_event_t.self) { counts.add($0) }
            try b.pollReportingDrops(rings: ["events"], until: stop)
            counts.report.forEach(StandardOutput.printLine)
            return
        }
        var formatter = TcpconnectProgram.Formatter(timestamp: timestamp, printUID: printUID, localPort: localPort)
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(formatter.header)
            try b["events"].openRingBuffer(as: tcpconnect_event_t.self) { event in
                output.appendLine(formatter.line(for: event))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stop)
    }
}
