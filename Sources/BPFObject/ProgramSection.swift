// MARK: - ProgramSection

/// What a program's ELF section name says, following libbpf's `SEC()`
/// conventions: the program type, the expected attach type, and where it
/// attaches.
public struct ProgramSection: Hashable, Sendable {
    /// The program type the section names.
    public var programType: ProgramType
    /// The attach type the kernel expects at load time, if any.
    public var expectedAttachType: AttachType?
    /// Where the program attaches, parsed from the rest of the section name.
    public var attachTarget: AttachTarget
    /// For `iter/TARGET`: the iterator target ("task", "bpf_map", ...).
    public var iteratorTarget: String?

    /// Where a program attaches, as named by its section.
    public enum AttachTarget: Hashable, Sendable {
        /// No target in the name ("kprobe" alone, "socket", "xdp", "syscall"): attached by hand.
        case none
        /// `tracepoint/CATEGORY/NAME`, `tp/CATEGORY/NAME`.
        case tracepoint(category: String, name: String)
        /// `raw_tracepoint/NAME`, `raw_tp/NAME`.
        case rawTracepoint(name: String)
        /// `tp_btf/NAME`: a BTF-typed raw tracepoint, resolved against the kernel's BTF.
        case btfTracepoint(name: String)
        /// `kprobe/FUNCTION[+OFFSET]`, `kretprobe/FUNCTION`.
        case kprobe(function: String, offset: UInt64, isReturn: Bool)
        /// `uprobe/BINARY:FUNCTION[+OFFSET]`, `uretprobe/...`; `binary` and `function` may be empty.
        case uprobe(binary: String, function: String, offset: UInt64, isReturn: Bool)
        /// `fentry/FUNCTION`, `fexit/FUNCTION`.
        case tracing(function: String, isExit: Bool)
        /// `lsm/HOOK`: a BPF LSM program on security hook HOOK (kernel function bpf_lsm_HOOK).
        case lsm(hook: String)
        /// `perf_event`: attached to perf events opened by the caller.
        case perfEvent
    }

    // MARK: Parsing

    /// Parses a section name, or returns nil when it follows no known convention.
    public init?(sectionName name: String) {
        func rest(after prefixes: String...) -> String? {
            for prefix in prefixes {
                if name == prefix { return "" }
                if name.hasPrefix(prefix + "/") { return String(name.dropFirst(prefix.count + 1)) }
            }
            return nil
        }
        if let target = rest(after: "tracepoint", "tp") {
            programType = .tracepoint
            let parts = target.split(separator: "/", maxSplits: 1)
            attachTarget = parts.count == 2 ? .tracepoint(category: String(parts[0]), name: String(parts[1])) : .none
        } else if let target = rest(after: "raw_tracepoint", "raw_tp") {
            programType = .rawTracepoint
            attachTarget = target.isEmpty ? .none : .rawTracepoint(name: target)
        } else if let target = rest(after: "tp_btf") {
            programType = .tracing
            expectedAttachType = .traceRawTracepoint
            attachTarget = target.isEmpty ? .none : .btfTracepoint(name: target)
        } else if let target = rest(after: "kprobe") {
            programType = .kprobe
            attachTarget = target.isEmpty ? .none : Self.kprobe(target, isReturn: false)
        } else if let target = rest(after: "kretprobe") {
            programType = .kprobe
            attachTarget = target.isEmpty ? .none : Self.kprobe(target, isReturn: true)
        } else if let target = rest(after: "uprobe", "uprobe.s") {
            programType = .kprobe
            attachTarget = Self.uprobe(target, isReturn: false)
        } else if let target = rest(after: "uretprobe", "uretprobe.s") {
            programType = .kprobe
            attachTarget = Self.uprobe(target, isReturn: true)
        } else if let target = rest(after: "fentry") {
            programType = .tracing
            expectedAttachType = .traceFentry
            attachTarget = target.isEmpty ? .none : .tracing(function: target, isExit: false)
        } else if let target = rest(after: "fexit") {
            programType = .tracing
            expectedAttachType = .traceFexit
            attachTarget = target.isEmpty ? .none : .tracing(function: target, isExit: true)
        } else if let target = rest(after: "fmod_ret") {
            programType = .tracing
            expectedAttachType = .modifyReturn
            attachTarget = target.isEmpty ? .none : .tracing(function: target, isExit: false)
        } else if let target = rest(after: "iter") {
            // Iterators are not attached to an event: a link makes an iterator the caller reads.
            programType = .tracing
            expectedAttachType = .traceIterator
            iteratorTarget = target.isEmpty ? nil : target
            attachTarget = .none
        } else if let target = rest(after: "lsm", "lsm.s") {
            programType = .lsm
            expectedAttachType = .lsmMAC
            attachTarget = target.isEmpty ? .none : .lsm(hook: target)
        } else if rest(after: "perf_event") != nil {
            programType = .perfEvent
            expectedAttachType = .perfEvent
            attachTarget = .perfEvent
        } else if rest(after: "xdp") != nil {
            programType = .xdp
            expectedAttachType = .xdp
            attachTarget = .none
        } else if name == "socket" || name.hasPrefix("socket/") {
            programType = .socketFilter
            attachTarget = .none
        } else if name == "syscall" {
            programType = .syscall
            attachTarget = .none
        } else if let (type, attach) = Self.networkSections[name] {
            programType = type
            expectedAttachType = attach
            attachTarget = .none
        } else {
            return nil
        }
    }

