/// A kprobe program (BPF_PROG_TYPE_KPROBE) attached to the entry of a kernel
/// function (kprobe) or to its return (kretprobe).
///
/// The probe is created through the kprobe PMU, or, on kernels without it,
/// defined in tracefs kprobe_events. A kernel built without CONFIG_KPROBES
/// has neither, and attaching throws `BPFError.notSupported`.
public final class KprobeLink: Link {
    /// "kprobe SYMBOL+OFFSET" or "kretprobe SYMBOL".
    public let target: String
    let resources: LinkResources

    /// Attaches `program` to the kernel function `symbol`, at `offset` bytes
    /// into it, or to its return when `isReturn` is set.
    ///
    /// - Throws: `BPFError.notSupported` when the kernel has no kprobes,
    ///   `BPFError.notFound` when it has no function `symbol`.
    public init(program: Program, symbol: String, offset: UInt64 = 0, isReturn: Bool = false) throws(BPFError) {
        guard !symbol.isEmpty, !symbol.contains(where: { $0 == " " || $0 == "\n" || $0 == "\t" }) else {
            throw BPFError.invalidArgument(
                operation: "attach kprobe", object: "'\(symbol)'", detail: "a kernel symbol is one non-empty word")
        }
        guard !isReturn || offset == 0 else {
            throw BPFError.invalidArgument(
                operation: "attach kretprobe", object: symbol, detail: "a return probe cannot have an offset")
        }
        let location = offset == 0 ? symbol : "\(symbol)+\(offset)"
        let what = (isReturn ? "kretprobe " : "kprobe ") + location
        target = what
        try program.requireType([.kprobe], for: target)
        if let pmu = try ProbeEvent.PMU.find(.kprobe) {
            do {
                resources = try pmu.attach(
                    program, location: symbol, offset: offset, isReturn: isReturn, pid: -1, what: what)
            } catch BPFError.notFound(let detail) {
                throw BPFError.notFound(what: "kernel function '\(symbol)' for \(what) (\(detail))")
            }
            return
        }
        let definitions = try Tracefs.root() + "/" + ProbeEvent.Kind.kprobe.definitionsFile
        guard SysFile.exists(definitions) else {
            throw BPFError.notSupported(
                feature: "\(what): kprobes",
                requirement: "a kernel built with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS (this one has "
                    + "no kprobe PMU at /sys/bus/event_source/devices/kprobe and no \(definitions))")
        }
        resources = try ProbeEvent.attachDefined(
            .kprobe, program: program, location: location, label: symbol, isReturn: isReturn, pid: -1, what: what)
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Detaches the program (and removes a probe defined in tracefs). Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}
