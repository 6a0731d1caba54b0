import CBPF
import Glibc

/// perf_event_open(2) and the two ways of running a program on a perf event.
///
/// Tracepoints, kprobes, uprobes and sampling events all reach BPF through a
/// perf event: a BPF link of type BPF_PERF_EVENT where the kernel has one
/// (Linux 5.15+), else PERF_EVENT_IOC_SET_BPF on the event itself.
enum PerfEvent {
    /// Opens a perf event described by `attr` for `pid` (-1: every process)
    /// on `cpu` (-1: every CPU). The event starts disabled; `attach` enables it.
    static func open(_ attr: perf_event_attr, pid: Int32, cpu: Int32, what: String) throws(BPFError) -> OwnedFD {
        var attr = attr
        attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
        attr.disabled = 1
        do {
            return Syscall.adopt(try Errno.retryingInterrupts {
                cbpf_perf_event_open(&attr, pid, cpu, -1, UInt(PERF_FLAG_FD_CLOEXEC))
            })
        } catch {
            switch error.rawValue {
            case EACCES, EPERM:
                throw .permissionDenied(operation: "perf_event_open for \(what)")
            case ENOENT, ENODEV:
                throw .notFound(what: "perf event for \(what) (perf_event_open: \(error))")
            case ESRCH:
                throw .notFound(what: "process \(pid) for \(what)")
            default:
                throw error.error(operation: "perf_event_open for", object: what)
            }
        }
    }

    /// Runs `program` on `event` and enables the event. Returns the BPF link,
    /// or nil when `usingLink` is false (kernels without perf links), where
    /// the attachment lives as long as the event's descriptor.
    /// A nonzero `cookie` is what bpf_get_attach_cookie() returns in the program; it needs a perf link.
    static func attach(
        _ program: Program, to event: OwnedFD, what: String,
        usingLink: Bool = Features.isSupported(.perfEventLinks), cookie: UInt64 = 0
    ) throws(BPFError) -> OwnedFD? {
        let object = "program '\(program.name)' on \(what)"
        var link: OwnedFD?
        if usingLink {
            link = try Syscall.linkCreate(
                programFD: program.fd.rawValue, targetFD: event.rawValue, attachType: .perfEvent, object: object
            ) { attr in attr.link_create.perf_event.bpf_cookie = cookie }
        } else if cookie != 0 {
            throw .notSupported(feature: "\(what): a BPF cookie (bpf_get_attach_cookie)",
                                requirement: Feature.perfEventLinks.requirement)
        } else {
            try ioctl(event, CBPF_PERF_EVENT_IOC_SET_BPF, UInt(program.fd.rawValue), what: object)
        }
        do {
            try enable(event, what: object)
        } catch {
            link?.close()
            throw error
        }
        return link
    }

    /// Starts `event` counting (PERF_EVENT_IOC_ENABLE).
    static func enable(_ event: OwnedFD, what: String) throws(BPFError) {
        try ioctl(event, CBPF_PERF_EVENT_IOC_ENABLE, 0, what: what)
    }

    private static func ioctl(_ event: OwnedFD, _ request: UInt, _ argument: UInt, what: String) throws(BPFError) {
        do {
            _ = try Errno.retryingInterrupts { cbpf_ioctl(event.rawValue, request, argument) }
        } catch {
            let name = request == CBPF_PERF_EVENT_IOC_SET_BPF ? "PERF_EVENT_IOC_SET_BPF" : "PERF_EVENT_IOC_ENABLE"
            throw error.error(operation: name, object: what,
                              invalidDetail: "the kernel refused the program for this event (is it the right program type?)")
        }
    }
}
