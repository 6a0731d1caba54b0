// biosnoop: trace block device I/O with the issuing process, as bcc's tools/biosnoop.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Biosnoop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "biosnoop",
        abstract: "Trace block I/O",
        discussion: """
            bcc's biosnoop uses kprobes (blk_mq_start_request, __blk_account_io_start/done);
            this one uses the raw tracepoints block_io_start, block_rq_issue and
            block_rq_complete. Dropped records are reported as "Possibly lost N samples".

            examples:
                biosnoop           # trace all block I/O
                biosnoop -Q        # include OS queued time
                biosnoop -d sdc    # trace sdc only
                biosnoop -P        # display block I/O pattern
            """)

    @Flag(name: [.customShort("Q"), .customLong("queue")], help: "include OS queued time")
    var queue = false

    @Option(name: [.customShort("d"), .long], help: "trace this disk only")
    var disk: String?

    @Flag(name: [.customShort("P"), .long], help: "display block I/O pattern (sequential or random)")
    var pattern = false

    @Option(name: .customLong("duration"), help: "total duration of trace in seconds")
    var duration: Int?

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        let device: UInt32?
        do {
            device = try disk.map(BlockDevices.kernelDevice(ofDisk:))
        } catch {
            throw ValidationError(error.description)
        }
        let source = BiosnoopProgram.source(filterDisk: device != nil)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let device { try TableFilters.fill(b, value: "disk_filter", with: UInt64(device)) }
        try b.autoAttach()
        var formatter = BiosnoopFormatter(showPattern: pattern, showQueued: queue, devices: BlockDevices.current())
        let output = OutputBuffer()
        output.appendLine(formatter.header)
        output.flush()
        try b["events"].openRingBuffer(as: biosnoop_event_t.self) { event in
            output.appendLine(formatter.line(for: event))
        }
        try b.pollReportingDrops(rings: ["events"], output: output, until: StopSignal(duration: duration.map(Double.init)))
    }
}
