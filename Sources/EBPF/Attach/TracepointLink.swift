import CBPF

/// A tracepoint program (BPF_PROG_TYPE_TRACEPOINT) attached to a kernel
/// tracepoint such as sched/sched_process_exec.
///
/// The tracepoint's id comes from tracefs; a perf event of type
/// PERF_TYPE_TRACEPOINT carries the program, through a BPF link where the
/// kernel has perf links.
public final class TracepointLink: Link {
    /// "tracepoint CATEGORY/NAME".
    public let target: String
    let resources: LinkResources

    /// Attaches `program` to the tracepoint `category`/`name`.
    ///
    /// - Throws: `BPFError.notFound` when the kernel has no such tracepoint,
    ///   tracefs errors, or the kernel's refusal of the program.
    public convenience init(program: Program, category: String, name: String) throws(BPFError) {
        try self.init(program: program, category: category, name: name, usingLink: Features.isSupported(.perfEventLinks))
    }

    /// Attaches through a BPF link or, when `usingLink` is false, the perf event ioctls.
    init(program: Program, category: String, name: String, usingLink: Bool) throws(BPFError) {
        target = "tracepoint \(category)/\(name)"
        try program.requireType([.tracepoint], for: target)
        let id = try Tracefs.eventID(category: category, name: name)
        resources = try TracepointLink.attach(program, eventID: id, pid: -1, what: target, usingLink: usingLink)
    }

    /// Attaches `program` to the tracefs event `eventID` (a tracepoint or a
    /// probe defined in tracefs) and returns what keeps it attached.
    static func attach(
        _ program: Program, eventID: UInt64, pid: Int32, what: String,
        usingLink: Bool = Features.isSupported(.perfEventLinks), cookie: UInt64 = 0
    ) throws(BPFError) -> LinkResources {
        var attr = perf_event_attr()
        attr.type = PERF_TYPE_TRACEPOINT.rawValue
        attr.config = eventID
        attr.sample_period = 1
        attr.wakeup_events = 1
        // A tracepoint runs its programs on every CPU, so one event, bound to
        // CPU 0 when it is not bound to a process, is enough.
        let event = try PerfEvent.open(attr, pid: pid, cpu: pid == -1 ? 0 : -1, what: what)
        let link = try PerfEvent.attach(program, to: event, what: what, usingLink: usingLink, cookie: cookie)
        return LinkResources(descriptors: [link, event].compactMap { $0 })
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Detaches the program. Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}
