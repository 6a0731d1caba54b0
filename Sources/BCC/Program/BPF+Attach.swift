import BPFObject
import EBPF

// bcc's attach and detach calls with its parameter names, and the
// auto-attach of the functions whose section names their attach point.

/// What an attachment is known by: where it is and which function. bcc's
/// detach calls name an attachment the same way as the attach call did.
struct AttachmentKey: Hashable, CustomStringConvertible {
    /// The attach point of a section, or a perf event (which sections do not name).
    enum Point: Hashable {
        case section(ProgramSection.AttachTarget, pid: Int32?)
        case perfEvent(type: UInt32, config: UInt64)
        /// A network attach point (Network/): "xdp", "tc ingress", "raw socket", ... and where.
        case network(kind: String, target: String)
        /// One site of a USDT probe (BPF+USDT.swift).
        case usdt(probe: String, binary: String, fileOffset: UInt64, pid: Int32?)
        /// A USDT probe's semaphore, raised in a process.
        case usdtSemaphore(probe: String, binary: String, address: UInt64, pid: Int32)
        /// A BPF iterator (BPF_ITER), linked to its target.
        case iterator
    }

    var point: Point
    var function: String

    /// `target` for `function`; `pid` limits uprobes to one process. bcc
    /// names a kprobe by its function alone, so the offset is not part of it.
    init(_ target: ProgramSection.AttachTarget, pid: Int32? = nil, function: String) {
        var target = target
        if case let .kprobe(name, _, isReturn) = target { target = .kprobe(function: name, offset: 0, isReturn: isReturn) }
        point = .section(target, pid: pid)
        self.function = function
    }

    init(perfEvent type: UInt32, config: UInt64, function: String) {
        point = .perfEvent(type: type, config: config)
        self.function = function
    }

    /// Where it attaches, e.g. "tracepoint syscalls:sys_enter_openat", "uprobe c:malloc".
    var target: String {
        switch point {
        case let .perfEvent(type, config): return "perf_event \(type):\(config)"
        case let .network(kind, target): return "\(kind) \(target)"
        case let .usdt(probe, binary, fileOffset, pid):
            return "usdt \(probe) \(binary):0x\(String(fileOffset, radix: 16))" + (pid.map { " pid \($0)" } ?? "")
        case let .usdtSemaphore(probe, binary, address, pid):
            return "usdt semaphore \(probe) \(binary) at 0x\(String(address, radix: 16)) pid \(pid)"
        case .iterator: return "iterator"
        case let .section(target, pid):
            switch target {
            case .none: return "none"
            case .perfEvent: return "perf_event"
            case let .tracepoint(category, name): return "tracepoint \(category):\(name)"
            case let .rawTracepoint(name): return "raw_tracepoint \(name)"
            case let .btfTracepoint(name): return "tp_btf \(name)"
            case let .kprobe(function, _, isReturn): return "\(isReturn ? "kretprobe" : "kprobe") \(function)"
            case let .tracing(function, isExit): return "\(isExit ? "kretfunc" : "kfunc") \(function)"
            case let .lsm(hook): return "lsm \(hook)"
            case let .uprobe(binary, symbol, offset, isReturn):
                let at = offset == 0 ? "" : "+\(offset)"
                return "\(isReturn ? "uretprobe" : "uprobe") \(binary):\(symbol)\(at)" + (pid.map { " pid \($0)" } ?? "")
            }
        }
    }

    var description: String { "\(target) -> \(function)" }
}

extension BPF {
    // MARK: - Auto-attach

    /// Attaches every function whose section names a target (bcc's
    /// kprobe__X, kretprobe__X, tracepoint__CAT__NAME, raw_tracepoint__NAME,
    /// TRACEPOINT_PROBE, RAW_TRACEPOINT_PROBE, KFUNC_PROBE, KRETFUNC_PROBE),
    /// from the section as the object parsed it, in the program's order.
    /// `BPF(text:)` does this unless told not to; on an error nothing this
    /// call attached stays attached.
    public func autoAttach() throws(BCCError) {
        var attached: [AttachmentKey] = []
        do {
            for function in functions {
                guard let program = object.spec.program(named: function.name) else { continue }
                let target = Self.fixingSyscallName(program.section.attachTarget)
                guard target != .none, target != .perfEvent else { continue }
                try attach(function.name, at: target)
                attached.append(AttachmentKey(target, function: function.name))
            }
        } catch {
            for key in attached.reversed() { try? detach(key) }
            throw error
        }
    }

    /// bcc's fix_syscall_fnname, the one hook between a section and its
    /// attach point: `kprobe__sys_clone` means the kernel's syscall entry,
    /// which since Linux 4.17 carries an architecture prefix.
    static func fixingSyscallName(_ target: ProgramSection.AttachTarget) -> ProgramSection.AttachTarget {
        guard case let .kprobe(function, offset, isReturn) = target else { return target }
        return .kprobe(function: syscallFunctionName(function), offset: offset, isReturn: isReturn)
    }

