import BPFObject

/// A function of the program that becomes a BPF program, and the ELF
/// section the rewriter puts it in. The section is the one description of
/// where it attaches: libbpf's `SEC()` names (`tracepoint/CAT/NAME`,
/// `kprobe/FUNCTION`, ...) for bcc's auto-attached names, and a bare kind
/// (`kprobe`, `tracepoint`, `raw_tracepoint`, `perf_event`) that only picks
/// the program type for functions attached by hand.
public struct ProbeFunction: Sendable, Equatable {
    /// The C function name (the program's name).
    public var name: String
    /// The ELF section it is compiled into.
    public var section: String
    /// The user's line of the definition.
    public var line: Int
    /// True when the program type depends on the attach (a `struct __sk_buff *`
    /// context): the program is loaded by the attach call or `loadFunc`, not with the object.
    public var loadsOnAttach: Bool

    /// Creates a function record.
    public init(name: String, section: String, line: Int, loadsOnAttach: Bool = false) {
        self.name = name
        self.section = section
        self.line = line
        self.loadsOnAttach = loadsOnAttach
    }

    /// Where the function attaches on load, as its section names it
    /// (`.none` for functions attached by hand).
    public var attachTarget: ProgramSection.AttachTarget {
        ProgramSection(sectionName: section)?.attachTarget ?? .none
    }

    /// True when the section names where it attaches, so `BPF(text:)` loads
    /// it with the object and auto-attaches it; bcc loads every other
    /// function only when it is attached or loaded by hand.
    public var attachesAutomatically: Bool {
        let target = attachTarget
        return target != .none && target != .perfEvent
    }

    /// The section for a function name by bcc's auto-attach prefixes
    /// (kprobe__X, kretprobe__X, tracepoint__CAT__NAME, raw_tracepoint__NAME),
    /// or nil for other names.
    package static func conventionalSection(name: String) -> String? {
        if let rest = name.dropPrefix("kprobe__") { return "kprobe/\(rest)" }
        if let rest = name.dropPrefix("kretprobe__") { return "kretprobe/\(rest)" }
        if let rest = name.dropPrefix("tracepoint__"), let split = rest.firstRange(of: "__") {
            let category = rest[..<split.lowerBound], event = rest[split.upperBound...]
            guard !category.isEmpty, !event.isEmpty else { return nil }
            return "tracepoint/\(category)/\(event)"
        }
        if let rest = name.dropPrefix("raw_tracepoint__") { return "raw_tracepoint/\(rest)" }
        return nil
    }

    /// The section for a BPF_PROG name with one of bcc's BTF-typed prefixes
    /// (kfunc__X, kretfunc__X, kmod_ret__X, lsm__X; a module's kfunc__MODULE__X),
    /// or nil for other names.
    package static func trampolineSection(name: String) -> String? {
        let prefixes = [("kfunc__", "fentry/"), ("kretfunc__", "fexit/"), ("kmod_ret__", "fmod_ret/"), ("lsm__", "lsm/")]
        for (prefix, section) in prefixes {
            guard var rest = name.dropPrefix(prefix) else { continue }
            // bcc's newer names put the module first: kfunc__vmlinux__X, kfunc__MODULE__X.
            if prefix != "lsm__", let split = rest.firstRange(of: "__"), split.lowerBound != rest.startIndex {
                rest = String(rest[split.upperBound...])
            }
            return rest.isEmpty ? nil : section + rest
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
