// runqlen: scheduler run queue length as a histogram, as bcc's tools/runqlen.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Runqlen: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "runqlen",
        abstract: "Summarize scheduler run queue length as a histogram",
        discussion: """
            Samples each CPU's run queue at 99 Hertz with a cpu-clock perf event, as
            bcc's runqlen does.

            examples:
                runqlen            # summarize run queue length as a histogram
                runqlen 1 10       # print 1 second summaries, 10 times
                runqlen -T 1       # 1s summaries and timestamps
                runqlen -O         # report run queue occupancy
                runqlen -C         # show each CPU separately
            """)

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("O"), .long], help: "report run queue occupancy")
    var runqocc = false

    @Flag(name: [.customShort("C"), .long], help: "print output for each CPU separately")
    var cpus = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @OptionGroup var summary: SummaryArguments

    /// `cpu_key_t`.
    struct CPUKey: BitwiseCopyable {
        var cpu: Int32
        var slot: UInt32
    }

    func run() throws {
        let field = try BPF.kernelStructHasField("cfs_rq", "nr_queued") ? "nr_queued" : "nr_running"
        let source = RunqlenProgram.source(perCPU: cpus, queuedField: field)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source)
        defer { b.close() }
        try PerfSampling.attachCPUClock(b, fnName: "do_perf_event", rate: .frequency(99))
        StandardOutput.printLine("Sampling run queue length... Hit Ctrl-C to end.")
        let dist = try b["dist"]
        var loop = summary.intervals()
        while true {
            let last = loop.waitForSummary()
            var text = HistogramSummary.header(timestamp: timestamp)
            if runqocc && cpus {
                let items = try dist.typed(key: CPUKey.self, value: UInt64.self).items()
                for cpu in 0 ... Int(items.map(\.key.cpu).max() ?? 0) {
                    let samples = items.filter { $0.key.cpu == cpu }.map { (length: $0.key.slot, count: $0.value) }
                    text += "runqocc, CPU \(CText.left(String(cpu), 3)) \(CText.right(CText.fixed(RunqlenProgram.occupancy(samples), 2), 6))%\n"
                }
            } else if runqocc {
                let samples = try dist.typed(key: UInt32.self, value: UInt64.self).items().map { (length: $0.key, count: $0.value) }
                text += "runqocc: \(CText.fixed(RunqlenProgram.occupancy(samples), 2))%\n"
            } else {
                try dist.writeHistogram(.linear, valType: "runqlen", sectionHeader: "cpu", to: &text)
            }
            var output = StandardOutput()
            output.write(text)
            try dist.clear()
            if last { return }
        }
    }
}
