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
    static func open(_ attr: perf_event_attr, pid: Int32, cpu: Int32, what: String) throws -> OwnedFD {
        var attr = attr
        attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
        attr.disabled = 1
        while true {
            let fd = cbpf_perf_event_open(&attr, pid, cpu, -1, UInt(PERF_FLAG_FD_CLOEXEC))
            if fd >= 0 { return Syscall.adopt(fd) }
            let code = errno
            switch code {
            case EINTR:
                continue
            case EACCES, EPERM:
                throw BPFError.permissionDenied(operation: "perf_event_open for \(what)")
            case ENOENT, ENODEV:
                throw BPFError.notFound(what: "perf event for \(what) (perf_event_open: \(BPFError.errorName(code)))")
            case ESRCH:
                throw BPFError.notFound(what: "process \(pid) for \(what)")
            default:
                throw BPFError.from(errno: code, operation: "perf_event_open for", object: what)
            }
        }
    }

    /// Runs `program` on `event` and enables the event. Returns the BPF link,
    /// or nil when `usingLink` is false (kernels without perf links), where
    /// the attachment lives as long as the event's descriptor.
    static func attach(
        _ program: Program, to event: OwnedFD, what: String,
        usingLink: Bool = Features.isSupported(.perfEventLinks)
    ) throws -> OwnedFD? {
        let object = "program '\(program.name)' on \(what)"
        var link: OwnedFD?
        if usingLink {
            link = try Syscall.linkCreate(
                programFD: program.fd.rawValue, targetFD: event.rawValue, attachType: .perfEvent, object: object)
        } else {
            try ioctl(event, CBPF_PERF_EVENT_IOC_SET_BPF, UInt(program.fd.rawValue), what: object)
        }
        do {
            try ioctl(event, CBPF_PERF_EVENT_IOC_ENABLE, 0, what: object)
        } catch {
            link?.close()
            throw error
        }
        return link
    }

    private static func ioctl(_ event: OwnedFD, _ request: UInt, _ argument: UInt, what: String) throws {
        while cbpf_ioctl(event.rawValue, request, argument) != 0 {
            let code = errno
            if code == EINTR { continue }
            let name = request == CBPF_PERF_EVENT_IOC_SET_BPF ? "PERF_EVENT_IOC_SET_BPF" : "PERF_EVENT_IOC_ENABLE"
            throw BPFError.from(
                errno: code, operation: name, object: what,
                invalidDetail: "the kernel refused the program for this event (is it the right program type?)")
        }
    }
}
