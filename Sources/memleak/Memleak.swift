// memleak: trace outstanding memory allocations that were not freed, as bcc's tools/memleak.py.
import ArgumentParser
import BCC
import BCCTools
import Glibc

@main
struct Memleak: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "memleak",
        abstract: "Trace outstanding memory allocations that weren't freed",
        discussion: """
            Supports both user-mode allocations made with libc functions and kernel-mode
            allocations made with kmalloc/kmem_cache_alloc/get_free_pages and
            corresponding memory release functions: uprobes and uretprobes on the
            allocator of the process -p or -c names, else the kmem tracepoints
            (percpu tracepoints with --percpu), as bcc's memleak.

            examples:
                memleak -p $(pidof allocs)
                        Trace allocations and display a summary of "leaked" (outstanding)
                        allocations every 5 seconds
                memleak -p $(pidof allocs) -t
                        Trace allocations and display each individual allocator function call
                memleak -ap $(pidof allocs) 10
                        Trace allocations and display allocated addresses, sizes, and stacks
                        every 10 seconds for outstanding allocations
                memleak -c "./allocs"
                        Run the specified command and trace its allocations
                memleak
                        Trace allocations in kernel mode and display a summary of outstanding
                        allocations every 5 seconds
                memleak -o 60000
                        Trace allocations in kernel mode and display a summary of outstanding
                        allocations that are at least one minute (60 seconds) old
                memleak -s 5
                        Trace roughly every 5th allocation, to reduce overhead
                memleak --sort count
                        Trace allocations in kernel mode and display a summary of outstanding
                        allocations that are sorted in count order
            """)

    @Option(name: [.customShort("p"), .long], help: "the PID to trace; if not specified, trace kernel allocs")
    var pid: Int32?

    @Flag(name: [.customShort("t"), .long], help: "print trace messages for each alloc/free call")
    var trace = false

    @Argument(help: "interval in seconds to print outstanding allocations")
    var interval: Int = 5

    @Argument(help: "number of times to print the report before exiting")
    var count: Int?

    @Flag(name: [.customShort("a"), .customLong("show-allocs")], help: "show allocation addresses and sizes as well as call stacks")
    var showAllocs = false

    @Option(name: [.customShort("o"), .long], help: "prune allocations younger than this age in milliseconds")
    var older: UInt64 = 500

    @Option(name: [.customShort("c"), .long], help: "execute and trace the specified command")
    var command: String?

    @Flag(name: .customLong("combined-only"), help: "show combined allocation statistics only")
    var combinedOnly = false

    @Flag(name: .customLong("wa-missing-free"), help: "Workaround to alleviate misjudgments when free is missing")
    var missingFree = false

    @Option(name: [.customShort("s"), .customLong("sample-rate")], help: "sample every N-th allocation to decrease the overhead")
    var sampleRate: UInt64 = 1

    @Option(name: [.customShort("T"), .long], help: "display only this many top allocating stacks (by size)")
    var top = 10

    @Option(name: [.customShort("z"), .customLong("min-size")], help: "capture only allocations larger than or equal to this size")
    var minSize: UInt64?

    @Option(name: [.customShort("Z"), .customLong("max-size")], help: "capture only allocations smaller than or equal to this size")
    var maxSize: UInt64?

    @Option(name: [.customShort("O"), .customLong("obj")], help: "attach to allocator functions in the specified object")
    var object = "c"

    @Flag(name: .customLong("percpu"), help: "trace percpu allocations")
    var percpu = false

    @Option(name: .customLong("sort"), help: "report sorted in given key; available key list: size, count")
    var sort = "size"

    @Option(name: .customLong("symbols-prefix"), help: "memory allocator symbols prefix")
    var symbolsPrefix: String?

    @Option(name: [.customShort("d"), .customLong("duration")], help: "total duration of trace in seconds")
    var duration: Int?

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        guard ["size", "count"].contains(sort) else {
            throw ValidationError("--sort: '\(sort)' is not a sort key; available key list: size, count")
        }
        if let minSize, let maxSize, minSize > maxSize { throw ValidationError("min_size (-z) can't be greater than max_size (-Z)") }
        if pid != nil && command != nil { throw ValidationError("-p and -c are mutually exclusive") }
        if interval <= 0 { throw ValidationError("interval must be positive, got \(interval)") }
        if let count, count <= 0 { throw ValidationError("count must be positive, got \(count)") }
        if top <= 0 { throw ValidationError("--top must be positive, got \(top)") }
        if sampleRate == 0 { throw ValidationError("--sample-rate must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        let userMode = pid != nil || command != nil
        let mode: MemleakProgram.Mode = userMode ? .user : percpu ? .percpu : .kernel
        let source = MemleakProgram.source(mode: mode, trace: trace, missingFree: missingFree)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        // bcc splits -c's command on spaces; it is held until the probes are attached.
        let child = try command.map { command in
            StandardOutput.printLine("Executing '\(command)' and tracing the resulting process.")
            return try TracedCommand(command.split(separator: " ").map(String.init), option: "-c")
        }
        let target = child?.pid ?? pid ?? -1
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let minSize { try TableFilters.fill(b, value: "min_size", with: minSize) }
        if let maxSize { try TableFilters.fill(b, value: "max_size", with: maxSize) }
        try TableFilters.fill(b, value: "sample_every", with: sampleRate)
        if userMode {
            StandardOutput.printLine("Attaching to pid \(target), Ctrl+C to quit.")
            try attachUserProbes(b, pid: target)
            // bcc goes on reporting after the command exits.
            child?.release(stopping: nil)
        } else {
            try b.autoAttach()
            StandardOutput.printLine("Attaching to kernel allocators, Ctrl+C to quit.")
        }

        let stop = StopSignal(duration: duration.map(Double.init))
        if trace {
            try b.tracePrint(until: { stop.isStopped })
            return
        }
        let report = MemleakProgram.Report(pid: userMode ? target : -1, top: top, showAllocations: showAllocs,
                                           minimumAge: older * 1_000_000, byCount: sort == "count")
        let stacks = try b["stack_traces"]
        var intervals = SummaryIntervals(interval: Double(interval), count: count, stop: stop)
        while true {
            let last = intervals.waitForSummary()
            let lines: [String]
            if combinedOnly {
                let entries = try b["combined_allocs"].typed(key: Int64.self, value: memleak_combined_t.self).items()
                lines = report.combined(entries.map { ($0.key, $0.value) }, stacks: stacks, clock: ToolClock.hhmmss())
            } else {
                let allocations = try b["allocs"].typed(key: UInt64.self, value: memleak_alloc_info_t.self).items()
                lines = report.outstanding(allocations: allocations.map { ($0.key, $0.value) }, now: BPF.monotonicTime(),
                                           stacks: stacks, clock: ToolClock.hhmmss())
            }
            lines.forEach(StandardOutput.printLine)
            if last { break }
        }
    }
}

extension Memleak {
    /// Attaches bcc's allocator probes in `object` for `pid`; optional ones may be missing.
    func attachUserProbes(_ b: BPF, pid: Int32) throws(BCCError) {
        for probe in MemleakProgram.userProbes {
            let symbol = (symbolsPrefix ?? "") + probe.symbol
            do throws(BCCError) {
                try b.attachUprobe(name: object, sym: symbol, fnName: probe.symbol + "_enter", pid: pid)
                if probe.returns { try b.attachUretprobe(name: object, sym: symbol, fnName: probe.symbol + "_exit", pid: pid) }
            } catch {
                if !probe.optional { throw error }
            }
        }
    }
}
