// tcpdrop: trace TCP packets the kernel drops, with the drop reason and kernel stack, as bcc's tools/tcpdrop.py.
import ArgumentParser
import BCC
import BCCTools
import Glibc

@main
struct Tcpdrop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpdrop",
        abstract: "Trace TCP drops by the kernel",
        discussion: """
            Uses the skb:kfree_skb tracepoint and its drop reason, as bcc's tcpdrop does
            where tcp_drop() cannot be kprobed; reason names come from the kernel's
            enum skb_drop_reason. Each drop prints the kernel stack after its line.
            Dropped records are reported as "Possibly lost N samples".

            examples:
                tcpdrop           # trace kernel TCP drops
                tcpdrop -4        # trace IPv4 family only
                tcpdrop -6        # trace IPv6 family only
                tcpdrop --netns-id 4026531840   # only trace this network namespace
                tcpdrop --pid-netns 181         # only trace the network namespace of PID 181
            """)

    @OptionGroup var families: TCPFamilyOptions

    @Option(name: .customLong("netns-id"), help: "the netns id to filter by")
    var netnsID: UInt32?

    @Option(name: .customLong("pid-netns"), help: "the pid whose netns to filter by")
    var pidNetns: Int32?

    @OptionGroup var stream: EventStreamOptions

    func validate() throws {
        if netnsID != nil && pidNetns != nil { throw ValidationError("--pid-netns and --netns-id not allowed together") }
    }

    /// The network namespace to keep: --netns-id, or the inode number of --pid-netns's /proc/PID/ns/net.
    func networkNamespace() throws -> UInt32? {
        guard let pidNetns else { return netnsID }
        var info = stat()
        guard stat("/proc/\(pidNetns)/ns/net", &info) == 0 else {
            throw ValidationError("--pid-netns: no network namespace for pid \(pidNetns) (/proc/\(pidNetns)/ns/net)")
        }
        return UInt32(truncatingIfNeeded: info.st_ino)
    }

    func run() throws {
        let receivingSocket = try BPF.kernelStructHasField("trace_event_raw_kfree_skb", "rx_sk")
        let netns = try networkNamespace()
        let source = TcpdropProgram.source(family: families.family, receivingSocket: receivingSocket, filterNetns: netns != nil)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let reasons = try TcpdropProgram.reasonNames()
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let netns { try TableFilters.fill(b, value: "netns_filter", with: UInt64(netns)) }
        try b.autoAttach()
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
