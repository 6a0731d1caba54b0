// trace: print a line per call of functions, tracepoints or USDT probes, with
// arguments formatted by a printf-style string and optional filters, as bcc's
// tools/trace.py.
import ArgumentParser
import BCC
import BCCTools
import Glibc
import ProbeSpec

@main
struct Trace: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Attach to functions and print trace messages",
        discussion: """
            probe: [p|r]:[library]:function[(signature)] [(filter)] ["format", arguments...]
                   t:category:event [(filter)] ["format", args->field...]
            arg1..arg6 are the function's arguments, retval its return value (r: probes),
            $pid $tgid $uid $gid $cpu $task the current task; argN@user reads a user pointer.
            Kernel functions need kprobes; on kernels without them use tracepoints (t:)
            or user functions (lib:function). Events go through one ring buffer per
            probe; drops are reported as "Possibly lost N samples".

            examples:
                trace do_sys_open                           # trace the open syscall
                trace 'do_sys_open "%s", arg2@user'         # with the file name
                trace 'r::do_sys_open "%llx", retval'       # its return value
                trace 'r:c:read ((int)retval < 0) "read failed: %d", retval'
                trace 'p:c:write (arg1 == 1) "writing %d bytes to STDOUT", arg3'
                trace 'c:open (arg2 == 42) "%s %d", arg1, arg2'
                trace 'p:c:open(char *filename) "opening %s", filename'
                trace 't:syscalls:sys_enter_openat "%s", args->filename'
                trace 't:block:block_rq_complete "sectors=%d", args->nr_sector'
                trace -p 1234 'c:malloc "size = %d", arg1' -U
                trace -M 5 'r:c:malloc "%llx", retval' 'p:c:free "%llx", arg1'
                trace 'r:c:getenv (STRCMP("HOME", arg1)) "%s", arg1'   # only getenv("HOME")
                trace -c /sys/fs/cgroup/unified/workload 't:syscalls:sys_enter_nanosleep'
                trace -A -M 100 't:sched:sched_process_exec'   # 100 events, identical ones counted
                trace -I 'linux/fs.h' 't:syscalls:sys_enter_openat "%s", args->filename'
            """)

    @Option(name: [.customShort("b"), .customLong("buffer-pages")], help: "number of pages to use for each probe's ring buffer")
    var bufferPages = 64

    @Option(name: [.customShort("p"), .long], help: "id of the process to trace (optional)")
    var pid: Int32?

    @Option(name: [.customShort("L"), .long], help: "id of the thread to trace (optional)")
    var tid: Int32?

    @Option(name: .customLong("uid"), help: "id of the user to trace (optional)")
    var uid: UInt32?

    @Flag(name: [.customShort("v"), .long], help: "print resulting BPF program code before executing")
    var verbose = false

    @Option(name: [.customShort("Z"), .customLong("string-size")], help: "maximum size to read from strings")
    var stringSize = 80

    @Flag(name: [.customShort("S"), .customLong("include-self")], help: "do not filter trace's own pid from the trace")
    var includeSelf = false

    @Option(name: [.customShort("M"), .customLong("max-events")], help: "number of events to print before quitting")
    var maxEvents: Int?

    @Flag(name: [.customShort("t"), .long], help: "print timestamp column (offset from trace start)")
    var timestamp = false

    @Flag(name: [.customShort("u"), .customLong("unix-timestamp")], help: "print UNIX timestamp instead of offset from trace start, requires -t")
    var unixTimestamp = false

    @Flag(name: [.customShort("T"), .long], help: "print time column")
    var time = false

    @Flag(name: [.customShort("C"), .customLong("print_cpu")], help: "print CPU id")
    var printCPU = false

    @Option(name: [.customShort("n"), .long], help: "only print process names containing this name")
    var name: String?

    @Option(name: [.customShort("f"), .customLong("msg-filter")], help: "only print the msg of event containing this string")
    var msgFilter: String?

    @Flag(name: [.customShort("K"), .customLong("kernel-stack")], help: "output kernel stack trace")
    var kernelStack = false

    @Flag(name: [.customShort("U"), .customLong("user-stack")], help: "output user stack trace")
    var userStack = false

    @Flag(name: [.customShort("a"), .long], help: "print virtual address in stacks")
    var address = false

    @Option(name: [.customShort("d"), .long], help: "total duration of trace, seconds")
    var duration: Int?

    @Option(name: [.customShort("c"), .customLong("cgroup-path")], help: "cgroup path")
    var cgroupPath: String?

    @Flag(name: [.customShort("B"), .customLong("bin_cmp")], help: "allow to use STRCMP with binary values")
    var binaryCompare = false

    @Option(name: [.customShort("I"), .long],
            help: "additional header files to include in the BPF program as either full path, or relative to current working directory, or relative to default kernel header search path")
    var include: [String] = []

    @Flag(name: [.customShort("A"), .long], help: "aggregate amount of each trace")
    var aggregate = false

    @Option(name: [.customShort("s"), .customLong("sym_file_list")],
            help: "comma separated list of symbol files to use for symbol resolution")
    var symbolFiles: String?

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @Argument(help: "probe specifier (see examples)")
    var probes: [String]

    func validate() throws {
        if pid != nil && tid != nil { throw ValidationError("only one of -p and -L may be specified") }
        if unixTimestamp && !timestamp { throw ValidationError("-u requires -t") }
        if stringSize <= 0 || stringSize > 4096 { throw ValidationError("-Z must be between 1 and 4096, got \(stringSize)") }
        if let maxEvents, maxEvents <= 0 { throw ValidationError("-M must be positive, got \(maxEvents)") }
        if bufferPages <= 0 || bufferPages & (bufferPages - 1) != 0 { throw ValidationError("-b must be a power of two, got \(bufferPages)") }
        if aggregate && maxEvents == nil { throw ValidationError("-M/--max-events must be specified with -A/--aggregate") }
    }

    func run() throws {
        var parsed: [TraceProbe] = []
        for specifier in probes {
            do {
                parsed.append(try TraceProbe(parsing: specifier))
            } catch {
                throw ValidationError("\(error)")
            }
        }
        // A library name becomes its path; a pattern is not a trace probe.
        for index in parsed.indices where parsed[index].point.kind.isUser && parsed[index].point.kind != .usdt {
            parsed[index].point.library = try BPF.findBinary(parsed[index].point.library, pid: pid)
        }
        let options = TraceSource.Options(
            filter: TaskFilter(pid: pid, tid: tid), uid: uid, excludedProcess: includeSelf ? nil : getpid(),
            stringSize: stringSize, kernelStack: kernelStack, userStack: userStack, ringPages: bufferPages,
            binaryCompare: binaryCompare, cgroupArray: cgroupPath.map { _ in "__cgroup" },
            includes: HeaderIncludes.text(include, workingDirectory: ProcessPaths.currentDirectory()),
            buildIDStacks: symbolFiles != nil)
        let program = TraceSource.make(parsed, options: options)
        if verbose || ebpf { StandardOutput.printLine(program.source) }
        if ebpf { return }
        // Opened before loading: a wrong path is the user's error, named as such.
        let cgroup = try cgroupPath.map { path in
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw ValidationError("-c: cannot open cgroup '\(path)': \(String(cString: strerror(errno)))") }
            return fd
        }
        defer { if let cgroup { close(cgroup) } }
        let b = try OneLinerProbes.load(program.source, probes: program.probes.map(\.generated), pid: pid)
        defer { b.close() }
        // Until the entry is set, check_current_task fails and every event is left out.
        if let cgroup {
            try b["__cgroup"].set(withUnsafeBytes(of: UInt32(0)) { Array($0) }, withUnsafeBytes(of: UInt32(cgroup)) { Array($0) })
        }

        // -s: stacks come as build ids and offsets, named from these files.
        let symbols = try symbolFiles.map { list throws(BCCError) in
            try BuildIDSymbols(paths: list.split(separator: ",").map(String.init))
        }
        if symbols != nil { StandardOutput.printLine("Note: Kernel bpf will report stack map with ip/build_id") }
        let output = OutputBuffer()
        let printer = TracePrinter(command: self, startNanoseconds: BPF.monotonicTime(), startUnixTime: ToolClock.unixTime(),
                                   output: output, symbols: symbols)
        for probe in program.probes {
            let table = try b[probe.eventsTable]
            let stacks = try probe.stacksTable.map { try b[$0] }
            try table.openRingBuffer { data in
                try printer.print(try table.event(data), probe: probe, stacks: stacks)
            }
        }
        var header = ""
        if timestamp || time { header += CText.left("TIME", unixTimestamp ? 17 : 8) + " " }
        if printCPU { header += CText.left("CPU", 3) + " " }
        let trivial = parsed.allSatisfy { $0.format == nil }
        header += "\(CText.left("PID", 7)) \(CText.left("TID", 7)) \(CText.left("COMM", 15)) \(CText.left("FUNC", 16)) \(trivial ? "" : "-")"
        output.appendLine(header)
        output.flush()

        try b.pollReportingDrops(rings: program.probes.map(\.eventsTable), output: output,
                                 until: StopSignal(duration: duration.map(Double.init)), done: { printer.isDone })
        printer.printAggregate()
        output.flush()
    }
}

