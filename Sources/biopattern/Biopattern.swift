// biopattern: random and sequential disk access, as bcc's tools/biopattern.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Biopattern: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "biopattern",
        abstract: "Show block device I/O pattern.",
        discussion: """
            Uses the block:block_rq_complete tracepoint, as bcc's biopattern does.

            examples:
                biopattern            # show block device I/O pattern.
                biopattern 1 10       # print 1 second summaries, 10 times
                biopattern -d sdb     # show sdb only
            """)

    @Option(name: [.customShort("d"), .long], help: "Trace this disk only")
    var disk: String?

    @OptionGroup var summary: SummaryArguments

    func run() throws {
        let device: UInt32?
        do {
            device = try disk.map(BlockDevices.kernelDevice(ofDisk:))
        } catch {
            throw ValidationError(error.description)
        }
        let b = try BPF(text: BiopatternProgram.source(filterDisk: device != nil), autoAttach: false)
        defer { b.close() }
        if let device { try TableFilters.fill(b, value: "disk_filter", with: UInt64(device)) }
        try b.autoAttach()
        let counters = try b["counters"].typed(key: UInt32.self, value: BiopatternProgram.Counter.self)
        let devices = BlockDevices.current()
        StandardOutput.printLine(BiopatternProgram.header)
        var loop = summary.intervals()
        while true {
            let last = loop.waitForSummary()
            let time = ToolClock.hhmmss()
            var text = ""
            for (dev, counter) in try counters.items() {
                if let line = BiopatternProgram.line(time: time, disk: devices.name(ofKernelDevice: dev) ?? "Unknown", counter: counter) {
                    text += line + "\n"
                }
            }
            try counters.clear()
            var output = StandardOutput()
            output.write(text)
            if last { return }
        }
    }
}
