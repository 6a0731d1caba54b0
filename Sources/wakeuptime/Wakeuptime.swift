// wakeuptime: blocked time by the waker's kernel stack, as bcc's tools/wakeuptime.py.
import ArgumentParser
import BCC
import BCCTools
import Glibc

@main
struct Wakeuptime: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "wakeuptime",
        abstract: "Summarize sleep to wakeup time by waker kernel stack",
        discussion: """
            Uses the sched_switch and sched_wakeup raw tracepoints, as bcc's wakeuptime
            does where it can (its fallback is kprobes on schedule and try_to_wake_up).

            examples:
                wakeuptime             # trace blocked time with waker stacks
                wakeuptime 5           # trace for 5 seconds only
                wakeuptime -f 5        # 5 seconds, and output in folded format
                wakeuptime -u          # don't include kernel threads (user only)
                wakeuptime -p 185      # trace for PID 185 only
            """)

    @Flag(name: [.customShort("u"), .customLong("useronly")], help: "user threads only (no kernel threads)")
    var userOnly = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Flag(name: [.customShort("v"), .long], help: "show raw addresses (always shown, as in bcc)")
    var verbose = false

    @Flag(name: [.customShort("f"), .long], help: "output folded format")
    var folded = false

    @Option(name: .customLong("stack-storage-size"), help: "the number of unique stack traces that can be stored and displayed (default 16384)")
    var stackStorageSize = 16384

    @Argument(help: "duration of trace, in seconds")
    var duration: Int = 99_999_999

    @Option(name: [.customShort("m"), .customLong("min-block-time")], help: "the amount of time in microseconds over which we store traces (default 1)")
    var minBlockTime: UInt64 = 1

    @Option(name: [.customShort("M"), .customLong("max-block-time")], help: "the amount of time in microseconds under which we store traces (default U64_MAX)")
    var maxBlockTime: UInt64 = .max

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        if pid != nil && userOnly { throw ValidationError("use either -p or -u.") }
        if let pid, pid < 0 { throw ValidationError("-p must be positive, got \(pid)") }
        guard duration > 0 else { throw ValidationError("duration must be nonzero, got \(duration)") }
        guard stackStorageSize > 0 else { throw ValidationError("--stack-storage-size must be nonzero") }
        guard minBlockTime > 0, maxBlockTime > 0 else { throw ValidationError("block times must be nonzero") }
    }

    func run() throws {
        let source = WakeuptimeProgram.source(filterPid: pid != nil, userOnly: userOnly, stackStorage: stackStorageSize)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        try TableFilters.fill(b, value: "min_block_us", with: minBlockTime)
        try TableFilters.fill(b, value: "max_block_us", with: maxBlockTime)
        if let pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(pid)) }
        try b.autoAttach()
        if !folded {
            StandardOutput.printLine("Tracing blocked time (us) by kernel stack"
                + (duration < 99_999_999 ? " for \(duration) secs." : "... Hit Ctrl-C to end."))
        }
        let stop = StopSignal(duration: Double(duration))
        stop.wait()

        let stacks = try b["stack_traces"]
        var missing = 0
        var text = folded ? "" : "\n"
        for (key, value) in try b["counts"].typed(key: WakeuptimeProgram.Key.self, value: UInt64.self).items()
            .sorted(by: { $0.value < $1.value }) {
            if key.stackID == -ENOMEM {
                missing += 1
                continue
            }
            // bcc drops the first frame, its kprobe's try_to_wake_up; a raw tracepoint's stack
            // starts, past the tracing frames, at the tracepoint's caller, which is worth keeping.
            let frames = key.stackID < 0 ? [] : StackReport.withoutTracingFrames((try? stacks.walk(Int64(key.stackID))) ?? [])
            if folded {
                text += ([key.wakerName] + frames.reversed().map { BPF.ksym($0) } + [key.targetName]).joined(separator: ";")
                    + " \(value)\n"
            } else {
                text += "    \(CText.left("target:", 16)) \(key.targetName)\n"
                for address in frames {
                    text += "    \(CText.left(String(address, radix: 16), 16)) \(BPF.ksym(address, showOffset: true))\n"
                }
                text += "    \(CText.left("waker:", 16)) \(key.wakerName)\n"
                text += "        \(value)\n\n"
            }
        }
        if !folded { text += "Detaching...\n" }
        var output = StandardOutput()
        output.write(text)
        if missing > 0 {
            StandardOutput.writeToStandardError(
                "WARNING: \(missing) stack traces could not be displayed. Consider increasing --stack-storage-size.\n")
        }
    }
}
