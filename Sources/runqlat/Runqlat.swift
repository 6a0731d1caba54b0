// runqlat: run queue (scheduler) latency as a histogram, as bcc's tools/runqlat.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Runqlat: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "runqlat",
        abstract: "Summarize run queue (CPU scheduler) latency as a histogram",
        discussion: """
            examples:
                runqlat            # summarize run queue latency as a histogram
                runqlat 1 10       # print 1 second summaries, 10 times
                runqlat -mT 1      # 1s summaries, milliseconds, and timestamps
                runqlat -P         # show each PID separately
                runqlat -p 185     # trace PID 185 only
                runqlat -d 5       # trace for 5 seconds, then print
                runqlat --pidnss   # show each PID namespace separately
            """)

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("m"), .long], help: "millisecond histogram")
    var milliseconds = false

    @Flag(name: [.customShort("P"), .long], help: "print a histogram per process ID")
    var pids = false

    @Flag(name: .customLong("pidnss"), help: "print a histogram per PID namespace")
    var pidNamespaces = false

    @Flag(name: [.customShort("L"), .long], help: "print a histogram per thread ID")
    var tids = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Option(name: [.customShort("d"), .long], help: "total duration of trace in seconds")
    var duration: Int?

    @OptionGroup var summary: SummaryArguments

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        if [pids, tids, pidNamespaces].filter({ $0 }).count > 1 {
            throw ValidationError("-P, -L and --pidnss cannot be used together")
        }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        let grouping: RunqlatProgram.Grouping = pids ? .process : tids ? .thread : pidNamespaces ? .pidNamespace : .none
        let source = RunqlatProgram.source(milliseconds: milliseconds, pid: pid, grouping: grouping)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source)
        defer { b.close() }
        let label = milliseconds ? "msecs" : "usecs"
        let section = pids ? "pid" : tids ? "tid" : pidNamespaces ? "pidns" : ""
        let stop = StopSignal(duration: duration.map(Double.init))
        StandardOutput.printLine("Tracing run queue latency... Hit Ctrl-C to end.")
        let dist = try b["dist"]
        var loop = summary.intervals(stop: stop)
        while true {
            let last = loop.waitForSummary()
            var text = "\n"
            if timestamp { text += ToolClock.hhmmss() + "\n" }
            var output = StandardOutput()
            output.write(text)
            try dist.printLog2Hist(valType: label, sectionHeader: section)
            try dist.clear()
            if last { return }
        }
    }
}
