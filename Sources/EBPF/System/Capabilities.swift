import BPFObject
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The capabilities of this process: its effective set, from /proc/self/status.
public enum Capabilities {
    /// CAP_SYS_ADMIN, CAP_PERFMON and CAP_BPF (linux/capability.h).
    static let systemAdministration = 21, performanceMonitoring = 38, bpf = 39

    /// The effective set, or nil when /proc/self/status cannot say.
    static func effective() -> UInt64? {
        guard let status = try? SysFile.read("/proc/self/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") })
        else { return nil }
        return UInt64(line.dropFirst("CapEff:".count).trimmingWhitespace(), radix: 16)
    }

    /// True when the effective set holds CAP_SYS_ADMIN, CAP_PERFMON and CAP_BPF.
    static func effectiveIncludeAdministration() -> Bool {
        guard let mask = effective() else { return false }
        let required: UInt64 = 1 << systemAdministration | 1 << performanceMonitoring | 1 << bpf
        return mask & required == required
    }

    /// Throws `.permissionDenied` (whose message says: run as root, or with
    /// CAP_BPF and CAP_PERFMON) unless this process may load and attach
    /// tracing programs: CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN, which
    /// stands in for both (and is all kernels before 5.8 know).
    ///
    /// Callers check this before any other work, so a user without the
    /// privileges hears so first, rather than about a file tracefs (mode
    /// 0700) hides, and after nothing was written to their cache.
    public static func requireTracing(for operation: String) throws(BPFError) {
        guard let mask = effective() else { return }  // no procfs: let the kernel decide
        func has(_ capability: Int) -> Bool { mask & (1 << UInt64(capability)) != 0 }
        let administration = has(systemAdministration)
        guard (has(bpf) || administration) && (has(performanceMonitoring) || administration) else {
            throw .permissionDenied(operation: operation)
        }
    }
}
