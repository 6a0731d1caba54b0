// drsnoop: trace direct reclaim, as bcc's tools/drsnoop.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Drsnoop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "drsnoop",
        abstract: "Trace direct reclaim",
        discussion: """
            Uses the vmscan:mm_vmscan_direct_reclaim_begin and _end tracepoints, as bcc's
            drsnoop does; --memcg adds mm_vmscan_memcg_reclaim_begin/_end, the reclaim a
            task does itself when its memory cgroup is at its limit. -v's FREE(KB) is
            MemFree from /proc/meminfo when the line is printed (bcc reads vm_zone_stat,
            which needs CONFIG_KALLSYMS_ALL). Dropped records are reported as "Possibly
            lost N samples".

            examples:
                drsnoop           # trace all direct reclaim
                drsnoop -T        # include timestamps
                drsnoop -U        # include UID
                drsnoop -p 181    # only trace PID 181
                drsnoop -t 123    # only trace TID 123
                drsnoop -u 1000   # only trace UID 1000
                drsnoop -d 10     # trace for 10 seconds only
                drsnoop -n main   # only print process names containing "main"
            """)

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("U"), .customLong("print-uid")], help: "print UID column")
    var printUID = false

    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    var pid: Int32?

    @Option(name: [.customShort("t"), .long], help: "trace this TID only")
    var tid: Int32?

    @Option(name: [.customShort("u"), .long], help: "trace this UID only")
    var uid: UInt32?

    @Option(name: [.customShort("d"), .long], help: "total duration of trace in seconds")
    var duration: Int?

    @Option(name: [.customShort("n"), .long], help: "only print process names containing this name")
    var name: String?

    @Flag(name: [.customShort("v"), .long], help: "show system memory state")
    var verbose = false

    @Flag(name: .customLong("memcg"), help: "also trace memory cgroup reclaim")
    var memcg = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        // bcc: the TID filter trumps the PID filter.
        let task: DrsnoopProgram.TaskFilter? = tid != nil ? .thread : pid != nil ? .process : nil
        let source = DrsnoopProgram.source(task: task, filterUid: uid != nil, memcg: memcg)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let tid {
            try TableFilters.fill(b, value: "tid_filter", with: UInt64(UInt32(bitPattern: tid)))
        } else if let pid {
            try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid)))
        }
        if let uid { try TableFilters.fill(b, value: "uid_filter", with: UInt64(uid)) }
        try b.autoAttach()
        let (timestamps, showUID, thread, verbose, name) = (timestamp, printUID, tid != nil, verbose, name)
        StandardOutput.printLine(DrsnoopProgram.header(timestamps: timestamps, uid: showUID, thread: thread, verbose: verbose))
        var start: UInt64 = 0
        let output = OutputBuffer()
        try b["events"].openRingBuffer(as: drsnoop_event_t.self) { event in
            if start == 0 { start = event.ts }
            if let name, !event.nameString.contains(name) { return }
            let free = verbose ? (try? ProcFile.text("/proc/meminfo")).flatMap(DrsnoopProgram.freeKB) : nil
            output.appendLine(DrsnoopProgram.line(for: event, start: start, timestamps: timestamps, uid: showUID,
                                                         thread: thread, freeKB: free))
        }
        try b.pollReportingDrops(rings: ["events"], output: output, until: StopSignal(duration: duration.map(Double.init)))
    }
}
