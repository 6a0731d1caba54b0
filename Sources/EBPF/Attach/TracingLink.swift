import BPFObject
import BTF

/// A BTF-typed tracing program (BPF_PROG_TYPE_TRACING) attached where it was
/// aimed at load time: a tp_btf tracepoint, or the entry (fentry) or exit
/// (fexit) of a kernel function; or a BPF LSM program (BPF_PROG_TYPE_LSM) on
/// the security hook it was loaded for.
///
/// Such a program names its target when it is loaded, through
/// `Program(expectedAttachType:attachBTFID:)`: the attach type is
/// `.traceRawTracepoint`, `.traceFentry` or `.traceFexit`, and the id is the
/// kernel BTF type `btfID(ofTracepoint:)` or `btfID(ofFunction:)` returns.
/// Attaching then only needs the program.
public final class TracingLink: Link {
    /// "tracing program NAME", or what the caller said it is attached to.
    public let target: String
    let resources: LinkResources

    /// Attaches `program` to the target it was loaded for; `target` labels
    /// the link ("fentry vfs_read").
    ///
    /// - Throws: `BPFError.invalidArgument` when the program is not a tracing
    ///   program, or the kernel's refusal (fentry and fexit need a kernel with
    ///   BPF trampolines, CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS).
    public init(program: Program, target: String? = nil) throws(BPFError) {
        let target = target ?? "tracing program '\(program.name)'"
        self.target = target
        try program.requireType([.tracing, .lsm], for: target)
        let link: OwnedFD
        do {
            link = try Syscall.rawTracepointOpen(programFD: program.fd.rawValue, name: nil, object: "program '\(program.name)'")
        } catch {
            guard case .notSupported(let feature, _) = error else { throw error }
            throw .notSupported(
                feature: "\(target) (\(feature))",
                requirement: "a kernel with BPF trampolines (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS) on this architecture")
        }
        resources = LinkResources(descriptors: [link])
    }

    /// The kernel BTF id a tp_btf program for tracepoint `name` (such as
    /// "sched_switch") is loaded with: that of the typedef btf_trace_NAME.
    public static func btfID(ofTracepoint name: String) throws(BPFError) -> BTFTypeID {
        try kernelTypeID(named: "btf_trace_" + name, kind: .typedef, what: "tracepoint '\(name)'")
    }

    /// The kernel BTF id an fentry or fexit program for kernel function
    /// `name` is loaded with.
    public static func btfID(ofFunction name: String) throws(BPFError) -> BTFTypeID {
        try kernelTypeID(named: name, kind: .function, what: "kernel function '\(name)'")
    }

    /// Throws `BPFError.notSupported` when this kernel will not run fentry or
    /// fexit programs (BPF trampolines), saying why. Probed once, by loading
    /// an empty fentry program on vfs_read.
    ///
    /// A kernel in lockdown, or with a security module that forbids them,
    /// refuses the load with EPERM even to a process with every capability;
    /// only when capabilities are missing is EPERM a permission problem.
    public static func requireTrampolines() throws(BPFError) {
        try trampolineProbe.get()
    }

    private static let trampolineProbe: Result<Void, BPFError> = Result { () throws(BPFError) in
        let feature = "fentry and fexit programs (BPF trampolines)"
        do throws(BPFError) {
            let id = try btfID(ofFunction: "vfs_read")
            let program = try Program(
                type: .tracing, instructions: [.mov(.r0, 0), .exit()], license: "GPL", name: "probe_fentry",
                expectedAttachType: .traceFentry, attachBTFID: id)
            program.close()
        } catch {
            switch error {
            case .permissionDenied where Capabilities.effectiveIncludeAdministration():
                throw .notSupported(
                    feature: feature,
                    requirement: "a kernel that allows them; this one refuses to load one (EPERM) even with CAP_SYS_ADMIN, "
                        + "CAP_BPF and CAP_PERFMON, so kernel lockdown or a security module forbids them")
            case .notFound:
                throw .notSupported(feature: feature, requirement: "kernel BTF that describes vfs_read")
            default:
                throw error
            }
        }
    }

    private static func kernelTypeID(named name: String, kind: BTFKind, what: String) throws(BPFError) -> BTFTypeID {
        guard let type = try KernelBTF.shared().firstType(named: name, kind: kind) else {
            throw BPFError.notFound(what: "\(what) in the kernel's BTF (\(KernelBTF.path) has no \(kind) '\(name)')")
        }
        return type.id
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Detaches the program. Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}
