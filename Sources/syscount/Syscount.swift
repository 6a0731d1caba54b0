// syscount: summarize system call counts and latencies, as bcc's tools/syscount.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Syscount: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "syscount",
        abstract: "Summarize syscall counts and latencies.",
        discussion: """
            Uses the raw_syscalls:sys_enter and sys_exit tracepoints, as bcc's syscount
            does. System call names are this architecture's (bcc's syscall_name table).

            examples:
                syscount                 # count system calls, print the top 10 on Ctrl-C
                syscount -P              # count by process
                syscount -L -m           # also total time per call, in milliseconds
                syscount -x -i 1         # failed calls only, a summary every second
                syscount -e ENOENT       # calls that failed with ENOENT
                syscount -p 181 -d 10    # process 181 for 10 seconds
                syscount --syscall write # the write system call only
                syscount --exec ls -l    # run ls and count its system calls until it exits
            """)

    @Option(name: [.customShort("p"), .long], help: "trace only this pid")
    var pid: Int32?

    @Option(name: [.customShort("t"), .long], help: "trace only this tid")
    var tid: Int32?

    @Option(name: [.customShort("c"), .long], help: "trace only child of this pid")
    var ppid: Int32?

    @Option(name: [.customShort("i"), .long], help: "print summary at this interval (seconds)")
    var interval: Int?

    @Option(name: [.customShort("d"), .long], help: "total duration of trace, in seconds")
    var duration: Int?

    @Option(name: [.customShort("T"), .long], help: "print only the top syscalls by count or latency")
    var top = 10

    @Flag(name: [.customShort("x"), .long], help: "trace only failed syscalls (return < 0)")
    var failures = false

    @Option(name: [.customShort("e"), .long], help: "trace only syscalls that return this error (numeric or EPERM, etc.)")
    var errno: String?

    @Flag(name: [.customShort("L"), .long], help: "collect syscall latency")
    var latency = false

    @Flag(name: [.customShort("m"), .long], help: "display latency in milliseconds (default: microseconds)")
    var milliseconds = false

    @Flag(name: [.customShort("P"), .long], help: "count by process and not by syscall")
    var process = false

    @Flag(name: [.customShort("l"), .long], help: "print list of recognized syscalls and exit")
    var list = false

    @Option(name: .customLong("syscall"), help: "trace this syscall only (use option -l to get all recognized syscalls)")
    var syscall: String?

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @Option(name: .customLong("exec"), parsing: .remaining,
            help: "execute command (as the last parameter, supports multiple parameters, for example: --exec ls -l /tmp)")
    var exec: [String] = []

    func validate() throws {
        if pid != nil && !exec.isEmpty { throw ValidationError("can only use -p or --exec") }
        if [pid != nil, tid != nil, ppid != nil].filter({ $0 }).count > 1 {
            throw ValidationError("-p, -t and -c are mutually exclusive")
        }
        if let interval, interval <= 0 { throw ValidationError("--interval must be positive, got \(interval)") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
        if top < 0 { throw ValidationError("--top must not be negative, got \(top)") }
        if let syscall, SyscallNames.number(of: syscall) == nil {
            throw ValidationError("syscall '\(syscall)' not found (syscount -l lists them)")
        }
        if let errno, Self.errnoNumber(errno) == nil { throw ValidationError("couldn't map \(errno) to an errno") }
    }

    /// -e's value: a number (its sign ignored, as bcc's abs()) or a name such as EPERM.
    static func errnoNumber(_ text: String) -> Int? {
        if let number = Int(text) { return number == 0 ? nil : abs(number) }
        return ErrnoNames.number(of: text)
    }

    func run() throws {
        if list {
            SyscountProgram.listing().forEach(StandardOutput.printLine)
            return
        }
        var filters = SyscountFilters()
        filters.pid = pid != nil || !exec.isEmpty
        filters.tid = tid != nil
        filters.ppid = ppid != nil
        filters.failedOnly = failures
        filters.errno = errno != nil
        filters.syscall = syscall != nil
        let source = SyscountProgram.source(latency: latency, byProcess: process, filters: filters)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let command = exec.isEmpty ? nil : try TracedCommand(exec)
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid = pid ?? command?.pid { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        if let tid { try TableFilters.fill(b, value: "tid_filter", with: UInt64(UInt32(bitPattern: tid))) }
        if let ppid { try TableFilters.fill(b, value: "ppid_filter", with: UInt64(UInt32(bitPattern: ppid))) }
        if let errno, let number = Self.errnoNumber(errno) { try TableFilters.fill(b, value: "errno_filter", with: UInt64(number)) }
        if let syscall, let number = SyscallNames.number(of: syscall) {
            try TableFilters.fill(b, value: "syscall_filter", with: UInt64(number))
        }
        try b.autoAttach()
        StandardOutput.printLine(SyscountProgram.banner(failedOnly: failures, syscall: syscall, top: top))
        // bcc: a summary every -i seconds (-d alone: one at the end; neither: one on Ctrl-C)
        // until the summaries' seconds reach -d.
        let every = interval ?? duration ?? 99_999_999
        let count = duration.map { ($0 + every - 1) / every }
        var loop = SummaryIntervals(interval: Double(every), count: count, stop: StopSignal())
        command?.release(stopping: loop.stop)
        while true {
            let last = loop.waitForSummary()
            let rows = try SyscountProgram.takeRows(from: b, latency: latency)
            let lines = SyscountProgram.summary(rows: rows, time: ToolClock.hhmmss(), latency: latency, byProcess: process,
                                                milliseconds: milliseconds, top: top, processName: Self.processName)
            StandardOutput.printLine(lines.joined(separator: "\n"))
            if last { break }
        }
        StandardOutput.printLine("Detaching...")
    }

    /// /proc/PID/comm, or bcc's `[unknown]` once the process is gone.
    static func processName(_ pid: UInt32) -> String {
        (try? ProcFile.value("/proc/\(pid)/comm")) ?? "[unknown]"
    }
}
