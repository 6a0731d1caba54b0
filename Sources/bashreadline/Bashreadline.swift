// bashreadline: print the commands entered in bash shells, as bcc's tools/bashreadline.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Bashreadline: BCCCommand {
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

    @OptionGroup var stream: EventStreamOptions

    func run() throws {
        let source = BashreadlineProgram.source()
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let binary = try BashreadlineProgram.binary(shared: shared)
        let b = try BPF(text: source)
        defer { b.close() }
        try b.attachUretprobe(name: binary, sym: "readline", fnName: "printret")
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            StandardOutput.printLine(BashreadlineProgram.header)
            try b["events"].openRingBuffer(as: bashreadline_event_t.self) { event in
                output.appendLine(BashreadlineProgram.line(for: event, clock: ToolClock.hhmmss()))
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
