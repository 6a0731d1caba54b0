// bitesize: block I/O size histograms by process, as bcc's tools/bitesize.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Bitesize: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitesize",
        abstract: "Summarize block device I/O size as a histogram, by process name",
        discussion: """
            Uses the block:block_rq_issue tracepoint, as bcc's bitesize does. Beyond bcc's
            (Ctrl-C ends it), libbpf-tools' options: -c, -d, -T, interval and count.

            examples:
                bitesize              # trace block I/O size until Ctrl-C
                bitesize 1 10         # print 1 second summaries, 10 times
                bitesize -c fio       # trace fio only
                bitesize -d sdc       # trace sdc only
            """)

    @Option(name: [.customShort("c"), .long], help: "trace this process name only")
    var comm: String?

    @Option(name: [.customShort("d"), .long], help: "trace this disk only")
    var disk: String?

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    var timestamp = false

    @OptionGroup var summary: SummaryArguments

    func run() throws {
        let device: UInt32?
        do {
            device = try disk.map(BlockDevices.kernelDevice(ofDisk:))
        } catch {
            throw ValidationError(error.description)
        }
        let b = try BPF(text: BitesizeProgram.source(filterComm: comm != nil, filterDisk: device != nil), autoAttach: false)
        defer { b.close() }
        if let device { try TableFilters.fill(b, value: "disk_filter", with: UInt64(device)) }
        if let comm { try TableFilters.fill(b, comm: "comm_filter", with: comm) }
        try b.autoAttach()
        StandardOutput.printLine("Tracing block I/O... Hit Ctrl-C to end.")
        let dist = try b["dist"]
        var loop = summary.intervals()
        while true {
            let last = loop.waitForSummary()
            var text = timestamp ? HistogramSummary.header(timestamp: true) : ""
            try dist.writeHistogram(.log2, valType: "Kbytes", sectionHeader: "Process Name", sectionPrintFn: { bucket in
                if case .text(let name) = bucket { return name }
                return bucket.description
            }, to: &text)
            var output = StandardOutput()
            output.write(text)
            try dist.clear()
            if last { return }
        }
    }
}
