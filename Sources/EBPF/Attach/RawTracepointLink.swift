/// A raw tracepoint program (BPF_PROG_TYPE_RAW_TRACEPOINT) attached to a
/// kernel tracepoint by name, such as "sys_enter" or "sched_switch". The
/// program sees the tracepoint's raw arguments rather than its formatted record.
public final class RawTracepointLink: Link {
    /// "raw_tracepoint NAME".
    public let target: String
    let resources: LinkResources

    /// Attaches `program` to the raw tracepoint `name` (BPF_RAW_TRACEPOINT_OPEN).
    ///
    /// - Throws: `BPFError.notFound` when the kernel has no tracepoint `name`.
    public init(program: Program, name: String) throws(BPFError) {
        target = "raw_tracepoint \(name)"
        try program.requireType([.rawTracepoint], for: target)
        let link = try Syscall.rawTracepointOpen(
            programFD: program.fd.rawValue, name: name, object: "program '\(program.name)'")
        resources = LinkResources(descriptors: [link])
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Detaches the program. Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}
