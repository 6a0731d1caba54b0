// What hardirqs and softirqs share: bcc's options and the summary loop.
import ArgumentParser
import BCC

/// The options hardirqs and softirqs share, with bcc's letters (each tool
/// adds its own -C flag: `--count` or `--events`).
public struct IrqOptions: ParsableArguments {
    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    public var timestamp = false

    @Flag(name: [.customShort("N"), .long], help: "output in nanoseconds")
    public var nanoseconds = false

    @Flag(name: [.customShort("d"), .long], help: "show distributions as histograms")
    public var dist = false

    @Option(name: [.customShort("c"), .long], help: "trace this CPU only")
    public var cpu: Int?

    @Flag(name: .customLong("ebpf"), help: .hidden)
    public var ebpf = false

    @OptionGroup public var summary: SummaryArguments

    public init() {}

    public func validate() throws {
        if let cpu, cpu < 0 { throw ValidationError("-c must be a CPU number, got \(cpu)") }
    }

    /// The tool's -C flag (named `flag`) cannot go with the time options.
    public func validate(counting: Bool, flag: String) throws {
        if counting && (dist || nanoseconds) {
            throw ValidationError("The --\(flag) option can't be used with time-based options")
        }
    }
}

/// What differs between hardirqs and softirqs; ``run(_:counting:)`` is the rest.
public struct IrqTool {
    /// "hard irq" or "soft irq", for the banner.
    public var what: String
    /// The histogram sections' header ("hardirq").
    public var sectionHeader: String
    /// The totals' first column: its title and width.
    public var column: (title: String, width: Int)
    /// The BPF program for a measure, with or without the CPU filter.
    public var source: (IrqMeasure, Bool) -> String
    /// A histogram section's name.
    public var sectionName: (HistogramBucket) -> String
    /// The totals of the `dist` table, by name.
    public var totals: (Table) throws -> [(name: String, value: UInt64)]

    /// Describes a tool.
    public init(what: String, sectionHeader: String, column: (title: String, width: Int),
                source: @escaping (IrqMeasure, Bool) -> String, sectionName: @escaping (HistogramBucket) -> String,
                totals: @escaping (Table) throws -> [(name: String, value: UInt64)]) {
        self.what = what
        self.sectionHeader = sectionHeader
        self.column = column
        self.source = source
        self.sectionName = sectionName
        self.totals = totals
    }

    /// Loads the program, then prints totals or histograms every interval
    /// until the count of outputs, Ctrl-C or SIGTERM.
    public func run(_ options: IrqOptions, counting: Bool) throws {
        let factor: UInt64 = counting || options.nanoseconds ? 1 : 1000
        let measure: IrqMeasure = counting ? .count : options.dist ? .distribution(factor: Int(factor)) : .total
        let text = source(measure, options.cpu != nil)
        if options.ebpf {
            StandardOutput.printLine(text)
            return
        }
        let b = try BPF(text: text, autoAttach: false)
        defer { b.close() }
        if let cpu = options.cpu { try TableFilters.fill(b, value: "cpu_filter", with: UInt64(cpu)) }
        try b.autoAttach()
        let unit = IrqMeasure.unit(count: counting, nanoseconds: options.nanoseconds)
        StandardOutput.printLine(counting ? "Tracing \(what) events... Hit Ctrl-C to end." : "Tracing \(what) event time... Hit Ctrl-C to end.")
        let table = try b["dist"]
        var loop = options.summary.intervals()
        while true {
            let last = loop.waitForSummary()
            var summary = HistogramSummary.header(timestamp: options.timestamp)
            if options.dist {
                try table.writeHistogram(.log2, valType: unit, sectionHeader: sectionHeader, sectionPrintFn: sectionName, to: &summary)
            } else {
                summary += IrqMeasure.totals(title: column.title, width: column.width, unit: unit, factor: factor, rows: try totals(table))
            }
            var output = StandardOutput()
            output.write(summary)
            try table.clear()
            if last { return }
        }
    }
}
