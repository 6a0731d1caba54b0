import BPFObject
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Everything the kernel layer can throw: cases a caller can match, messages
/// that name the operation, the object and the fix. Never a bare errno.
public enum BPFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The caller lacks the privileges for `operation`.
    case permissionDenied(operation: String)
    /// The running kernel lacks `feature`; `requirement` names the kernel
    /// version or configuration that brings it ("Linux 5.8+", "CONFIG_KPROBES").
    case notSupported(feature: String, requirement: String)
    /// `operation` on `object` was given something it cannot accept.
    case invalidArgument(operation: String, object: String, detail: String)
    /// The verifier refused `program`; `log` is its complete output (the
    /// description shows its reason and last lines: ``VerifierLogSummary``).
    case verifierRejected(program: String, log: String)
    /// `operation` on `object` failed with `errno`.
    case system(operation: String, object: String, errno: Int32)
    /// `what` does not exist (a map key, a kernel symbol, a file).
    case notFound(what: String)
    /// `what` could not be decoded: `detail` says where and why.
    case malformed(what: String, detail: String)
    /// A BPF object file could not be understood or does not fit this kernel
    /// (a CO-RE relocation without a match): the object layer's error.
    case object(BPFObjectError)
    /// `object` (a ring buffer, a perf buffer, a poller) was used after it was closed.
    case closed(object: String)

    /// A readable summary for messages and logs.
    public var description: String {
        switch self {
        case let .permissionDenied(operation):
            return "\(operation): permission denied; run as root, or with CAP_BPF and CAP_PERFMON"
                + " (CAP_SYS_ADMIN on kernels before 5.8)"
        case let .notSupported(feature, requirement):
            return "\(feature) is not supported by this kernel; it needs \(requirement)"
        case let .invalidArgument(operation, object, detail):
            return "\(operation) \(object): invalid argument: \(detail)"
        case let .verifierRejected(program, log):
            // The reason first and a bounded tail: the whole log is in `log`.
            return "the verifier rejected program '\(program)': \(VerifierLogSummary(log).text)"
        case let .system(operation, object, errno):
            return "\(operation) \(object): \(BPFError.errorName(errno))"
        case let .notFound(what):
            return "\(what) not found"
        case let .malformed(what, detail):
            return "\(what) is malformed: \(detail)"
        case let .object(error):
            return error.description
        case let .closed(object):
            return "\(object) is closed"
        }
    }

    /// The errno this error came from, when it came from one.
    public var errno: Int32? {
        switch self {
        case let .system(_, _, errno): return errno
        case .permissionDenied: return EPERM
        default: return nil
        }
    }

    /// Classifies a failed bpf(2) or perf_event_open(2) call.
    ///
    /// EPERM becomes `.permissionDenied`, EINVAL `.invalidArgument`, the
    /// "not supported" errnos `.notSupported`; the rest keep their errno.
    static func from(errno: Int32, operation: String, object: String,
                     invalidDetail: String? = nil) -> BPFError {
        switch errno {
        case EPERM:
            return .permissionDenied(operation: "\(operation) \(object)")
        case EINVAL:
            return .invalidArgument(operation: operation, object: object,
                                    detail: invalidDetail ?? "the kernel rejected the request (EINVAL)")
        case EOPNOTSUPP, kernelENOTSUPP:
            return .notSupported(feature: "\(operation) on \(object)",
                                 requirement: "a kernel that implements it for this object type")
        default:
            return .system(operation: operation, object: object, errno: errno)
        }
    }

    /// "strerror (ENAME N)" for an errno, with the kernel-internal ENOTSUPP named too.
    static func errorName(_ errno: Int32) -> String {
        if errno == kernelENOTSUPP { return "operation not supported (ENOTSUPP 524)" }
        return "\(String(cString: strerror(errno))) (errno \(errno))"
    }

    /// The kernel's internal ENOTSUPP (524), which bpf(2) leaks to user space.
    static let kernelENOTSUPP: Int32 = 524
}
