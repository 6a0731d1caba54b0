// hardirqs: hard irq handler time, as bcc's tools/hardirqs.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Hardirqs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hardirqs",
        abstract: "Summarize hard irq event time as histograms",
        discussion: """
            Uses the irq_handler_entry and irq_handler_exit raw tracepoints (bcc's hardirqs uses
            the tracepoints of the same names).

            examples:
                hardirqs            # sum hard irq event time
                hardirqs -d         # show hard irq event time as histograms
                hardirqs 1 10       # print 1 second summaries, 10 times
                hardirqs -NT 1      # 1s summaries, nanoseconds, and timestamps
                hardirqs -c 1       # sum hard irq event time on CPU 1 only
            """)

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("N"), .long], help: "output in nanoseconds")
    var nanoseconds = false

    @Flag(name: [.customShort("C"), .long], help: "show event counts instead of timing")
    var count = false

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
        if count && (dist || nanoseconds) {
            throw ValidationError("The --count option can't be used with time-based options")
        }
        if let cpu, cpu < 0 { throw ValidationError("-c must be a CPU number, got \(cpu)") }
        guard interval > 0 else { throw ValidationError("interval must be positive, got \(interval)") }
        guard outputs > 0 else { throw ValidationError("number of outputs must be positive, got \(outputs)") }
    }

    /// `irq_key_t`: the action name and the slot.
    struct Key: BitwiseCopyable {
        var name: (UInt64, UInt64, UInt64, UInt64)
        var slot: UInt64
        var text: String { withUnsafeBytes(of: name) { CText.string($0) } }
    }

    func run() throws {
        let factor: UInt64 = count || nanoseconds ? 1 : 1000
        let measure: IrqMeasure = count ? .count : dist ? .distribution(factor: Int(factor)) : .total
        let source = HardirqsProgram.source(measure: measure, filterCPU: cpu != nil)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let cpu { try TableFilters.fill(b, value: "cpu_filter", with: UInt64(cpu)) }
        try b.autoAttach()
        let unit = IrqMeasure.unit(count: count, nanoseconds: nanoseconds)
        StandardOutput.printLine(count ? "Tracing hard irq events... Hit Ctrl-C to end." : "Tracing hard irq event time... Hit Ctrl-C to end.")
        let table = try b["dist"]
        var loop = SummaryIntervals(interval: Double(interval), count: outputs, stop: StopSignal())
        while true {
            let last = loop.waitForSummary()
            var text = HistogramSummary.header(timestamp: timestamp)
            if dist {
                try table.writeHistogram(.log2, valType: unit, sectionHeader: "hardirq", sectionPrintFn: { bucket in if case .text(let name) = bucket { return name }; return bucket.description }, to: &text)
            } else {
                let rows = try table.typed(key: Key.self, value: UInt64.self).items().map { (name: $0.key.text, value: $0.value) }
                text += IrqMeasure.totals(title: "HARDIRQ", width: 26, unit: unit, factor: factor, rows: rows)
            }
            var output = StandardOutput()
            output.write(text)
            try table.clear()
            if last { return }
        }
    }
}
