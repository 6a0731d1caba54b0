// tcpaccept: trace TCP passive connections (accept()), as bcc's tools/tcpaccept.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Tcpaccept: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpaccept",
        abstract: "Trace TCP accepts",
        discussion: """
            bcc's tcpaccept uses a kretprobe on inet_csk_accept; this one uses the
            syscalls:sys_exit_accept and sys_exit_accept4 tracepoints and follows the
            returned descriptor to its socket. Dropped records are reported as "Possibly
            lost N samples".

            examples:
                tcpaccept           # trace all TCP accept()s
                tcpaccept -t        # include timestamps
                tcpaccept -P 80,81  # only trace port 80 and 81
                tcpaccept -p 181    # only trace PID 181
                tcpaccept -4        # trace IPv4 family
                tcpaccept -6        # trace IPv6 family
                tcpaccept --cgroupmap mappath  # only trace cgroups in this BPF map
                tcpaccept --mntnsmap mappath   # only trace mount namespaces in the map
            """)

    @Flag(name: [.customShort("T"), .long], help: "include time column on output (HH:MM:SS)")
    var time = false

    @Flag(name: [.customShort("t"), .long], help: "include timestamp on output")
    var timestamp = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Option(name: [.customShort("P"), .long], help: "comma-separated list of local ports to trace")
    var port: String?

    @OptionGroup var families: TCPFamilyOptions

    @OptionGroup var containers: ContainerFilterOptions

    @OptionGroup var stream: EventStreamOptions

    func run() throws {
        let ports = try TCPText.portOption(port, option: "-P")
        let source = TcpacceptProgram.source(filterPid: pid != nil, family: families.family,
                                             ports: ports != nil, containers: containers.filter)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        if let ports { try TCPPortFilter.fill(b, "lports", with: ports) }
        try b.autoAttach()
        var formatter = TcpacceptProgram.Formatter(time: time, timestamp: timestamp)
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(formatter.header)
            try b["events"].openRingBuffer(as: tcpaccept_event_t.self) { event in
                output.appendLine(formatter.line(for: event, clock: ToolClock.hhmmss()))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
