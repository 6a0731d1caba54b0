import EBPF

/// An fentry / fexit program (KFUNC_PROBE, KRETFUNC_PROBE) attached to the
/// kernel function it named at load time (BPF_RAW_TRACEPOINT_OPEN without a name).
final class TracingLink: Link {
    /// "fentry/fexit program NAME".
    let target: String
    private let link: OwnedFD

    init(program: Program) throws {
        target = "tracing program \(program.name)"
        link = try Syscall.rawTracepointOpen(programFD: program.fd.rawValue, name: nil, object: "program '\(program.name)'")
    }

    var isClosed: Bool { link.rawValue < 0 }

    func close() { link.close() }
}
