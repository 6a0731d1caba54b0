// profile: CPU profiling by sampling stack traces, as bcc's tools/profile.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Profile: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Profile CPU stack traces at a timed interval",
        discussion: """
            Samples with the cpu-cycles hardware perf event, or the cpu-clock software
            event where the machine has no PMU, as bcc's profile does.

            examples:
                profile             # profile stack traces at 49 Hertz until Ctrl-C
                profile -F 99       # profile stack traces at 99 Hertz
                profile -c 1000000  # profile stack traces every 1 in a million events
                profile 5           # profile at 49 Hertz for 5 seconds only
                profile -f 5        # output in folded format for flame graphs
                profile -p 185      # only profile process with PID 185
                profile -L 185      # only profile thread with TID 185
                profile -U          # only show user space stacks (no kernel)
                profile -K          # only show kernel space stacks (no user)
                profile --cgroupmap mappath  # only profile cgroups in this BPF map
                profile --mntnsmap mappath   # only profile mount namespaces in the map
            """)

    @Option(name: [.customShort("p"), .long], help: "profile processes with one or more comma-separated PIDs only")
    var pid: String?

    @Option(name: [.customShort("L"), .customLong("tid")], help: "profile threads with one or more comma-separated TIDs only")
    var tid: String?

    @Flag(name: [.customShort("U"), .customLong("user-stacks-only")], help: "show stacks from user space only (no kernel space stacks)")
    var userStacksOnly = false

    @Flag(name: [.customShort("K"), .customLong("kernel-stacks-only")], help: "show stacks from kernel space only (no user space stacks)")
    var kernelStacksOnly = false

    @Option(name: [.customShort("F"), .long], help: "sample frequency, Hertz")
    var frequency: UInt64?

    @Option(name: [.customShort("c"), .long], help: "sample period, number of events")
    var count: UInt64?

    @Flag(name: [.customShort("d"), .long], help: "insert delimiter between kernel/user stacks")
    var delimited = false

    @Flag(name: [.customShort("a"), .long], help: "add _[k] annotations to kernel frames")
    var annotations = false

    @Flag(name: [.customShort("I"), .customLong("include-idle")], help: "include CPU idle stacks")
    var includeIdle = false

    @Flag(name: [.customShort("f"), .long], help: "output folded format, one line per stack (for flame graphs)")
    var folded = false

    @Option(name: .customLong("hash-storage-size"), help: "the number of hash keys that can be stored and (default 40960)")
    var hashStorageSize = 40960

    @Option(name: .customLong("stack-storage-size"), help: "the number of unique stack traces that can be stored and displayed (default 16384)")
    var stackStorageSize = 16384

    @Argument(help: "duration of trace, in seconds")
    var duration: Int = 99_999_999

    @Option(name: [.customShort("C"), .long], help: "cpu number to run profile on")
    var cpu: Int = -1

    @Flag(name: [.customShort("A"), .long], help: "show raw addresses")
    var address = false

    @OptionGroup var containers: ContainerFilterOptions

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        if pid != nil && tid != nil { throw ValidationError("-p and -L are mutually exclusive") }
        if userStacksOnly && kernelStacksOnly { throw ValidationError("-U and -K are mutually exclusive") }
        if frequency != nil && count != nil { throw ValidationError("-F and -c are mutually exclusive") }
        if frequency == 0 || count == 0 { throw ValidationError("-F and -c must be positive") }
        guard duration > 0 else { throw ValidationError("duration must be nonzero, got \(duration)") }
        guard hashStorageSize > 0, stackStorageSize > 0 else { throw ValidationError("storage sizes must be nonzero") }
        _ = try IDList.parse(pid, option: "-p")
        _ = try IDList.parse(tid, option: "-L")
    }

    func run() throws {
        let threads: ProfileProgram.Threads
        let threadContext: String
        if let ids = try IDList.parse(pid, option: "-p") {
            (threads, threadContext) = (.processes(ids), "PID \(ids)")
        } else if let ids = try IDList.parse(tid, option: "-L") {
            (threads, threadContext) = (.threads(ids), "TID \(ids)")
        } else {
            (threads, threadContext) = (.all, "all threads")
        }
        let source = ProfileProgram.source(threads: threads, includeIdle: includeIdle, userStacks: !kernelStacksOnly,
                                           kernelStacks: !userStacksOnly, hashStorage: hashStorageSize,
                                           stackStorage: stackStorageSize, containers: containers.filter)
        let rate: PerfSampling.Rate = count.map { .period($0) } ?? .frequency(frequency ?? 49)
        if !folded {
            let sampleContext: String
            switch rate {
            case .frequency(let hertz): sampleContext = "\(hertz) Hertz"
            case .period(let period): sampleContext = "every \(period) events"
            }
            let stackContext = userStacksOnly ? "user" : kernelStacksOnly ? "kernel" : "user + kernel"
            StandardOutput.printLine("Sampling at \(sampleContext) of \(threadContext) by \(stackContext) stack"
                + (cpu >= 0 ? " on CPU#\(cpu)" : "")
                + (duration < 99_999_999 ? " for \(duration) secs." : "... Hit Ctrl-C to end."))
        }
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source)
        defer { b.close() }
        try ProfileProgram.fill(b, threads: threads)
        try PerfSampling.attachCyclesOrCPUClock(b, fnName: "do_perf_event", rate: rate, cpu: cpu)
        let stop = StopSignal(duration: Double(duration))
        stop.wait()

        var style = StackReport.Style()
        style.kernelStacks = !userStacksOnly
        style.userStacks = !kernelStacksOnly
        style.delimited = delimited
        style.folded = folded
        style.showOffset = true
        style.showModule = true
        style.annotateKernel = annotations
        style.showAddresses = address
        var report = StackReport(style: style)
        let stacks = try b["stack_traces"]
        let items = try b["counts"].typed(key: ProfileProgram.Key.self, value: UInt64.self).items()
        var text = folded ? "" : "\n"
        for (key, value) in items.sorted(by: { $0.value < $1.value }) {
            text += report.text(for: StackReport.Entry(comm: key.comm, pid: key.pid, symbolPid: key.pid,
                                                       userStackID: Int64(key.userStackID),
                                                       kernelStackID: Int64(key.kernelStackID), value: value),
                                stacks: stacks)
        }
        var output = StandardOutput()
        output.write(text)
        var warnings: [String] = []
        if report.missingStacks > 0 {
            warnings.append("WARNING: \(report.missingStacks) stack traces could not be displayed."
                + (report.sawCollision ? " Consider increasing --stack-storage-size." : ""))
        }
        if items.count == hashStorageSize {
            warnings.append("WARNING: hash table full. Consider increasing --hash-storage-size.")
        }
        for warning in warnings { StandardOutput.writeToStandardError(warning + "\n") }
    }
}