    /// `sys_NAME` as the running kernel names its syscall entry
    /// (`__x64_sys_NAME` on x86_64), or `name` unchanged.
    static func syscallFunctionName(_ name: String) -> String {
        guard let rest = name.dropPrefix("sys_") else { return name }
        for prefix in ["__x64_sys_", "__arm64_sys_", "__ia32_sys_"] where KernelSymbols.ksymname(prefix + rest) != nil {
            return prefix + rest
        }
        return name
    }

    /// Attaches function `fnName` at `target` and keeps the link.
    func attach(_ fnName: String, at target: ProgramSection.AttachTarget, pid: Int32? = nil) throws(BCCError) {
        let key = AttachmentKey(target, pid: pid, function: fnName)
        let program = try program(fnName, attachingTo: target)
        try adopt(key) { () throws(BCCError) -> any Link in
            let link = try BCCError.wrapping("attach \(fnName) to", key.target) { try target.link(program: program, pid: pid) }
            guard let link else { throw .invalidUse(object: key.description, detail: "names no attach point") }
            return link
        }
    }

    /// The program of `fnName` for an attach at `target`: as bcc's attach
    /// calls do, loaded with the type the attach needs (a `void *ctx` or
    /// `struct pt_regs *` function attached to a tracepoint is a tracepoint
    /// program); BTF-typed targets take the section's own type.
    func program(_ fnName: String, attachingTo target: ProgramSection.AttachTarget) throws(BCCError) -> Program {
        let type: ProgramType
        switch target {
        case .tracepoint: type = .tracepoint
        case .rawTracepoint: type = .rawTracepoint
        case .kprobe, .uprobe: type = .kprobe
        case .perfEvent: type = .perfEvent
        case .none, .btfTracepoint, .tracing, .lsm: return try function(named: fnName)
        }
        if let loaded = object.programs[fnName], loaded.type == type { return loaded }
        guard functions.contains(where: { $0.name == fnName }) else {
            throw .functionNotFound(name: fnName, available: functions.map(\.name))
        }
        return try loadFunc(fnName, type, expectedAttachType: type == .perfEvent ? .perfEvent : nil)
    }

    // MARK: - kprobes

    /// Attaches function `fnName` to the entry of kernel function `event` (plus `eventOffset` bytes).
    public func attachKprobe(event: String, fnName: String, eventOffset: UInt64 = 0) throws(BCCError) {
        try attach(fnName, at: .kprobe(function: event, offset: eventOffset, isReturn: false))
    }

    /// Attaches function `fnName` to the return of kernel function `event`.
    public func attachKretprobe(event: String, fnName: String) throws(BCCError) {
        try attach(fnName, at: .kprobe(function: event, offset: 0, isReturn: true))
    }

    /// Detaches function `fnName` from the kprobe on `event`.
    public func detachKprobe(event: String, fnName: String) throws(BCCError) {
        try detach(AttachmentKey(.kprobe(function: event, offset: 0, isReturn: false), function: fnName))
    }

    /// Detaches function `fnName` from the kretprobe on `event`.
    public func detachKretprobe(event: String, fnName: String) throws(BCCError) {
        try detach(AttachmentKey(.kprobe(function: event, offset: 0, isReturn: true), function: fnName))
    }

    // MARK: - Tracepoints

    /// Attaches function `fnName` to tracepoint `tp` ("category:name", e.g. "syscalls:sys_enter_openat").
    public func attachTracepoint(tp: String, fnName: String) throws(BCCError) {
        try attach(fnName, at: Self.tracepoint(tp))
    }

    /// Detaches function `fnName` from tracepoint `tp`.
    public func detachTracepoint(tp: String, fnName: String) throws(BCCError) {
        try detach(AttachmentKey(Self.tracepoint(tp), function: fnName))
    }

    /// Attaches function `fnName` to raw tracepoint `tp` (e.g. "sched_switch").
    public func attachRawTracepoint(tp: String, fnName: String) throws(BCCError) {
        try attach(fnName, at: .rawTracepoint(name: tp))
    }

    /// Detaches function `fnName` from raw tracepoint `tp`.
    public func detachRawTracepoint(tp: String, fnName: String) throws(BCCError) {
        try detach(AttachmentKey(.rawTracepoint(name: tp), function: fnName))
    }

    // MARK: - uprobes