/// Formats and prints trace's events, counting them for -M.
final class TracePrinter {
    let command: Trace
    let startNanoseconds: UInt64
    /// Seconds since 1970 when tracing started (-U's base).
    let startUnixTime: Double
    /// Where lines gather until the poll pass ends.
    let output: OutputBuffer
    /// -s's files, for build-id stacks.
    let symbols: BuildIDSymbols?
    private(set) var printed = 0
    /// -A: each distinct event text and how often it came, in first-seen order.
    private var aggregated: [String: Int] = [:]
    private var aggregatedOrder: [String] = []
    private var aggregatePrinted = false

    init(command: Trace, startNanoseconds: UInt64, startUnixTime: Double, output: OutputBuffer, symbols: BuildIDSymbols?) {
        self.command = command
        self.symbols = symbols
        self.startNanoseconds = startNanoseconds
        self.startUnixTime = startUnixTime
        self.output = output
    }

    /// True once -M events were printed.
    var isDone: Bool { command.maxEvents.map { printed >= $0 } ?? false }

    func print(_ event: DecodedEvent, probe: TraceSource.Probe, stacks: Table?) throws {
        guard !isDone else { return }
        let comm = event["comm"]?.string ?? ""
        if let name = command.name, !comm.contains(name) { return }
        let tgid = Int32(truncatingIfNeeded: event["tgid"]?.int ?? 0)
        var values: [TraceValue] = []
        for (position, conversion) in probe.trace.conversions.enumerated() {
            let value = event["v\(position)"]
            switch conversion {
            case .string: values.append(.text(value?.string ?? ""))
            case .kernelSymbol: values.append(.text(BPF.ksym(value?.uint ?? 0, showOffset: true)))
            case .userSymbol: values.append(.text(BPF.sym(value?.uint ?? 0, pid: tgid, showModule: true, showOffset: true)))
            default:
                if let signed = value?.int, case .signed = value { values.append(.signed(signed)) } else { values.append(.unsigned(value?.uint ?? 0)) }
            }
        }
        let message = probe.trace.format.map { TraceFormat.render($0, conversions: probe.trace.conversions, values: values) } ?? ""
        if let filter = command.msgFilter, !message.contains(filter) { return }
        var line = ""
        if command.timestamp || command.time {
            let timestamp = event["timestamp_ns"]?.uint ?? 0
            if command.time {
                line += CText.left(ToolClock.hhmmss(), 8) + " "
            } else {
                let offset = Double(Int64(bitPattern: timestamp &- startNanoseconds)) / 1e9
                let shown = command.unixTimestamp ? offset + startUnixTime : offset
                line += CText.left(String(CText.fixed(shown, 6).prefix(command.unixTimestamp ? 17 : 8)), command.unixTimestamp ? 17 : 8) + " "
            }
        }
        if command.printCPU { line += CText.left(String(event["cpu"]?.int ?? 0), 3) + " " }
        line += "\(CText.left(String(tgid), 7)) \(CText.left(String(event["pid"]?.int ?? 0), 7)) \(CText.left(comm, 15)) "
        line += "\(CText.left(TraceSource.display(probe.trace.point), 16)) \(message)\n"
        if let stacks {
            if command.kernelStack { line += stackText(stacks, id: event["kernel_stack_id"]?.int ?? -1, pid: -1) }
            if command.userStack { line += stackText(stacks, id: event["user_stack_id"]?.int ?? -1, pid: tgid) }
            line += "\n"
        }
        if command.aggregate {
            if aggregated[line] == nil { aggregatedOrder.append(line) }
            aggregated[line, default: 0] += 1
        } else {
            output.append(line)
        }
        printed += 1
        if isDone { printAggregate() }
    }

    /// -A's report, once: each event text by count, most first, as bcc's "TEXT-->COUNT N".
    func printAggregate() {
        guard command.aggregate, !aggregatePrinted else { return }
        aggregatePrinted = true
        let order = Dictionary(uniqueKeysWithValues: aggregatedOrder.enumerated().map { ($1, $0) })
        for text in aggregatedOrder.sorted(by: { (aggregated[$0]!, order[$1]!) > (aggregated[$1]!, order[$0]!) }) {
            output.append("\(text)-->COUNT \(aggregated[text]!)\n\n")
        }
    }

    private func stackText(_ stacks: Table, id: Int64, pid: Int32) -> String {
        if let symbols {
            guard id >= 0, let frames = try? stacks.walkBuildIDs(id) else { return "        \(id)\n" }
            return frames.map { "        " + symbols.sym($0, pid: pid, showModule: true, showOffset: true) + "\n" }.joined()
        }
        guard id >= 0, let addresses = try? stacks.walk(id) else { return "        \(id)\n" }
        return addresses.map { address in
            "        " + (command.address ? CText.right(String(address, radix: 16), 16) + " " : "")
                + BPF.sym(address, pid: pid, showModule: true, showOffset: true) + "\n"
        }.joined()
    }
}
