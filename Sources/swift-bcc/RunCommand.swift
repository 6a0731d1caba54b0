import ArgumentParser
import BCC
import BCCTools

/// `swift-bcc run FILE.c`: compile a bcc C program, attach it by bcc's
/// naming conventions, and print its ring buffer and perf buffer events
/// and its bpf_trace_printk output until Ctrl-C, SIGTERM or `--duration`.
/// A client of BCC's public API: the BPF object's tables and event loop.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Compile, attach and trace a bcc C program, printing its events.",
        discussion: """
            Each ring buffer or perf buffer record is printed on one line as TABLE field=value ..., \
            decoded with the struct the program sends; with --json as {"table": NAME, "fields": {...}}. \
            bpf_trace_printk lines are printed as they arrive. Records a full buffer dropped are reported \
            as they happen ("Possibly lost N samples"; with --json {"table": NAME, "lost": N}) and in total \
            at exit ("Lost N samples in total"; with --json {"table": NAME, "lost_total": N} per table).
            """)

    @Argument(help: "The BPF program in bcc's C dialect.")
    var file: String

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Flag(help: "Print one JSON object per event.")
    var json = false

    func run() throws {
        // Watches Ctrl-C from the start; the duration counts from the first poll, once tracing runs.
        let stop = StopSignal(duration: duration)
        let b = try BPF(srcFile: file)
        defer { b.close() }
        guard !b.attachedProbes.isEmpty else { throw Self.nothingAttached(file, functions: b.functions.map(\.name)) }
        let output = EventPrinter(json: json)
        let lost = LostSamples(b.tables.filter { $0.definition?.kind == .ringBuffer })
        for table in b.tables {
            switch table.definition?.kind {
            case .ringBuffer?: try table.openRingBuffer { record in output.print(record, of: table) }
            case .perfOutput?:
                try table.openPerfBuffer(lostCallback: lost.perfBufferLostCallback(for: table.name)) { _, record in
                    output.print(record, of: table)
                }
            default: break
            }
        }
        if b.printsToTracePipe {
            try b.openTracePipe { line in output.printTrace(line) }
            StandardOutput.writeToStandardError(Self.tracePipeNote)
        }
        StandardOutput.writeToStandardError("Tracing... Hit Ctrl-C to end.\n")
        // What arrives before the stop is still printed; then close() detaches every probe.
        try b.pollReportingDrops(lost, output: output.buffer, json: json, until: stop)
    }
}

extension RunCommand {
    /// Said once when the program prints with bpf_trace_printk: trace_pipe is one per kernel.
    static let tracePipeNote = "Note: bpf_trace_printk output comes through the kernel's one trace_pipe: "
        + "lines other programs print appear here too, and any other reader of trace_pipe takes some of these.\n"

    /// The error for a program none of whose functions names an attach point:
    /// tracing it would wait forever for events that cannot come.
    static func nothingAttached(_ file: String, functions: [String]) -> BCCError {
        .invalidUse(object: file, detail: """
            no function attaches to anything, so nothing would be traced\
            \(functions.isEmpty ? " (the program defines no BPF functions)" : " (functions: \(functions.joined(separator: ", ")))").
            Name functions by what they attach to, as bcc does:
                int kprobe__do_sys_openat2(struct pt_regs *ctx) { ... }        (kretprobe__FUNC for the return)
                int tracepoint__sched__sched_switch(struct tracepoint__sched__sched_switch *args) { ... }
                TRACEPOINT_PROBE(sched, sched_switch) { ... }                  (args-> has the event's fields)
                RAW_TRACEPOINT_PROBE(sched_switch) { ... }
            or load it from Swift and attach its functions there: BPF(srcFile:), then attachTracepoint, attachUprobe, ...
            """)
    }
}

/// Formats events as `TABLE field=value ...` or JSON lines, gathered for
/// standard output in one buffer written once per poll pass.
struct EventPrinter {
    var json: Bool
    let buffer = OutputBuffer()

    /// Prints one record of `table`, decoded with the struct the program
    /// recorded for it; a record that cannot be decoded prints as hex with
    /// the reason.
    func print(_ record: UnsafeRawBufferPointer, of table: Table) {
        do {
            let event = try table.event(record)
            buffer.appendLine(json ? event.json(table: table.name) : "\(table.name) \(event)")
        } catch {
            let hex = record.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            let raw = DecodedEvent(typeName: "raw", fields: [
                EventField(name: "raw", value: .text(hex)),
                EventField(name: "error", value: .text("\(error)")),
            ])
            buffer.appendLine(json ? raw.json(table: table.name) : "\(table.name) \(raw)")
        }
    }

    /// Prints one trace_pipe line: as is, or as JSON with bcc's trace fields
    /// (rendered as a decoded event is, so strings are escaped the same way).
    func printTrace(_ line: String) {
        guard json else {
            buffer.appendLine(line)
            return
        }
        guard let fields = TraceFields(line: line[...]) else { return }
        let event = DecodedEvent(typeName: "trace_printk", fields: [
            EventField(name: "task", value: .text(fields.task)),
            EventField(name: "pid", value: .signed(Int64(fields.pid))),
            EventField(name: "cpu", value: .signed(Int64(fields.cpu))),
            EventField(name: "timestamp", value: .float(fields.timestamp)),
            EventField(name: "message", value: .text(fields.message)),
        ])
        buffer.appendLine(event.json(table: "trace_printk"))
    }
}
