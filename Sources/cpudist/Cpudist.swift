// cpudist: on- and off-CPU time per task as a histogram, as bcc's tools/cpudist.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Cpudist: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpudist",
        abstract: "Summarize on- and off-CPU time per task as a histogram.",
        discussion: """
            bcc's cpudist uses a kprobe on finish_task_switch; this one uses the
            sched_switch raw tracepoint.

            examples:
                cpudist              # summarize on-CPU time as a histogram
                cpudist -O           # summarize off-CPU time as a histogram
                cpudist 1 10         # print 1 second summaries, 10 times
                cpudist -mT 1        # 1s summaries, milliseconds, and timestamps
                cpudist -P           # show each PID separately
                cpudist -p 185       # trace PID 185 only
                cpudist -I           # include CPU idle time
                cpudist -e           # show extension summary (average/total/count)
            """)

    @Flag(name: [.customShort("O"), .long], help: "measure off-CPU time")
    var offcpu = false

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("m"), .long], help: "millisecond histogram")
    var milliseconds = false

    @Flag(name: [.customShort("P"), .long], help: "print a histogram per process ID")
    var pids = false

    @Flag(name: [.customShort("L"), .long], help: "print a histogram per thread ID")
    var tids = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Flag(name: [.customShort("I"), .customLong("include-idle")], help: "include CPU idle time")
    var includeIdle = false

    @Flag(name: [.customShort("e"), .long], help: "show extension summary (average/total/count)")
    var `extension` = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @OptionGroup var summary: SummaryArguments

    func validate() throws {
        if pids && tids { throw ValidationError("-P and -L cannot be used together") }
    }

    func run() throws {
        let grouping: CpudistProgram.Grouping = pids ? .process : tids ? .thread : .none
        let source = CpudistProgram.source(offCPU: offcpu, milliseconds: milliseconds, filterPid: pid != nil, grouping: grouping,
                                           includeIdle: includeIdle, summary: `extension`)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        try b.autoAttach()
        let unit = milliseconds ? "msecs" : "usecs"
        StandardOutput.printLine("Tracing \(offcpu ? "off" : "on")-CPU time... Hit Ctrl-C to end.")
        let dist = try b["dist"]
        var loop = summary.intervals()
        while true {
            let last = loop.waitForSummary()
            var text = HistogramSummary.header(timestamp: timestamp)
            try dist.writeHistogram(.log2, valType: unit, sectionHeader: pids ? "pid" : tids ? "tid" : "",
                                    sectionPrintFn: { Self.describe(task: $0.integer ?? 0) }, to: &text)
            if `extension`, let line = try HistogramSummary.takeAverageLine(from: b["extension"], unit: unit) {
                text += line
            }
            var output = StandardOutput()
            output.write(text)
            try dist.clear()
            if last { return }
        }
    }

    /// bcc's `pid_to_comm`: "PID COMM" while the task exists, else "PID".
    static func describe(task id: Int64) -> String {
        guard let comm = try? ProcFile.value("/proc/\(id)/comm") else { return String(id) }
        return "\(id) \(comm)"
    }
}
