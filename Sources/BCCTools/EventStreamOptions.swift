// The options bcc's event tools (killsnoop, sigsnoop, exitsnoop, statsnoop,
// mountsnoop) share: how long to trace, JSON records, the BPF text.
import ArgumentParser

/// `-d SECONDS`, `-j` and the hidden `--ebpf` of an event-printing tool.
public struct EventStreamOptions: ParsableArguments {
    @Option(name: [.customShort("d"), .long], help: "total duration of trace in seconds")
    public var duration: Int?

    @Flag(name: [.customShort("j"), .long], help: "print each record as a line of JSON")
    public var json = false

    @Flag(name: .customLong("ebpf"), help: .hidden)
    public var ebpf = false

    public init() {}

    public func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    /// What ends the tool: Ctrl-C, SIGTERM or the duration.
    public var stop: StopSignal { StopSignal(duration: duration.map(Double.init)) }
}
