import CBPF

/// A BPF iterator program (`iter/TARGET`: BPF_PROG_TYPE_TRACING with
/// BPF_TRACE_ITER) linked to its target. It runs when read: each ``read()``
/// walks the target's kernel objects (tasks, maps, ...) afresh and returns
/// what the program wrote with bpf_seq_write and bpf_seq_printf.
public final class IteratorLink: Link {
    /// "iterator PROGRAM".
    public let target: String
    private let link: OwnedFD
    let resources: LinkResources

    /// Links `program` to its iterator target (BPF_LINK_CREATE with BPF_TRACE_ITER).
    public init(program: Program) throws(BPFError) {
        target = "iterator \(program.name)"
        try program.requireType([.tracing], for: target)
        link = try Syscall.linkCreate(programFD: program.fd.rawValue, targetFD: 0, attachType: .traceIterator,
                                      object: "program '\(program.name)'")
        resources = LinkResources(descriptors: [link])
    }

    /// Runs the iterator once (BPF_ITER_CREATE, then reading to the end) and returns its output.
    ///
    /// - Throws: `.closed` after ``close()``; the kernel's error.
    public func read() throws(BPFError) -> [UInt8] {
        guard !isClosed else { throw .closed(object: target) }
        var attr = bpf_attr()
        attr.iter_create.link_fd = UInt32(bitPattern: link.rawValue)
        let iterator: OwnedFD
        do {
            iterator = try Syscall.bpfDescriptor(BPF_ITER_CREATE, &attr)
        } catch {
            throw error.error(operation: "create an iterator for", object: target)
        }
        defer { iterator.close() }
        return try iterator.readAll(object: target)
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Unlinks the program. Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}
