// tcpconnect: trace TCP active connections (connect()), as bcc's tools/tcpconnect.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Tcpconnect: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpconnect",
        abstract: "Trace TCP connects",
        discussion: """
            bcc's tcpconnect uses kprobes on tcp_v4_connect and tcp_v6_connect; this one
            uses the sock:inet_sock_set_state tracepoint: the task is taken where connect()
            moves the socket to SYN_SENT, and the line is printed when the socket leaves
            SYN_SENT (established, refused or timed out), once its local port is known.
            -d (DNS names) needs a kprobe on udp_recvmsg, as bcc's does. Dropped records
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
                tcpconnect --cgroupmap mappath  # only trace cgroups in this BPF map
                tcpconnect --mntnsmap mappath   # only trace mount namespaces in the map
            """)

    @Flag(name: [.customShort("t"), .long], help: "include timestamp on output")
    var timestamp = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Option(name: [.customShort("P"), .long], help: "comma-separated list of destination ports to trace.")
    var port: String?

    @OptionGroup var families: TCPFamilyOptions

    @Flag(name: [.customShort("L"), .customLong("lport")], help: "include LPORT on output")
    var localPort = false

    @Flag(name: [.customShort("U"), .customLong("print-uid")], help: "include UID on output")
    var printUID = false

    @Option(name: [.customShort("u"), .long], help: "trace this UID only")
    var uid: UInt32?

    @Flag(name: [.customShort("c"), .long], help: "count connects per src ip and dest ip/port")
    var count = false

    @OptionGroup var containers: ContainerFilterOptions

    @Flag(name: [.customShort("d"), .long], help: "include likely DNS query associated with each connection (needs kprobes)")
    var dns = false

    // bcc's tcpconnect has no duration: -d is --dns.
    @Option(name: .customLong("duration"), help: "total duration of trace in seconds")
    var duration: Int?

    @OptionGroup var recordOptions: EventOutputOptions

    func validate() throws {
        if count && dns { throw ValidationError("you may not specify -d/--dns with -c/--count.") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        let ports = try TCPText.portOption(port, option: "-P")
        let source = TcpconnectProgram.source(filterPid: pid != nil, filterUID: uid != nil,
                                              family: families.family, ports: ports != nil,
                                              containers: containers.filter)
        if recordOptions.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        if let uid { try TableFilters.fill(b, value: "uid_filter", with: UInt64(uid)) }
        if let ports { try TCPPortFilter.fill(b, "dports", with: ports) }
        if dns { try Self.requireDNSProbe() }
        try b.autoAttach()
        if !recordOptions.json || count { StandardOutput.printLine("Tracing connect ... Hit Ctrl-C to end") }
        let stop = StopSignal(duration: duration.map(Double.init))
        if count {
            var counts = TcpconnectProgram.Counts()
            try b["events"].openRingBuffer(as: tcpconnect_event_t.self) { counts.add($0) }
            try b.pollReportingDrops(rings: ["events"], until: stop)
            counts.report.forEach(StandardOutput.printLine)
            return
        }
        var formatter = TcpconnectProgram.Formatter(timestamp: timestamp, printUID: printUID, localPort: localPort)
        let output = OutputBuffer()
        if recordOptions.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(formatter.header)
            try b["events"].openRingBuffer(as: tcpconnect_event_t.self) { event in
                output.appendLine(formatter.line(for: event))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: recordOptions.json, until: stop)
    }
}

extension Tcpconnect {
    /// bcc's -d reads DNS answers in a kprobe and kretprobe on udp_recvmsg,
    /// which no tracepoint stands in for: the kprobe error where there are
    /// none, and a plain refusal where there are (the answers are not parsed).
    static func requireDNSProbe() throws {
        let probe = try BPF(text: "int trace_udp_recvmsg(struct pt_regs *ctx) { return 0; }", autoAttach: false)
        defer { probe.close() }
        try probe.attachKprobe(event: "udp_recvmsg", fnName: "trace_udp_recvmsg")
        throw ValidationError("-d/--dns: DNS answers are not decoded by this tcpconnect")
    }
}
