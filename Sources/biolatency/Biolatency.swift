// biolatency: block device I/O latency as a histogram, as bcc's tools/biolatency.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Biolatency: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "biolatency",
        abstract: "Summarize block device I/O latency as a histogram",
        discussion: """
            bcc's biolatency uses kprobes (blk_mq_start_request, __blk_account_io_done);
            this one uses the raw tracepoints block_rq_issue (block_io_start with -Q)
            and block_rq_complete, so -F works too.

            examples:
                biolatency                    # summarize block I/O latency as a histogram
                biolatency 1 10               # print 1 second summaries, 10 times
                biolatency -mT 1              # 1s summaries, milliseconds, and timestamps
                biolatency -Q                 # include OS queued time in I/O time
                biolatency -D                 # show each disk device separately
                biolatency -F                 # show I/O flags separately
                biolatency -e                 # show extension summary(total, average)
                biolatency -d sdc             # Trace sdc only
                biolatency -j                 # json output (one object a histogram)
            """)

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("Q"), .long], help: "include OS queued time in I/O time")
    var queued = false

    @Flag(name: [.customShort("m"), .long], help: "millisecond histogram")
    var milliseconds = false

    @Flag(name: [.customShort("D"), .long], help: "print a histogram per disk device")
    var disks = false

    @Flag(name: [.customShort("F"), .long], help: "print a histogram per set of I/O flags")
    var flags = false

    @Flag(name: [.customShort("e"), .long], help: "summarize average/total value")
    var `extension` = false

    @Option(name: [.customShort("d"), .long], help: "Trace this disk only")
    var disk: String?

    @Flag(name: [.customShort("j"), .long], help: "json output")
    var json = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @OptionGroup var summary: SummaryArguments

    func validate() throws {
        if flags && disks { throw ValidationError("can only use -D or -F") }
    }

    func run() throws {
        let device: UInt32?
        do {
            device = try disk.map(BlockDevices.kernelDevice(ofDisk:))
        } catch {
            throw ValidationError(error.description)
        }
        let grouping: BiolatencyProgram.Grouping = disks ? .disk : flags ? .flags : .none
        let source = BiolatencyProgram.source(milliseconds: milliseconds, queued: queued, grouping: grouping,
                                              summary: `extension`, filterDisk: device != nil)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let device { try TableFilters.fill(b, value: "disk_filter", with: UInt64(device)) }
        try b.autoAttach()
        let unit = milliseconds ? "msecs" : "usecs"
        if !json { StandardOutput.printLine("Tracing block device I/O... Hit Ctrl-C to end.") }
        let dist = try b["dist"]
        let devices = BlockDevices.current()
        let stop = StopSignal()
        var loop = summary.intervals(stop: stop)
        while true {
            let last = loop.waitForSummary()
            var text = HistogramSummary.header(timestamp: timestamp)
            let label: (HistogramBucket) -> String = { bucket in
                let value = UInt64(bitPattern: bucket.integer ?? 0)
                if flags { return BiolatencyProgram.describe(flags: value) }
                return devices.name(ofKernelDevice: UInt32(truncatingIfNeeded: value)) ?? "?"
            }
            if json {
                try dist.writeJSONHistogram(valType: unit, sectionHeader: flags ? "flags" : "disk", sectionPrintFn: label, to: &text)
            } else {
                try dist.writeHistogram(.log2, valType: unit, sectionHeader: flags ? "flags" : "disk", sectionPrintFn: label, to: &text)
            }
            if `extension`, !json, let line = try HistogramSummary.takeAverageLine(from: b["extension"], unit: unit) {
                text += line
            }
            var output = StandardOutput()
            output.write(text)
            try dist.clear()
            if last { return }
        }
    }
}
