// tcpdrop: trace TCP packets the kernel drops, with the drop reason and kernel stack, as bcc's tools/tcpdrop.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Tcpdrop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpdrop",
        abstract: "Trace TCP drops by the kernel",
        discussion: """
            Uses the skb:kfree_skb tracepoint and its drop reason, as bcc's tcpdrop does
            where tcp_drop() cannot be kprobed; reason names come from the kernel's
            enum skb_drop_reason. Each drop prints the kernel stack after its line.
            bcc's --netns-id and --pid-netns are not offered. Dropped records are
            reported as "Possibly lost N samples".

            examples:
                tcpdrop           # trace kernel TCP drops
                tcpdrop -4        # trace IPv4 family only
                tcpdrop -6        # trace IPv6 family only
            """)

    @Flag(name: [.customShort("4"), .customLong("ipv4")], help: "trace IPv4 family only")
    var ipv4 = false

    @Flag(name: [.customShort("6"), .customLong("ipv6")], help: "trace IPv6 family only")
    var ipv6 = false

    @OptionGroup var stream: EventStreamOptions

    func validate() throws {
        if ipv4 && ipv6 { throw ValidationError("-4 and -6 are mutually exclusive") }
    }

    func run() throws {
        let receivingSocket = try BPF.kernelStructHasField("trace_event_raw_kfree_skb", "rx_sk")
        let source = TcpdropProgram.source(family: TCPFamilyFilter(ipv4: ipv4, ipv6: ipv6), receivingSocket: receivingSocket)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let reasons = try TcpdropProgram.reasonNames()
        let b = try BPF(text: source)
        defer { b.close() }
        let stacks = try b["stack_traces"]
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(TcpdropProgram.header)
            try b["events"].openRingBuffer(as: tcpdrop_event_t.self) { event in
                output.appendLine(TcpdropProgram.line(for: event, clock: ToolClock.hhmmss(), reasons: reasons))
                let frames = event.stack_id < 0 ? [] : ((try? stacks.walk(event.stack_id)) ?? [])
                for address in frames { output.appendLine("\t" + BPF.ksym(address, showOffset: true)) }
                output.appendLine("")
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
