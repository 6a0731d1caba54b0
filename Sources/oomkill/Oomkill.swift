// oomkill: trace the out-of-memory killer, as bcc's tools/oomkill.py.
import ArgumentParser
import BCC
import BCCTools
import Glibc

@main
struct Oomkill: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "oomkill",
        abstract: "Trace OOM kills",
        discussion: """
            Uses the oom:mark_victim tracepoint (bcc's oomkill uses a kprobe on
            oom_kill_process). The tracepoint does not carry the OOM domain's size, so
            "pages" is the victim's virtual memory size in pages. Dropped records are
            reported as "Possibly lost N samples".
            """)

    @Option(name: [.customShort("d"), .long], help: "total duration of trace in seconds")
    var duration: Int?

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        let source = OomkillProgram.source()
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source)
        defer { b.close() }
        StandardOutput.printLine("Tracing OOM kills... Ctrl-C to stop.")
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let stacks = try b["stack_traces"]
        let output = OutputBuffer()
        try b["events"].openRingBuffer(as: oomkill_event_t.self) { event in
            let loadavg = (try? ProcFile.value("/proc/loadavg")) ?? ""
            var lines = [OomkillProgram.line(for: event, time: ToolClock.hhmmss(), pageSize: pageSize, loadavg: loadavg)]
            if event.stack_id >= 0, let frames = try? stacks.stack(event.stack_id, pid: Int32(bitPattern: event.fpid)) {
                lines.append("  Stack trace:")
                lines += frames.map { "    \($0.symbol)" }
            } else {
                lines.append("  Failed to capture stack trace")
            }
            output.appendLine(lines.joined(separator: "\n"))
        }
        try b.pollReportingDrops(rings: ["events"], output: output, until: StopSignal(duration: duration.map(Double.init)))
    }
}