    /// libbpf's names for network programs, all attached by hand: the type
    /// and the attach type the kernel expects at load.
    private static let networkSections: [String: (ProgramType, AttachType?)] = [
        "tc": (.schedCLS, nil), "classifier": (.schedCLS, nil), "action": (.schedACT, nil),
        "tcx/ingress": (.schedCLS, .tcxIngress), "tcx/egress": (.schedCLS, .tcxEgress),
        "sk_skb": (.skSKB, nil), "sk_skb/stream_parser": (.skSKB, .skSKBStreamParser),
        "sk_skb/stream_verdict": (.skSKB, .skSKBStreamVerdict), "sk_skb/verdict": (.skSKB, .skSKBVerdict),
        "sk_msg": (.skMsg, .skMsgVerdict), "flow_dissector": (.flowDissector, .flowDissector),
        "sk_reuseport": (.skReuseport, .skReuseportSelect), "sockops": (.sockOps, .cgroupSockOps),
        "cgroup_skb/ingress": (.cgroupSKB, .cgroupInetIngress), "cgroup_skb/egress": (.cgroupSKB, .cgroupInetEgress),
    ]

    /// "FUNCTION[+OFFSET]".
    private static func kprobe(_ target: String, isReturn: Bool) -> AttachTarget {
        let (function, offset) = splitOffset(target)
        return .kprobe(function: function, offset: offset, isReturn: isReturn)
    }

    /// "BINARY:FUNCTION[+OFFSET]", or just "BINARY" / "".
    private static func uprobe(_ target: String, isReturn: Bool) -> AttachTarget {
        guard let colon = target.lastIndex(of: ":") else {
            return .uprobe(binary: target, function: "", offset: 0, isReturn: isReturn)
        }
        let (function, offset) = splitOffset(String(target[target.index(after: colon)...]))
        return .uprobe(binary: String(target[..<colon]), function: function, offset: offset, isReturn: isReturn)
    }

    private static func splitOffset(_ text: String) -> (String, UInt64) {
        guard let plus = text.lastIndex(of: "+") else { return (text, 0) }
        let digits = text[text.index(after: plus)...]
        let value = digits.hasPrefix("0x") ? UInt64(digits.dropFirst(2), radix: 16) : UInt64(digits)
        guard let value else { return (text, 0) }
        return (String(text[..<plus]), value)
    }
}
