// softirqs: soft irq handler time, as bcc's tools/softirqs.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Softirqs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softirqs",
        abstract: "Summarize soft irq event time as histograms.",
        discussion: """
            Uses the softirq_entry and softirq_exit raw tracepoints (bcc's softirqs uses
            the tracepoints of the same names).

            examples:
                softirqs            # sum soft irq event time
                softirqs -C         # show the number of soft irq events
                softirqs -d         # show soft irq event time as histograms
                softirqs 1 10       # print 1 second summaries, 10 times
                softirqs -NT 1      # 1s summaries, nanoseconds, and timestamps
                softirqs -c 1       # sum soft irq event time on CPU 1 only
            """)

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("N"), .long], help: "output in nanoseconds")
    var nanoseconds = false

    @Flag(name: [.customShort("C"), .long], help: "show the number of soft irq events")
    var events = false

    @Flag(name: [.customShort("d"), .long], help: "show distributions as histograms")
    var dist = false

    @Option(name: [.customShort("c"), .long], help: "trace this CPU only")
    var cpu: Int?

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @Argument(help: "output interval, in seconds")
    var interval: Int = 99_999_999

    @Argument(help: "number of outputs")
    var outputs: Int = 99_999_999

    func validate() throws {
        if events && (dist || nanoseconds) {
            throw ValidationError("The --events option can't be used with time-based options")
        }
        if let cpu, cpu < 0 { throw ValidationError("-c must be a CPU number, got \(cpu)") }
        guard interval > 0 else { throw ValidationError("interval must be positive, got \(interval)") }
        guard outputs > 0 else { throw ValidationError("number of outputs must be positive, got \(outputs)") }
    }

    /// `irq_key_t`: the vector and the slot.
    struct Key: BitwiseCopyable {
        var vec: UInt32
        var padding: UInt32
        var slot: UInt64
        var text: String { SoftirqsProgram.name(ofVector: Int(vec)) }
    }

    func run() throws {
        let factor: UInt64 = events || nanoseconds ? 1 : 1000
        let measure: IrqMeasure = events ? .count : dist ? .distribution(factor: Int(factor)) : .total
        let source = SoftirqsProgram.source(measure: measure, filterCPU: cpu != nil)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let cpu { try TableFilters.fill(b, value: "cpu_filter", with: UInt64(cpu)) }
        try b.autoAttach()
        let unit = IrqMeasure.unit(count: events, nanoseconds: nanoseconds)
        StandardOutput.printLine(events ? "Tracing soft irq events... Hit Ctrl-C to end." : "Tracing soft irq event time... Hit Ctrl-C to end.")
        let table = try b["dist"]
        var loop = SummaryIntervals(interval: Double(interval), count: outputs, stop: StopSignal())
        while true {
            let last = loop.waitForSummary()
            var text = HistogramSummary.header(timestamp: timestamp)
            if dist {
                try table.writeHistogram(.log2, valType: unit, sectionHeader: "softirq", sectionPrintFn: { SoftirqsProgram.name(ofVector: Int($0.integer ?? -1)) }, to: &text)
            } else {
                let rows = try table.typed(key: Key.self, value: UInt64.self).items().map { (name: $0.key.text, value: $0.value) }
                text += IrqMeasure.totals(title: "SOFTIRQ", width: 16, unit: unit, factor: factor, rows: rows)
            }
            var output = StandardOutput()
            output.write(text)
            try table.clear()
            if last { return }
        }
    }
}
