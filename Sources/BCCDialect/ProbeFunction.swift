import Foundation

/// A function of the program that becomes a BPF program, and where bcc's
/// naming conventions attach it.
public struct ProbeFunction: Sendable, Equatable {
    /// Where a function attaches automatically.
    public enum AutoAttach: Sendable, Equatable {
        /// kprobe__X: a kprobe on kernel function X.
        case kprobe(function: String)
        /// kretprobe__X: a kretprobe on kernel function X.
        case kretprobe(function: String)
        /// tracepoint__CAT__NAME and TRACEPOINT_PROBE(CAT, NAME).
        case tracepoint(category: String, name: String)
        /// raw_tracepoint__NAME and RAW_TRACEPOINT_PROBE(NAME).
        case rawTracepoint(name: String)
        /// KFUNC_PROBE(X, ...): fentry on X.
        case fentry(function: String)
        /// KRETFUNC_PROBE(X, ...): fexit on X.
        case fexit(function: String)
        /// LSM_PROBE(HOOK, ...): a BPF LSM program on security hook HOOK.
        case lsm(hook: String)
    }

    /// The C function name (the program's name).
    public var name: String
    /// The ELF section it is compiled into.
    public var section: String
    /// Where it attaches on load, or nil for functions attached explicitly.
    public var autoAttach: AutoAttach?
    /// The user's line of the definition.
    public var line: Int

    /// The section and auto-attach for a function name by bcc's prefixes, or nil for other names.
    package static func conventional(name: String) -> (section: String, autoAttach: AutoAttach)? {
        if let rest = name.dropPrefix("kprobe__") {
            return ("kprobe/\(rest)", .kprobe(function: rest))
        }
        if let rest = name.dropPrefix("kretprobe__") {
            return ("kretprobe/\(rest)", .kretprobe(function: rest))
        }
        if let rest = name.dropPrefix("tracepoint__"), let split = rest.range(of: "__") {
            let category = String(rest[..<split.lowerBound]), event = String(rest[split.upperBound...])
            guard !category.isEmpty, !event.isEmpty else { return nil }
            return ("tracepoint/\(category)/\(event)", .tracepoint(category: category, name: event))
        }
        if let rest = name.dropPrefix("raw_tracepoint__") {
            return ("raw_tracepoint/\(rest)", .rawTracepoint(name: rest))
        }
        return nil
    }
}

extension String {
    /// The rest of the string after `prefix`, or nil when it does not start with it or nothing follows.
    package func dropPrefix(_ prefix: String) -> String? {
        guard hasPrefix(prefix), count > prefix.count else { return nil }
        return String(dropFirst(prefix.count))
    }
}
