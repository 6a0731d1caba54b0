// ucalls: summarize method calls of a Python process through its USDT
// probes, as bcc's tools/lib/ucalls.py (-l python).
import ArgumentParser
import BCC
import BCCTools

@main
struct UCalls: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "ucalls",
        abstract: "Summarize method calls in high-level languages.",
        discussion: """
            Counts the calls of every function through the runtime's USDT probes
            (CPython's function__entry and function__return; their semaphores are
            raised in the process while it is traced).

            examples:
                ucalls -l python 185       # count calls in process 185 until Ctrl-C
                ucalls -l python -L 185    # with the time spent in each
                ucalls -T 10 -m -L 185 5   # top 10 by time, in milliseconds, every 5 seconds
                ucalls -l python -S 185    # trace Python calls and syscalls
                ucalls -S 185              # trace only syscall counts
            """)

    @Option(name: [.customShort("l"), .long], help: "language to trace (python; if none, trace syscalls only)")
    var language: String?

    @Option(name: [.customShort("T"), .long], help: "number of most frequent/slow calls to print")
    var top: Int?

    @Flag(name: [.customShort("L"), .long], help: "record method latency from enter to exit (except recursive calls)")
    var latency = false

    @Flag(name: [.customShort("S"), .long], help: "record syscall latency (adds overhead)")
    var syscalls = false

    @Flag(name: [.customShort("m"), .long], help: "report times in milliseconds (default is microseconds)")
    var milliseconds = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    var ebpf = false

    @Flag(name: [.customShort("v"), .long], help: "verbose mode: print the BPF program (for debugging purposes)")
    var verbose = false

    @Option(name: [.customShort("d"), .long], help: "total duration of trace in seconds")
    var duration: Double?

    @Argument(help: "process id to attach to")
    var pid: Int32

    @Argument(help: "print every specified number of seconds")
    var interval: Double?

    func validate() throws {
        if let language, language != "none", !UCallsProgram.languages.contains(where: { $0.name == language }) {
            throw ValidationError("unsupported language '\(language)' (known: \(UCallsProgram.languages.map(\.name).joined(separator: ", ")))")
        }
        if let top, top <= 0 { throw ValidationError("-T must be positive, got \(top)") }
        if let interval, interval <= 0 { throw ValidationError("interval must be positive, got \(interval)") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    func run() throws {
        do {
            try trace()
        } catch {
            StandardOutput.writeToStandardError("ucalls: \(error)\n")
            throw ExitCode(1)
        }
    }

    func trace() throws(BCCError) {
        let chosen = language == "none" ? nil
            : language.flatMap { name in UCallsProgram.languages.first { $0.name == name } } ?? detectLanguage()
        guard chosen != nil || syscalls else {
            throw .invalidUse(object: "process \(pid)", detail: "cannot tell its language; name it with -l (\(UCallsProgram.languages.map(\.name).joined(separator: ", "))), or use -S to trace syscalls")
        }
        let usdt = try chosen.map { chosen throws(BCCError) in
            let usdt = try USDT(pid: pid)
            try usdt.enableProbe(probe: chosen.entryProbe, fnName: "trace_entry")
            if latency { try usdt.enableProbe(probe: chosen.returnProbe, fnName: "trace_return") }
            return usdt
        }
        let source = UCallsProgram.source(language: chosen, latency: latency, syscalls: syscalls)
        if verbose || ebpf { StandardOutput.printLine(source) }
        if ebpf { return }
        let b = if let usdt { try BPF(text: source, usdtContexts: [usdt]) } else { try BPF(text: source) }
        defer { b.close() }
        // pid_filter is 0 until set: no process passes before then.
        if syscalls { try TableFilters.fill(b, value: "pid_filter", with: UInt64(UInt32(bitPattern: pid))) }
        if syscalls { StandardOutput.printLine("Attached kernel tracepoints for syscall tracing.") }
        let stop = StopSignal(duration: duration)
        StandardOutput.printLine("Tracing calls in process \(pid) (language: \(chosen?.name ?? "none"))... Ctrl-C to quit.")
        let counts = chosen == nil ? nil : try b["counts"]
        let syscallTable = syscalls ? try b["syscalls"] : nil
        while true {
            stop.wait(until: interval.map { .now + .seconds($0) })
            var rows = try (counts?.items() ?? []).map { item in
                UCallsProgram.Row(method: Self.name(item.key), calls: Self.word(item.value, 0), totalNanoseconds: Self.word(item.value, 8))
            }
            rows += try (syscallTable?.items() ?? []).map { item in
                let number = Int(Self.word(item.key, 0))
                return UCallsProgram.Row(method: SyscallNames.name(of: number) ?? "[unknown: \(number)]",
                                         calls: Self.word(item.value, 0), totalNanoseconds: Self.word(item.value, 8))
            }
            if interval != nil {
                try counts?.clear()
                try syscallTable?.clear()
            }
            StandardOutput.printLine("")
            for line in UCallsProgram.summary(rows, latency: latency, milliseconds: milliseconds, top: top) {
                StandardOutput.printLine(line)
            }
            if stop.isStopped || interval == nil { return }
        }
    }

    /// The language from the process's executable name (python3.11 -> python).
    func detectLanguage() -> UCallsProgram.Language? {
        guard let executable = ProcFile.executable(pid: pid) else { return nil }
        let name = executable.split(separator: "/").last.map(String.init) ?? executable
        return UCallsProgram.languages.first { name.hasPrefix($0.name) }
    }

    /// "class.method" from a `struct method_t` key (two NUL-padded strings).
    static func name(_ key: [UInt8]) -> String {
        let length = UCallsProgram.maximumNameLength
        func string(_ start: Int) -> String {
            let slice = key.dropFirst(start).prefix(length)
            return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
        }
        return string(0) + "." + string(length)
    }

    /// The little-endian u64 at `offset` of `bytes` (0 when short).
    static func word(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        guard bytes.count >= offset + 8 else { return 0 }
        return (0..<8).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
