// funclatency: time functions and show their latency as a histogram, as
// bcc's tools/funclatency.py.
import ArgumentParser
import BCC
import BCCTools
import ProbeSpec

@main
struct FuncLatency: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "funclatency",
        abstract: "Time functions and print latency as a histogram",
        discussion: """
            Kernel functions need kprobes; on kernels without them time user
            functions (lib:function).

            examples:
                funclatency do_sys_open       # time the do_sys_open() kernel function
                funclatency c:read            # time the read() C library function
                funclatency -u vfs_read       # time vfs_read(), in microseconds
                funclatency -m do_nanosleep   # time do_nanosleep(), in milliseconds
                funclatency -i 2 -d 10 c:open # output every 2 seconds, for duration 10s
                funclatency -mTi 5 vfs_read   # output every 5 seconds, with timestamps
                funclatency -p 181 vfs_read   # time process 181 only
                funclatency 'vfs_fstat*'      # time both vfs_fstat() and vfs_fstatat()
                funclatency 'c:*printf'       # time the *printf family of functions
                funclatency -F 'vfs_r*'       # show one histogram per matched function
                funclatency -l 4 c:fib        # time up to 4 nested (recursive) calls of fib
            """)



    @OptionGroup var options: PatternOptions

    @Option(name: [.customShort("d"), .long], help: "total duration of trace, in seconds")
    var duration: Int?


    @Flag(name: [.customShort("u"), .long], help: "microsecond histogram")
    var microseconds = false

    @Flag(name: [.customShort("m"), .long], help: "millisecond histogram")
    var milliseconds = false

    @Flag(name: [.customShort("F"), .long], help: "show a separate histogram per function")
    var function = false


    @Option(name: [.customShort("l"), .long], help: "set the level of nested or recursive functions")
    var level: Int?

    @Flag(name: [.customShort("v"), .long], help: "print the BPF program (for debugging purposes)")
    var verbose = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @Argument(help: "search expression for functions")
    var pattern: String

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("duration must be positive, got \(duration)") }
        if microseconds && milliseconds { throw ValidationError("-u and -m cannot be used together") }
        if let level, !(1 ... 64).contains(level) { throw ValidationError("-l must be 1...64, got \(level)") }
    }

    func run() throws {
        let (parsed, functions) = try options.expand(pattern)
        guard parsed.point.kind == .kernelEntry || parsed.point.kind == .userEntry else {
            throw ValidationError("funclatency times functions: give [library:]function, not \(parsed.point)")
        }
        let pid = options.pid
        let unit: FuncLatencySource.Unit = milliseconds ? .milliseconds : microseconds ? .microseconds : .nanoseconds
        let program = FuncLatencySource.make(functions: functions, unit: unit, perFunction: function, filter: TaskFilter(pid: pid),
                                               levels: level ?? 1)
        if verbose || ebpf { StandardOutput.printLine(program.source) }
        if ebpf { return }
        let b = try BPF(text: program.source)
        defer { b.close() }
        // Return probes first, so no entry is recorded without its return.
        try OneLinerProbes.attach(program.returns, to: b, pid: pid)
        try OneLinerProbes.attach(program.entries, to: b, pid: pid)
        StandardOutput.printLine("Tracing \(functions.count) functions for \"\(pattern)\"... Hit Ctrl-C to end.")
        let dist = try b["dist"]
        let average = try b["avg"].typed(key: UInt32.self, value: UInt64.self)
        var loop = options.summaries(duration: duration)
        while true {
            let last = loop.waitForSummary()
            var output = StandardOutput()
            output.write("\n" + options.timestampLine)
            if function {
                try dist.printLog2Hist(valType: unit.rawValue, sectionHeader: "Function", sectionPrintFn: { bucket in
                    guard let index = bucket.integer, index >= 0, Int(index) < functions.count else { return bucket.description }
                    return functions[Int(index)].target
                })
            } else {
                try dist.printLog2Hist(valType: unit.rawValue)
            }
            let total = try average[0] ?? 0
            let count = try average[1] ?? 0
            if count > 0 {
                let scaled = total / unit.nanoseconds
                output.write("\navg = \(scaled / count) \(unit.rawValue), total: \(scaled) \(unit.rawValue), count: \(count)\n\n")
            }
            try dist.clear()
            try b["avg"].zero()
            if last {
                output.write("Detaching...\n")
                return
            }
        }
    }
}
