// execsnoop: trace exec() syscalls, as bcc's tools/execsnoop.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct ExecSnoop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "execsnoop",
        abstract: "Trace exec() syscalls",
        discussion: """
            examples:
                execsnoop                 # trace all exec() syscalls
                execsnoop -x              # include failed exec()s
                execsnoop -T              # include time (HH:MM:SS)
                execsnoop -U              # include UID
                execsnoop -M              # include the parent's command name (PCOMM)
                execsnoop -u 1000         # only trace UID 1000
                execsnoop -t              # include timestamps
                execsnoop -q              # add "quotemarks" around arguments
                execsnoop -n main         # only print command lines containing "main"
                execsnoop -l tpkg         # only print command where arguments contains "tpkg"
                execsnoop -d 10           # trace for 10 seconds only
                execsnoop -C              # include CPU column
                execsnoop -P 181          # only trace new processes whose parent PID is 181
                execsnoop --cgroupmap mappath  # only trace cgroups in this BPF map
                execsnoop --mntnsmap mappath   # only trace mount namespaces in the map
            """)

    @Flag(name: [.customShort("T"), .long], help: "include time column on output (HH:MM:SS)")
    var time = false

    @Flag(name: [.customShort("t"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("x"), .long], help: "include failed exec()s")
    var fails = false

    @Option(name: [.customShort("u"), .long], help: "trace this UID only")
    var uid: UInt32?

    @Flag(name: [.customShort("q"), .long], help: "Add quotemarks (\") around arguments.")
    var quote = false

    @Option(name: [.customShort("n"), .long], help: "only print commands matching this name (regex), any arg")
    var name: String?

    @Option(name: [.customShort("l"), .long], help: "only print commands where arg contains this line (regex)")
    var line: String?

    @Flag(name: [.customShort("U"), .customLong("print-uid")], help: "print UID column")
    var printUID = false

    @Flag(name: [.customShort("M"), .customLong("print-pcomm")], help: "print parent command")
    var printParentComm = false

    @Option(name: .customLong("max-args"), help: "maximum number of arguments parsed and displayed, defaults to 20")
    var maxArgs = 20

    @Flag(name: [.customShort("C"), .customLong("print-cpu")], help: "print CPU column")
    var printCPU = false

    @Option(name: [.customShort("P"), .long], help: "trace this parent PID only")
    var ppid: Int32?

    @Option(name: [.customShort("d"), .long], help: "total duration of trace in seconds")
    var duration: Int?

    @OptionGroup var containers: ContainerFilterOptions

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    func validate() throws {
        guard (1 ... 128).contains(maxArgs) else { throw ValidationError("--max-args must be 1...128, got \(maxArgs)") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
        for (flag, pattern) in [("-n", name), ("-l", line)] {
            guard let pattern else { continue }
            do {
                _ = try Regex(pattern)
            } catch {
                throw ValidationError("\(flag) '\(pattern)' is not a regular expression: \(error)")
            }
        }
    }

    func run() throws {
        let source = ExecSnoopProgram.source(maxArguments: maxArgs, uid: uid, filterParent: ppid != nil,
                                             containers: containers.filter)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let ppid { try TableFilters.fill(b, value: "ppid_filter", with: UInt64(UInt32(bitPattern: ppid))) }
        try b.autoAttach()
        var formatter = ExecSnoopFormatter(time: time, timestamp: timestamp, printUID: printUID, includeFailed: fails,
                                           namePattern: name, linePattern: line, quote: quote,
                                           printParentComm: printParentComm, printCPU: printCPU)
        let stop = StopSignal(duration: duration.map(Double.init))
        let output = OutputBuffer()
        output.appendLine(formatter.header)
        output.flush()
        // Checks execsnoop_data_t against the program's BTF before the first record.
        try b["events"].openRingBuffer(as: execsnoop_data_t.self) { data in
            guard let record = ExecRecord(data) else { return }
            if let line = formatter.line(for: record) { output.appendLine(line) }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, until: stop)
    }
}
