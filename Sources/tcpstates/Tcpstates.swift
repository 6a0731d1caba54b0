// tcpstates: trace TCP session state changes and durations, as bcc's tools/tcpstates.py.
import ArgumentParser
import BCC
import BCCTools
import Glibc

@main
struct Tcpstates: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpstates",
        abstract: "Trace TCP session state changes and durations",
        discussion: """
            Uses the sock:inet_sock_set_state tracepoint, as bcc's tcpstates does where it
            exists (its fallback is a kprobe on tcp_set_state). -Y logs each change to the
            systemd journal too, with bcc's fields (OBJECT_TCP_OLD_STATE, ...). Dropped
            records are reported as "Possibly lost N samples".

            examples:
                tcpstates           # trace all TCP state changes
                tcpstates -t        # include timestamp column
                tcpstates -T        # include time column (HH:MM:SS)
                tcpstates -w        # wider columns (fit IPv6)
                tcpstates -stT      # csv output, with times & timestamps
                tcpstates -Y        # log events to the systemd journal
                tcpstates -L 80     # only trace local port 80
                tcpstates -L 80,81  # only trace local ports 80 and 81
                tcpstates -D 80     # only trace remote port 80
                tcpstates -4        # trace IPv4 family only
                tcpstates -6        # trace IPv6 family only
            """)

    @OptionGroup var session: TCPSessionOptions

    @Flag(name: [.customShort("Y"), .long], help: "log session state changes to the systemd journal")
    var journal = false

    @OptionGroup var stream: EventStreamOptions

    func validate() throws {
        if journal && stream.json { throw ValidationError("-Y and -j cannot be combined") }
    }

    func run() throws {
        let (local, remote) = try session.ports()
        let source = TcpstatesProgram.source(family: session.families.family,
                                             localPorts: local != nil, remotePorts: remote != nil)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        try session.fillPortFilters(b)
        let journal = try self.journal ? SystemdJournal() : nil
        try b.autoAttach()
        var formatter = TcpstatesProgram.Formatter(style: session.style)
        let output = OutputBuffer()
        // Entries journald refused (it restarted, say): counted and reported, not lost silently.
        var journalRefused = 0
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(formatter.header)
            try b["events"].openRingBuffer(as: tcpstates_event_t.self) { event in
                output.appendLine(formatter.line(for: event, clock: ToolClock.hhmmss()))
                if let journal {
                    var now = timespec()
                    clock_gettime(CLOCK_REALTIME, &now)
                    let micros = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec / 1000)
                    if !journal.send(TcpstatesProgram.journalFields(for: event, now: micros, includeComm: getuid() != 0)) {
                        journalRefused += 1
                    }
                }
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
        if journalRefused > 0 {
            StandardOutput.writeToStandardError("The systemd journal refused \(journalRefused) entries; they are not in the journal.\n")
        }
    }
}
