// funccount: count function calls, tracepoints or USDT probes matching a
// pattern, as bcc's tools/funccount.py.
import ArgumentParser
import BCC
import BCCTools
import ProbeSpec

@main
struct FuncCount: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "funccount",
        abstract: "Count functions, tracepoints and USDT probes",
        discussion: """
            Kernel function patterns need kprobes; on kernels without them use
            tracepoints (t:) or user functions (lib:function).

            examples:
                funccount 'vfs_*'             # count kernel fns starting with "vfs"
                funccount -r '^vfs.*'         # same as above, using regular expressions
                funccount -Ti 5 'vfs_*'       # output every 5 seconds, with timestamps
                funccount -d 10 'vfs_*'       # trace for 10 seconds only
                funccount -p 185 'vfs_*'      # count vfs calls for PID 185 only
                funccount t:sched:sched_fork  # count calls to the sched_fork tracepoint
                funccount 't:sched:sched_*'   # count every sched tracepoint
                funccount c:malloc            # count all malloc() calls in libc
                funccount 'c:mem*'            # count libc functions starting with "mem"
                funccount ./test:read*        # count "read*" calls in the ./test binary
                funccount -c 1 'vfs_*'        # count vfs calls on CPU 1 only
            """)



    @OptionGroup var options: PatternOptions

    @Option(name: [.customShort("d"), .long], help: "total duration of trace, seconds")
    var duration: Int?



    @Flag(name: [.customShort("D"), .long], help: "print BPF program before starting (for debugging purposes)")
    var debug = false

    @Option(name: [.customShort("c"), .long], help: "trace this CPU only")
    var cpu: Int?

    @Argument(help: "search expression for events")
    var pattern: String

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("duration must be positive, got \(duration)") }
    }

    func run() throws {
        let (_, points) = try options.expand(pattern)
        let pid = options.pid
        let program = FuncCountSource.make(points: points, filter: TaskFilter(pid: pid, cpu: cpu))
        if debug { StandardOutput.printLine(program.source) }
        let b = try OneLinerProbes.load(program.source, probes: program.probes, pid: pid)
        defer { b.close() }
        let counts = try b["counts"].typed(key: UInt32.self, value: UInt64.self)
        StandardOutput.printLine("Tracing \(points.count) functions for \"\(pattern)\"... Hit Ctrl-C to end.")
        var loop = options.summaries(duration: duration)
        while true {
            let last = loop.waitForSummary()
            var text = "\n" + options.timestampLine
            text += CText.left("FUNC", 36) + " " + CText.right("COUNT", 8) + "\n"
            for (location, count) in try counts.items().sorted(by: { $0.value < $1.value }) where count > 0 && Int(location) < points.count {
                text += CText.left(name(points[Int(location)]), 36) + " " + CText.right(String(count), 8) + "\n"
            }
            if last { text += "Detaching...\n" }
            var output = StandardOutput()
            output.write(text)
            if last { return }
            try b["counts"].zero()
        }
    }

    /// The FUNC column: the function, `category:event`, or USDT probe name, as bcc prints it.
    private func name(_ point: ProbePoint) -> String {
        point.kind == .usdt ? (point.usdtProbe?.name ?? point.target) : point.target
    }
}
