// tcpretrans: trace TCP retransmits, as bcc's tools/tcpretrans.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Tcpretrans: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpretrans",
        abstract: "Trace TCP retransmits",
        discussion: """
            Uses the tcp:tcp_retransmit_skb tracepoint, as bcc's tcpretrans does where it
            exists (its fallback is a kprobe on tcp_retransmit_skb). -l needs a kprobe on
            tcp_send_loss_probe, which has no tracepoint: on a kernel without kprobes it
            fails saying so. Dropped records are reported as "Possibly lost N samples".

            examples:
                tcpretrans           # trace TCP retransmits
                tcpretrans -l        # include TLP attempts
                tcpretrans -4        # trace IPv4 family only
                tcpretrans -6        # trace IPv6 family only
            """)

    @Flag(name: [.customShort("s"), .long], help: "display TCP sequence numbers")
    var sequence = false

    @Flag(name: [.customShort("l"), .long], help: "include tail loss probe attempts (needs kprobes)")
    var lossprobe = false

    @Flag(name: [.customShort("c"), .long], help: "count occurred retransmits per flow")
    var count = false

    @OptionGroup var families: TCPFamilyOptions

    @OptionGroup var stream: EventStreamOptions

    func run() throws {
        let source = TcpretransProgram.source(family: families.family, lossProbe: lossprobe)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source)
        defer { b.close() }
        if lossprobe { try b.attachKprobe(event: "tcp_send_loss_probe", fnName: "trace_tlp") }
        if !stream.json || count { StandardOutput.printLine("Tracing retransmits ... Hit Ctrl-C to end") }
        let stop = stream.stop
        if count {
            var counts = TcpretransProgram.Counts()
            try b["events"].openRingBuffer(as: tcpretrans_event_t.self) { counts.add($0) }
            try b.pollReportingDrops(rings: ["events"], until: stop)
            counts.report.forEach(StandardOutput.printLine)
            return
        }
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(TcpretransProgram.header(sequence: sequence))
            let sequence = sequence
            try b["events"].openRingBuffer(as: tcpretrans_event_t.self) { event in
                output.appendLine(TcpretransProgram.line(for: event, clock: ToolClock.hhmmss(), sequence: sequence))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stop)
    }
}
