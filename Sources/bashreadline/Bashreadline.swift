// bashreadline: print the commands entered in bash shells, as bcc's tools/bashreadline.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Bashreadline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bashreadline",
        abstract: "Print entered bash commands from all running shells",
        discussion: """
            Uses a uretprobe on readline() in bash (found on PATH), or in the library -s
            names for a bash linked against libreadline, as bcc's bashreadline. Dropped
            records are reported as "Possibly lost N samples".

            examples:
                bashreadline                          # trace bash's readline()
                bashreadline -s /lib/libreadline.so   # trace readline() in this library
            """)

    @Option(name: [.customShort("s"), .customLong("shared")], help: "specify the location of libreadline.so library")
    var shared: String?

    @Option(name: [.customShort("d"), .customLong("duration")], help: "total duration of trace in seconds")
    var duration: Int?

    @Flag(name: [.customShort("j"), .long], help: "print each record as a line of JSON")
    var json = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        let source = BashreadlineProgram.source()
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let binary = try BashreadlineProgram.binary(shared: shared)
        let b = try BPF(text: source)
        defer { b.close() }
        try b.attachUretprobe(name: binary, sym: "readline", fnName: "printret")
        let output = OutputBuffer()
        if json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(BashreadlineProgram.header)
            try b["events"].openRingBuffer(as: bashreadline_event_t.self) { event in
                output.appendLine(BashreadlineProgram.line(for: event, clock: ToolClock.hhmmss()))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: json, until: StopSignal(duration: duration.map(Double.init)))
    }
}
