// offcputime: off-CPU time by stack trace, as bcc's tools/offcputime.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Offcputime: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "offcputime",
        abstract: "Summarize off-CPU time by stack trace",
        discussion: """
            bcc's offcputime uses a kprobe on finish_task_switch; this one uses the
            sched_switch raw tracepoint (stacks are taken as the thread blocks).

            examples:
                offcputime             # trace off-CPU stack time until Ctrl-C
                offcputime 5           # trace for 5 seconds only
                offcputime -f 5        # 5 seconds, and output in folded format
                offcputime -s 5        # 5 seconds, and show symbol offsets
                offcputime -m 1000     # trace only events that last more than 1000 usec
                offcputime -M 10000    # trace only events that last less than 10000 usec
                offcputime -p 185,175,165 # only trace threads for PID 185,175,165
                offcputime -t 188,120,134 # only trace threads 188,120,134
                offcputime -u          # only trace user threads (no kernel)
                offcputime -k          # only trace kernel threads (no user)
                offcputime -U          # only show user space stacks (no kernel)
                offcputime -K          # only show kernel space stacks (no user)
            """)

    @Option(name: [.customShort("p"), .customLong("pid")], help: ArgumentHelp("trace these PIDs only, comma separated list", valueName: "PID"))
    var pids: String?

    @Option(name: [.customShort("t"), .customLong("tid")], help: ArgumentHelp("trace these TIDs only, comma separated list", valueName: "TID"))
    var tids: String?

    @Flag(name: [.customShort("u"), .customLong("user-threads-only")], help: "user threads only (no kernel threads)")
    var userThreadsOnly = false

    @Flag(name: [.customShort("k"), .customLong("kernel-threads-only")], help: "kernel threads only (no user threads)")
    var kernelThreadsOnly = false

    @Flag(name: [.customShort("U"), .customLong("user-stacks-only")], help: "show stacks from user space only (no kernel space stacks)")
    var userStacksOnly = false

    @Flag(name: [.customShort("K"), .customLong("kernel-stacks-only")], help: "show stacks from kernel space only (no user space stacks)")
    var kernelStacksOnly = false

    @Flag(name: [.customShort("d"), .long], help: "insert delimiter between kernel/user stacks")
    var delimited = false

    @Flag(name: [.customShort("f"), .long], help: "output folded format")
    var folded = false

    @Flag(name: [.customShort("s"), .long], help: "show address offsets")
    var offset = false

    @Option(name: .customLong("stack-storage-size"), help: "the number of unique stack traces that can be stored and displayed (default 16384)")
    var stackStorageSize = 16384

    @Argument(help: "duration of trace, in seconds")
    var duration: Int = 99_999_999

    @Option(name: [.customShort("m"), .customLong("min-block-time")], help: "the amount of time in microseconds over which we store traces (default 1)")
    var minBlockTime: UInt64 = 1

    @Option(name: [.customShort("M"), .customLong("max-block-time")], help: "the amount of time in microseconds under which we store traces (default U64_MAX)")
    var maxBlockTime: UInt64 = .max

    @Option(name: .customLong("state"), help: "filter on this thread state bitmask (eg, 2 == TASK_UNINTERRUPTIBLE) see include/linux/sched.h")
    var state: UInt64?

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        let threadOptions = [pids != nil, tids != nil, userThreadsOnly, kernelThreadsOnly].filter { $0 }.count
        if threadOptions > 1 { throw ValidationError("-p, -t, -u and -k are mutually exclusive") }
        if userStacksOnly && kernelStacksOnly { throw ValidationError("-U and -K are mutually exclusive") }
        if folded && offset { throw ValidationError("can only use -f or -s") }
        if kernelThreadsOnly && userStacksOnly {
            throw ValidationError("Displaying user stacks for kernel threads doesn't make sense.")
        }
        guard duration > 0 else { throw ValidationError("duration must be nonzero, got \(duration)") }
        guard stackStorageSize > 0 else { throw ValidationError("--stack-storage-size must be nonzero") }
        guard minBlockTime > 0, maxBlockTime > 0 else { throw ValidationError("block times must be nonzero") }
        _ = try IDList.parse(pids, option: "-p")
        _ = try IDList.parse(tids, option: "-t")
    }

    func run() throws {
        let threads: OffcputimeProgram.Threads
        let threadContext: String
        if let ids = try IDList.parse(pids, option: "-p") {
            threads = .processes(ids)
            threadContext = "PIDs " + ids.map(String.init).joined(separator: ",")
        } else if let ids = try IDList.parse(tids, option: "-t") {
            threads = .threads(ids)
            threadContext = "TIDs " + ids.map(String.init).joined(separator: ",")
        } else if userThreadsOnly {
            (threads, threadContext) = (.user, "user threads")
        } else if kernelThreadsOnly {
            (threads, threadContext) = (.kernel, "kernel threads")
        } else {
            (threads, threadContext) = (.all, "all threads")
        }
        let source = OffcputimeProgram.source(threads: threads, filterState: state != nil, userStacks: !kernelStacksOnly,
                                              kernelStacks: !userStacksOnly, stackStorage: stackStorageSize)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        try OffcputimeProgram.fill(b, threads: threads, state: state, minMicros: minBlockTime, maxMicros: maxBlockTime)
        try b.autoAttach()
        if !folded {
            let stackContext = userStacksOnly ? "user" : kernelStacksOnly ? "kernel" : "user + kernel"
            StandardOutput.printLine("Tracing off-CPU time (us) of \(threadContext) by \(stackContext) stack"
                + (duration < 99_999_999 ? " for \(duration) secs." : "... Hit Ctrl-C to end."))
        }
        let stop = StopSignal(duration: Double(duration))
        stop.wait()

        var style = StackReport.Style()
        style.kernelStacks = !userStacksOnly
        style.userStacks = !kernelStacksOnly
        style.delimited = delimited
        style.folded = folded
        style.showOffset = offset
        var report = StackReport(style: style)
        let stacks = try b["stack_traces"]
        var text = folded ? "" : "\n"
        for (key, value) in try b["counts"].typed(key: OffcputimeProgram.Key.self, value: UInt64.self).items()
            .sorted(by: { $0.value < $1.value }) {
            text += report.text(for: StackReport.Entry(comm: key.comm, pid: key.pid, symbolPid: key.tgid,
                                                       userStackID: Int64(key.userStackID),
                                                       kernelStackID: Int64(key.kernelStackID), value: value),
                                stacks: stacks)
        }
        var output = StandardOutput()
        output.write(text)
        if let warning = report.warning { StandardOutput.writeToStandardError(warning + "\n") }
    }
}
