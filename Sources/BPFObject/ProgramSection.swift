// MARK: - ProgramSection

/// What a program's ELF section name says, following libbpf's `SEC()`
/// conventions: the program type, the expected attach type, and where it
/// attaches.
public struct ProgramSection: Hashable, Sendable {
    /// `enum bpf_prog_type` value.
    public var programType: UInt32
    /// `enum bpf_attach_type` value the kernel expects at load time, if any.
    public var expectedAttachType: UInt32?
    /// Where the program attaches, parsed from the rest of the section name.
    public var attachTarget: AttachTarget

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
        /// `perf_event`: attached to perf events opened by the caller.
        case perfEvent
    }

    // MARK: Kernel constants (UAPI enum values)

    /// `enum bpf_prog_type` values used by the section conventions.
    public enum ProgramType {
        /// BPF_PROG_TYPE_SOCKET_FILTER.
        public static let socketFilter: UInt32 = 1
        /// BPF_PROG_TYPE_KPROBE (kprobes and uprobes).
        public static let kprobe: UInt32 = 2
        /// BPF_PROG_TYPE_TRACEPOINT.
        public static let tracepoint: UInt32 = 5
        /// BPF_PROG_TYPE_XDP.
        public static let xdp: UInt32 = 6
        /// BPF_PROG_TYPE_PERF_EVENT.
        public static let perfEvent: UInt32 = 7
        /// BPF_PROG_TYPE_RAW_TRACEPOINT.
        public static let rawTracepoint: UInt32 = 17
        /// BPF_PROG_TYPE_TRACING (tp_btf, fentry, fexit).
        public static let tracing: UInt32 = 26
        /// BPF_PROG_TYPE_SYSCALL.
        public static let syscall: UInt32 = 31
    }

    /// `enum bpf_attach_type` values used by the section conventions.
    public enum AttachType {
        /// BPF_TRACE_RAW_TP.
        public static let rawTracepoint: UInt32 = 23
        /// BPF_TRACE_FENTRY.
        public static let fentry: UInt32 = 24
        /// BPF_TRACE_FEXIT.
        public static let fexit: UInt32 = 25
        /// BPF_XDP.
        public static let xdp: UInt32 = 37
        /// BPF_PERF_EVENT.
        public static let perfEvent: UInt32 = 41
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
            programType = ProgramType.tracepoint
            let parts = target.split(separator: "/", maxSplits: 1)
            attachTarget = parts.count == 2 ? .tracepoint(category: String(parts[0]), name: String(parts[1])) : .none
        } else if let target = rest(after: "raw_tracepoint", "raw_tp") {
            programType = ProgramType.rawTracepoint
            attachTarget = target.isEmpty ? .none : .rawTracepoint(name: target)
        } else if let target = rest(after: "tp_btf") {
            programType = ProgramType.tracing
            expectedAttachType = AttachType.rawTracepoint
            attachTarget = target.isEmpty ? .none : .btfTracepoint(name: target)
        } else if let target = rest(after: "kprobe") {
            programType = ProgramType.kprobe
            attachTarget = target.isEmpty ? .none : Self.kprobe(target, isReturn: false)
        } else if let target = rest(after: "kretprobe") {
            programType = ProgramType.kprobe
            attachTarget = target.isEmpty ? .none : Self.kprobe(target, isReturn: true)
        } else if let target = rest(after: "uprobe", "uprobe.s") {
            programType = ProgramType.kprobe
            attachTarget = Self.uprobe(target, isReturn: false)
        } else if let target = rest(after: "uretprobe", "uretprobe.s") {
            programType = ProgramType.kprobe
            attachTarget = Self.uprobe(target, isReturn: true)
        } else if let target = rest(after: "fentry") {
            programType = ProgramType.tracing
            expectedAttachType = AttachType.fentry
            attachTarget = target.isEmpty ? .none : .tracing(function: target, isExit: false)
        } else if let target = rest(after: "fexit") {
            programType = ProgramType.tracing
            expectedAttachType = AttachType.fexit
            attachTarget = target.isEmpty ? .none : .tracing(function: target, isExit: true)
        } else if rest(after: "perf_event") != nil {
            programType = ProgramType.perfEvent
            expectedAttachType = AttachType.perfEvent
            attachTarget = .perfEvent
        } else if rest(after: "xdp") != nil {
            programType = ProgramType.xdp
            expectedAttachType = AttachType.xdp
            attachTarget = .none
        } else if name == "socket" || name.hasPrefix("socket/") {
            programType = ProgramType.socketFilter
            attachTarget = .none
        } else if name == "syscall" {
            programType = ProgramType.syscall
            attachTarget = .none
        } else {
            return nil
        }
    }

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
