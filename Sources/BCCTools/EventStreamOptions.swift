// The options bcc's event tools (killsnoop, sigsnoop, exitsnoop, statsnoop,
// mountsnoop, the network tools) share: how long to trace, JSON records, the BPF text.
import ArgumentParser

/// `-j` and the hidden `--ebpf` of an event-printing tool.
public struct EventOutputOptions: ParsableArguments {
    @Flag(name: [.customShort("j"), .long], help: "print each record as a line of JSON")
    public var json = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    public var ebpf = false

    public init() {}
}

/// `-d SECONDS`, `-j` and the hidden `--ebpf` of an event-printing tool.
public struct EventStreamOptions: ParsableArguments {
    @Option(name: [.customShort("d"), .long], help: "total duration of trace in seconds")
    public var duration: Int?

    @OptionGroup public var output: EventOutputOptions

    public init() {}

    public func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    /// Print JSON records (-j).
    public var json: Bool { output.json }

    /// Print the BPF program and exit (--ebpf).
    public var ebpf: Bool { output.ebpf }

    /// What ends the tool: Ctrl-C, SIGTERM or the duration.
    public var stop: StopSignal { StopSignal(duration: duration.map(Double.init)) }
}
