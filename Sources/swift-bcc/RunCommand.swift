import ArgumentParser
import BCC
import BCCTools
import BTF
import EBPF
import Foundation

/// `swift-bcc run FILE.c`: compile a bcc C program, attach it by bcc's
/// naming conventions, and print its ring buffer and perf buffer events
/// and its bpf_trace_printk output until Ctrl-C, SIGTERM or `--duration`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Compile, attach and trace a bcc C program, printing its events.",
        discussion: """
            Each ring buffer or perf buffer record is printed on one line as TABLE field=value ..., \
            decoded with the struct the program sends; with --json as {"table": NAME, "fields": {...}}. \
            bpf_trace_printk lines are printed as they arrive.
            """)

    @Argument(help: "The BPF program in bcc's C dialect.")
    var file: String

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Flag(help: "Print one JSON object per event.")
    var json = false

    func run() throws {
        let stop = StopSignal(duration: duration)
        let b = try BPF(srcFile: file)
        defer { b.close() }
        let output = EventPrinter(json: json)
        let rings = try RingBufferPoller()
        defer { rings.close() }
        let perfPoller = try PerfBufferPoller()
        defer { perfPoller.close() }
        var ringCount = 0, perfCount = 0
        for table in b.tables {
            switch table.kind {
            case .ringBuffer:
                let format = output.formatter(table: table.name, bpf: b)
                try rings.add(map: try b.map(named: table.name)) { record in format(record) }
                ringCount += 1
            case .perfOutput:
                let format = output.formatter(table: table.name, bpf: b)
                try perfPoller.add(PerfBuffer(map: try b.map(named: table.name)) { _, record in format(record) })
                perfCount += 1
            default:
                break
            }
        }
        let source = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let tracePipe = source.contains("bpf_trace_printk") ? try TracePipe() : nil

        FileHandle.standardError.write(Data("Tracing... Hit Ctrl-C to end.\n".utf8))
        while !stop.isStopped {
            let timeout = stop.pollTimeout(slice: 100)
            // One source waits; the others are read without waiting.
            if ringCount > 0 {
                try rings.poll(timeout: timeout)
                if perfCount > 0 { _ = try perfPoller.consume() }
            } else if perfCount > 0 {
                _ = try perfPoller.poll(timeout: timeout)
            }
            if let tracePipe {
                let wait = ringCount + perfCount > 0 ? 0 : Int32(timeout)
                while let line = try tracePipe.readLine(timeout: wait) {
                    output.printTrace(line)
                    if ringCount + perfCount == 0 { break }
                }
            } else if ringCount + perfCount == 0 {
                usleep(useconds_t(timeout) * 1000)
            }
        }
        // What arrived before the stop is still printed; then close() detaches every probe.
        if ringCount > 0 { _ = try rings.consume() }
        if perfCount > 0 { _ = try perfPoller.consume() }
    }
}

/// Formats events as `TABLE field=value ...` or JSON lines on standard output.
struct EventPrinter {
    var json: Bool

    /// A closure that prints one record of `table`, decoded with the struct the
    /// program recorded for it; a record that cannot be decoded prints as hex
    /// with the reason.
    func formatter(table: String, bpf: BPF) -> (UnsafeRawBufferPointer) -> Void {
        let decoder: Result<EventDecoder, any Error> = Result {
            guard let btf = bpf.object.spec.btf else {
                throw EventDecodingError.eventTypeNotRecorded(table: table)
            }
            return try EventDecoder(btf: btf, table: table)
        }
        let json = self.json
        return { record in
            do {
                let event = try decoder.get().decode(record)
                StandardOutput.printLine(json ? event.json(table: table) : "\(table) \(event)")
            } catch {
                let hex = record.map { String(format: "%02x", $0) }.joined()
                let raw = DecodedEvent(typeName: "raw", fields: [
                    EventField(name: "raw", value: .text(hex)),
                    EventField(name: "error", value: .text("\(error)")),
                ])
                StandardOutput.printLine(json ? raw.json(table: table) : "\(table) \(raw)")
            }
        }
    }

    /// Prints one trace_pipe line: as is, or as JSON with bcc's trace fields
    /// (rendered as a decoded event is, so strings are escaped the same way).
    func printTrace(_ line: String) {
        guard json else {
            StandardOutput.printLine(line)
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
        StandardOutput.printLine(event.json(table: "trace_printk"))
    }
}
