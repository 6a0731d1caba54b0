// stackcount: count the stacks that lead to functions, tracepoints or USDT
// probes, as bcc's tools/stackcount.py.
import ArgumentParser
import BCC
import BCCTools
import ProbeSpec

@main
struct StackCount: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "stackcount",
        abstract: "Count events and their stack traces",
        discussion: """
            Kernel functions need kprobes; on kernels without them use
            tracepoints (t:) or user functions (lib:function).

            examples:
                stackcount submit_bio          # count kernel stack traces for submit_bio
                stackcount -d ip_output        # include a user/kernel stack delimiter
                stackcount -s ip_output        # show symbol offsets
                stackcount -sv ip_output       # show offsets and raw addresses (verbose)
                stackcount 'tcp_send*'         # count stacks for funcs matching tcp_send*
                stackcount -r '^tcp_send.*'    # same as above, using regular expressions
                stackcount -Ti 5 ip_output     # output every 5 seconds, with timestamps
                stackcount -p 185 ip_output    # count ip_output stacks for PID 185 only
                stackcount -c 1 put_prev_entity   # count put_prev_entity stacks for CPU 1 only
                stackcount -p 185 c:malloc     # count stacks for malloc in PID 185
                stackcount t:sched:sched_fork  # count stacks for sched_fork tracepoint
                stackcount -p 185 u:node:*     # count stacks for all USDT probes in node
                stackcount -K t:sched:sched_switch   # kernel stacks only
                stackcount -U t:sched:sched_switch   # user stacks only
            """)


    @OptionGroup var options: PatternOptions

    @Option(name: [.customShort("c"), .long], help: "trace this CPU only")
    var cpu: Int?


    @Option(name: [.customShort("D"), .long], help: "total duration of trace, seconds")
    var duration: Int?



    @Flag(name: [.customShort("s"), .long], help: "show address offsets")
    var offset = false

    @Flag(name: [.customShort("P"), .long], help: "display stacks separately for each process")
    var perpid = false

    @Flag(name: [.customShort("K"), .customLong("kernel-stacks-only")], help: "kernel stack only")
    var kernelStacksOnly = false

    @Flag(name: [.customShort("U"), .customLong("user-stacks-only")], help: "user stack only")
    var userStacksOnly = false

    @Flag(name: [.customShort("v"), .long], help: "show raw addresses")
    var verbose = false

    @Flag(name: [.customShort("d"), .long], help: "insert delimiter between kernel/user stacks")
    var delimited = false

    @Flag(name: [.customShort("f"), .long], help: "output folded format")
    var folded = false

    @Flag(name: .customLong("debug"), help: "print BPF program before starting (for debugging purposes)")
    var debug = false

    @Argument(help: "search expression for events")
    var pattern: String

    func validate() throws {
        if kernelStacksOnly && userStacksOnly {
            throw ValidationError("-K and -U are mutually exclusive. If you want both stacks, that is the default.")
        }
        if let duration, duration <= 0 { throw ValidationError("duration must be positive, got \(duration)") }
    }

    /// The key of `counts`, laid out as the C `struct stackcount_key`.
    struct Key: BitwiseCopyable {
        var tgid: UInt32
        var userStackID: Int32
        var kernelStackID: Int32
        var name: (UInt32, UInt32, UInt32, UInt32)
    }

    func run() throws {
        let (_, points) = try options.expand(pattern)
        let pid = options.pid
        let stacks: StackCountSource.Stacks = kernelStacksOnly ? .kernel : userStacksOnly ? .user : [.kernel, .user]
        let perProcess = perpid || (pid ?? 0) > 0
        let program = StackCountSource.make(points: points, stacks: stacks, perProcess: perProcess, filter: TaskFilter(pid: pid, cpu: cpu))
        if debug { StandardOutput.printLine(program.source) }
        let b = try OneLinerProbes.load(program.source, probes: program.probes, pid: pid)
        defer { b.close() }
        if !folded { StandardOutput.printLine("Tracing \(points.count) functions for \"\(pattern)\"... Hit Ctrl-C to end.") }
        let counts = try b["counts"].typed(key: Key.self, value: UInt64.self)
        let traces = try b["stack_traces"]
        let needDelimiter = delimited && !(kernelStacksOnly || userStacksOnly)
        var loop = options.summaries(duration: duration)
        while true {
            let last = loop.waitForSummary()
            var text = (folded ? "" : "\n") + options.timestampLine
            for (key, count) in try counts.items().sorted(by: { $0.value < $1.value }) {
                let user = key.userStackID < 0 ? [] : (try? traces.walk(Int64(key.userStackID))) ?? []
                let kernel = key.kernelStackID < 0 ? [] : (try? traces.walk(Int64(key.kernelStackID))) ?? []
                let pidForSymbols = Int32(bitPattern: key.tgid)
                let comm = withUnsafeBytes(of: key.name) { CText.string($0) }
                if folded {
                    var frames = [comm]
                    frames += user.reversed().map { BPF.sym($0, pid: pidForSymbols) }
                    if needDelimiter { frames.append("-") }
                    frames += kernel.reversed().map { BPF.ksym($0) }
                    text += frames.joined(separator: ";") + " \(count)\n"
                } else {
                    for address in kernel {
                        text += "  " + (verbose ? CText.left(String(address, radix: 16), 16) + " " : "")
                            + BPF.ksym(address, showOffset: offset) + "\n"
                    }
                    if needDelimiter { text += "    --\n" }
                    for address in user {
                        text += "  " + (verbose ? CText.left(String(address, radix: 16), 16) + " " : "")
                            + BPF.sym(address, pid: pidForSymbols, showOffset: offset) + "\n"
                    }
                    if pid == nil && key.tgid != 0xffff_ffff { text += "    \(comm) [\(key.tgid)]\n" }
                    text += "    \(count)\n\n"
                }
            }
            try counts.clear()
            if last && !folded { text += "Detaching...\n" }
            var output = StandardOutput()
            output.write(text)
            if last { return }
        }
    }
}
