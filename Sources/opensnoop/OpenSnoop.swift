// opensnoop: trace open() syscalls, as bcc's tools/opensnoop.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct OpenSnoop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "opensnoop",
        abstract: "Trace open() syscalls",
        discussion: """
            examples:
                opensnoop                        # trace all open() syscalls
                opensnoop -T                     # include timestamps
                opensnoop -U                     # include UID
                opensnoop -x                     # only show failed opens
                opensnoop -p 181                 # only trace PID 181
                opensnoop -t 123                 # only trace TID 123
                opensnoop -u 1000                # only trace UID 1000
                opensnoop -d 10                  # trace for 10 seconds only
                opensnoop -n main                # only print process names containing "main"
                opensnoop -e                     # show extended fields
                opensnoop -f O_WRONLY -f O_RDWR  # only print calls for writing
                opensnoop -F                     # show full path for an open file with relative path
                opensnoop --cgroupmap mappath    # only trace cgroups in this BPF map
                opensnoop --mntnsmap mappath     # only trace mount namespaces in the map
                opensnoop --exec ls -l /tmp      # run ls and trace its opens only
            """)

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("U"), .customLong("print-uid")], help: "print UID column")
    var printUID = false

    @Flag(name: [.customShort("x"), .long], help: "only show failed opens")
    var failed = false

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

    @Flag(name: [.customShort("e"), .customLong("extended_fields")], help: "show extended fields")
    var extendedFields = false

    @Option(name: [.customShort("f"), .customLong("flag_filter")], help: "filter on flags argument (e.g., O_WRONLY)")
    var flagFilter: [String] = []

    @Flag(name: [.customShort("F"), .customLong("full-path")], help: "show full path for an open file with relative path")
    var fullPath = false

    @Option(name: [.customShort("b"), .customLong("buffer-pages")],
            help: "size of the ring buffer in pages per CPU (must be a power of two number of pages and defaults to 64)")
    var bufferPages = 64

    @OptionGroup var containers: ContainerFilterOptions

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @Option(name: .customLong("exec"), parsing: .remaining,
            help: "execute command (as the last parameter, supports multiple parameters, for example: --exec ls -l /tmp)")
    var exec: [String] = []

    func validate() throws {
        if pid != nil && !exec.isEmpty { throw ValidationError("can only use -p or --exec") }
        do { _ = try OpenFlags.mask(flagFilter) } catch { throw ValidationError(error.description) }
        guard bufferPages > 0, bufferPages & (bufferPages - 1) == 0 else {
            throw ValidationError("--buffer-pages must be a power of two, got \(bufferPages)")
        }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        // bcc's -b is pages per CPU (a perf buffer each); one ring serves
        // every CPU, so it gets that many pages for each of them, as libbpf-tools' buffers do.
        let ringPages = try OpenSnoopProgram.ringPages(perCPU: bufferPages)
        // bcc: -t trumps -p and --exec.
        let source = OpenSnoopProgram.source(filterPid: tid == nil && (pid != nil || !exec.isEmpty), filterTid: tid != nil,
                                             filterUID: uid != nil, filterFlags: !flagFilter.isEmpty,
                                             containers: containers.filter, fullPath: fullPath, bufferPages: ringPages)
        if ebpf {
            StandardOutput.printLine(source)
            return
        }
        let command = exec.isEmpty ? nil : try TracedCommand(exec)
        let b = try BPF(text: source, autoAttach: false)
        defer { b.close() }
        if let pid = pid ?? command?.pid, tid == nil {
            try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid)))
        }
        if !flagFilter.isEmpty {
            try TableFilters.fill(b, value: "flags_filter", with: UInt64(UInt32(bitPattern: try OpenFlags.mask(flagFilter))))
        }
        if let tid { try TableFilters.fill(b, value: "tid_filter", with: UInt64(UInt32(bitPattern: tid))) }
        if let uid { try TableFilters.fill(b, value: "uid_filter", with: UInt64(uid)) }
        try b.autoAttach()
        var formatter = OpenSnoopFormatter(timestamps: timestamp, printUID: printUID, failedOnly: failed,
                                           nameFilter: name, showTID: tid != nil, extendedFields: extendedFields)
        let stop = StopSignal(duration: duration.map(Double.init))
        let output = OutputBuffer()
        output.append(formatter.header + "\n")
        output.flush()
        // Checks opensnoop_data_t against the program's BTF before the first record.
        let cwds = fullPath ? try b["cwds"] : nil
        try b["events"].openRingBuffer(as: opensnoop_data_t.self) { record in
            let directory = try cwds.flatMap { cwds throws(BCCError) in try OpenSnoopProgram.workingDirectory(of: record, in: cwds) }
            _ = formatter.append(record, directory: directory, to: output)
        }
        command?.release(stopping: stop)
        try b.pollReportingDrops(rings: ["events"], output: output, until: stop)
    }
}