    /// Attaches function `fnName` to symbol `sym` (plus `symOffset`) of binary or library `name`;
    /// `pid` -1 probes every process.
    public func attachUprobe(name: String, sym: String, fnName: String, pid: Int32 = -1, symOffset: UInt64 = 0) throws(BCCError) {
        try attach(fnName, at: .uprobe(binary: name, function: sym, offset: symOffset, isReturn: false), pid: Self.process(pid))
    }

    /// Attaches function `fnName` to the return of symbol `sym` of binary or library `name`.
    public func attachUretprobe(name: String, sym: String, fnName: String, pid: Int32 = -1) throws(BCCError) {
        try attach(fnName, at: .uprobe(binary: name, function: sym, offset: 0, isReturn: true), pid: Self.process(pid))
    }

    /// Detaches function `fnName` from the uprobe on `name`:`sym`.
    public func detachUprobe(name: String, sym: String, fnName: String, pid: Int32 = -1, symOffset: UInt64 = 0) throws(BCCError) {
        try detach(AttachmentKey(.uprobe(binary: name, function: sym, offset: symOffset, isReturn: false),
                                 pid: Self.process(pid), function: fnName))
    }

    /// Detaches function `fnName` from the uretprobe on `name`:`sym`.
    public func detachUretprobe(name: String, sym: String, fnName: String, pid: Int32 = -1) throws(BCCError) {
        try detach(AttachmentKey(.uprobe(binary: name, function: sym, offset: 0, isReturn: true),
                                 pid: Self.process(pid), function: fnName))
    }

    // MARK: - Perf events

    /// Attaches function `fnName` to perf event (`evType`, `evConfig`; see ``PerfType``) on every
    /// CPU, or on `cpu` alone when it is 0 or more, sampled every `samplePeriod` events or
    /// `sampleFreq` times a second (one of the two); `pid` -1 for all processes.
    public func attachPerfEvent(evType: UInt32, evConfig: UInt64, fnName: String,
                                samplePeriod: UInt64 = 0, sampleFreq: UInt64 = 0, pid: Int32 = -1,
                                cpu: Int = -1) throws(BCCError) {
        guard (samplePeriod == 0) != (sampleFreq == 0) else {
            throw .invalidUse(object: "attachPerfEvent(\(fnName))", detail: "give exactly one of samplePeriod and sampleFreq")
        }
        let key = AttachmentKey(perfEvent: evType, config: evConfig, function: fnName)
        let program = try program(fnName, attachingTo: .perfEvent)
        let sampling: PerfEventLink.Sampling = samplePeriod > 0 ? .period(samplePeriod) : .frequency(sampleFreq)
        try adopt(key) { () throws(BCCError) -> any Link in
            try BCCError.wrapping("attach \(fnName) to", key.target) {
                try PerfEventLink(program: program, event: .init(type: evType, config: evConfig), sampling: sampling,
                              pid: Self.process(pid), cpu: cpu < 0 ? nil : cpu)
            }
        }
    }

    /// Detaches function `fnName` from perf event (`evType`, `evConfig`).
    public func detachPerfEvent(evType: UInt32, evConfig: UInt64, fnName: String) throws(BCCError) {
        try detach(AttachmentKey(perfEvent: evType, config: evConfig, function: fnName))
    }

    // MARK: - Iterators

    /// Links BPF_ITER function `fnName` to its target (libbcc's
    /// `bcc_iter_attach`); ``readIter(fnName:)`` then runs it.
    public func attachIter(fnName: String) throws(BCCError) {
        let key = AttachmentKey(point: .iterator, function: fnName)
        let program = try function(named: fnName)
        try adopt(key) { () throws(BCCError) -> any Link in
            try BCCError.wrapping("attach \(fnName) to", key.target) { try IteratorLink(program: program) }
        }
    }

    /// Runs attached iterator `fnName` once (libbcc's `bcc_iter_create`,
    /// read to the end) and returns what it wrote with bpf_seq_write and bpf_seq_printf.
    public func readIter(fnName: String) throws(BCCError) -> [UInt8] {
        let key = AttachmentKey(point: .iterator, function: fnName)
        guard let link = attachments[key] as? IteratorLink else {
            throw .invalidUse(object: "function '\(fnName)'", detail: "is not an attached iterator: call attachIter(fnName:) first")
        }
        return try BCCError.wrapping("read", key.description) { try link.read() }
    }

    // MARK: - Arguments

    /// "category:name" as a tracepoint target.
    static func tracepoint(_ tp: String) throws(BCCError) -> ProgramSection.AttachTarget {
        let parts = tp.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalidUse(object: "tracepoint '\(tp)'", detail: "must be \"category:name\", e.g. \"syscalls:sys_enter_openat\"")
        }
        return .tracepoint(category: parts[0], name: parts[1])
    }

    /// bcc's pid argument: -1 (any negative) for every process.
    private static func process(_ pid: Int32) -> Int32? { pid < 0 ? nil : pid }
}
