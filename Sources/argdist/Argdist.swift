// argdist: count or histogram the values of function arguments, return
// values, latencies and tracepoint fields, as bcc's tools/argdist.py.
import ArgumentParser
import BCC
import BCCTools
import ProbeSpec

@main
struct Argdist: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "argdist",
        abstract: "Trace a function and display a summary of its parameter values",
        discussion: """
            specifier: {p,r,t,u}:{[library],category}:function(signature)[:type[,type...]:expr[,expr...][:filter]][#label]
            In expressions: parameter names, $retval, $latency (ns, return probes), $entry(param),
            $PID, $COMM, args->field (tracepoints). Kernel functions need kprobes; on kernels
            without them use tracepoints (t:) or user functions (lib:function).

            examples:
                argdist -p 1005 -H 'p:c:malloc(size_t size):size_t:size'
                argdist -C 'p:c:malloc(size_t size):size_t:size:size==16'
                argdist -C 'r:c:gets():char*:(char*)$retval#snooped strings'
                argdist -H 'r:c:read()'                       # histogram of read's return value
                argdist -H 'r:c:malloc(size_t size):u64:$latency/$entry(size)#ns per byte' -n 1 -i 10
                argdist -C 't:syscalls:sys_enter_openat():int:args->flags'
                argdist -C 'p:c:write(int fd):int:fd' -T 5    # the 5 most frequent file descriptors
                argdist -C 'p:c:write():int:$PID#writes per process' -n 2
            """)

    @Option(name: [.customShort("p"), .long], help: "id of the process to trace (optional)")
    var pid: Int32?

    @Option(name: [.customShort("t"), .long], help: "id of the thread to trace (optional)")
    var tid: Int32?

    @Option(name: [.customShort("z"), .customLong("string-size")], help: "maximum string size to read from char* arguments")
    var stringSize = 80

    @Option(name: [.customShort("i"), .long], help: "output interval, in seconds (default 1 second)")
    var interval = 1

    @Option(name: [.customShort("d"), .long], help: "total duration of trace, in seconds")
    var duration: Int?

    @Option(name: [.customShort("n"), .customLong("number")], help: "number of outputs")
    var count: Int?

    @Flag(name: [.customShort("v"), .long], help: "print resulting BPF program code before executing")
    var verbose = false

    @Option(name: [.customShort("I"), .long],
            help: "additional header files to include in the BPF program as either full path, or relative to current working directory, or relative to default kernel header search path")
    var include: [String] = []

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @Flag(name: [.customShort("c"), .long], help: "do not clear histograms and freq counts at each interval")
    var cumulative = false

    @Option(name: [.customShort("T"), .long], help: "number of top results to show (not applicable to histograms)")
    var top: Int?

    @Option(name: [.customShort("H"), .customLong("histogram")], help: "probe specifier to capture histogram of (see examples below)")
    var histograms: [String] = []

    @Option(name: [.customShort("C"), .customLong("count")], help: "probe specifier to capture count of (see examples below)")
    var counts: [String] = []

    func validate() throws {
        if histograms.isEmpty && counts.isEmpty { throw ValidationError("at least one specifier is required (-H or -C)") }
        if interval <= 0 { throw ValidationError("interval must be positive, got \(interval)") }
        if let count, count <= 0 { throw ValidationError("-n must be positive, got \(count)") }
        if let duration, duration <= 0 { throw ValidationError("duration must be positive, got \(duration)") }
        if stringSize <= 0 || stringSize > 4096 { throw ValidationError("-z must be between 1 and 4096, got \(stringSize)") }
    }

    func run() throws {
        var specs: [(text: String, spec: ArgdistProbe, mode: ArgdistProbe.Mode)] = []
        for (text, mode) in histograms.map({ ($0, ArgdistProbe.Mode.histogram) }) + counts.map({ ($0, ArgdistProbe.Mode.frequency) }) {
            do {
                var spec = try ArgdistProbe(parsing: text, mode: mode)
                if spec.point.kind == .userEntry || spec.point.kind == .userReturn {
                    spec.point.library = try BPF.findBinary(spec.point.library, pid: pid)
                }
                specs.append((text, spec, mode))
            } catch let error as ProbeSpecError {
                throw ValidationError("\(error)")
            }
        }
        var program = ArgdistSource.make(specs, filter: TaskFilter(pid: pid, tid: tid), stringSize: stringSize)
        program.source = HeaderIncludes.text(include, workingDirectory: ProcessPaths.currentDirectory()) + program.source
        if verbose || ebpf { StandardOutput.printLine(program.source) }
        if ebpf { return }
        let b = try OneLinerProbes.load(program.source, probes: program.probes.flatMap { [$0.entry, $0.generated].compactMap { $0 } },
                                        pid: pid)
        defer { b.close() }
        let stop = StopSignal(duration: duration.map(Double.init))
        var loop = SummaryIntervals(interval: Double(interval), count: count, stop: stop)
        while true {
            let last = loop.waitForSummary()
            var output = StandardOutput()
            output.write("[\(ToolClock.hhmmss())]\n")
            for probe in program.probes {
                let table = try b[probe.table]
                switch probe.mode {
                case .histogram:
                    try table.printLog2Hist(valType: probe.histogramLabel)
                case .frequency:
                    var text = probe.heading + "\n\t" + CText.left("COUNT", 10) + " EVENT\n"
                    var rows = try table.decodedItems().map { (count: $0.value.uint ?? 0, key: $0.key) }.sorted { $0.count < $1.count }
                    if let top { rows = Array(rows.suffix(top)) }
                    for row in rows {
                        text += "\t" + CText.left(String(row.count), 10) + " " + describe(row.key, probe: probe) + "\n"
                    }
                    output.write(text)
                }
                if !cumulative { try table.clear() }
            }
            if last { return }
        }
    }

    /// The EVENT column: "expr = value, ..." (or bcc's "total calls" / "retval = N" without expressions).
    private func describe(_ key: EventValue, probe: ArgdistSource.Probe) -> String {
        let fields = key.fields ?? []
        func text(_ value: EventValue?) -> String {
            guard let value else { return "?" }
            if case .text(let string) = value { return string }
            return value.description
        }
        if probe.spec.isDefaultExpression {
            return probe.spec.point.kind.isReturn ? "retval = \(text(fields.first?.value))" : "total calls"
        }
        return zip(probe.spec.expressions, fields).map { "\($0) = \(text($1.value))" }.joined(separator: ", ")
    }
}
