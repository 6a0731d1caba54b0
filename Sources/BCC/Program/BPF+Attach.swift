import EBPF

// bcc's attach calls with its parameter names, and the auto-attach of
// kprobe__X, kretprobe__X, tracepoint__CAT__NAME, raw_tracepoint__NAME,
// TRACEPOINT_PROBE, RAW_TRACEPOINT_PROBE, KFUNC_PROBE and KRETFUNC_PROBE.
extension BPF {
    // MARK: - Auto-attach

    func autoAttach() throws {
        for function in functions {
            switch function.autoAttach {
            case let .kprobe(target)?: try attachKprobe(event: Self.syscallFunctionName(target), fnName: function.name)
            case let .kretprobe(target)?: try attachKretprobe(event: Self.syscallFunctionName(target), fnName: function.name)
            case let .tracepoint(category, name)?: try attachTracepoint(tp: "\(category):\(name)", fnName: function.name)
            case let .rawTracepoint(name)?: try attachRawTracepoint(tp: name, fnName: function.name)
            case let .fentry(target)?: try attachTracing(kind: "kfunc", target: target, fnName: function.name)
            case let .fexit(target)?: try attachTracing(kind: "kretfunc", target: target, fnName: function.name)
            case let .lsm(hook)?: try attachTracing(kind: "lsm", target: hook, fnName: function.name)
            case nil: break
            }
        }
    }

    // MARK: - kprobes

    /// Attaches function `fnName` to the entry of kernel function `event` (plus `eventOffset` bytes).
    public func attachKprobe(event: String, fnName: String, eventOffset: UInt64 = 0) throws {
        let program = try function(named: fnName)
        try adopt(Self.key("kprobe", event, fnName)) {
            try attaching(fnName, to: "kprobe \(event)") { try KprobeLink(program: program, symbol: event, offset: eventOffset) }
        }
    }

    /// Attaches function `fnName` to the return of kernel function `event`.
    public func attachKretprobe(event: String, fnName: String) throws {
        let program = try function(named: fnName)
        try adopt(Self.key("kretprobe", event, fnName)) {
            try attaching(fnName, to: "kretprobe \(event)") { try KprobeLink(program: program, symbol: event, isReturn: true) }
        }
    }

    /// Detaches function `fnName` from the kprobe on `event`.
    public func detachKprobe(event: String, fnName: String) throws {
        try detach(Self.key("kprobe", event, fnName))
    }

    /// Detaches function `fnName` from the kretprobe on `event`.
    public func detachKretprobe(event: String, fnName: String) throws {
        try detach(Self.key("kretprobe", event, fnName))
    }

    // MARK: - Tracepoints

    /// Attaches function `fnName` to tracepoint `tp` ("category:name", e.g. "syscalls:sys_enter_openat").
    public func attachTracepoint(tp: String, fnName: String) throws {
        let (category, name) = try Self.splitTracepoint(tp)
        let program = try function(named: fnName)
        try adopt(Self.key("tracepoint", tp, fnName)) {
            try attaching(fnName, to: "tracepoint \(tp)") { try TracepointLink(program: program, category: category, name: name) }
        }
    }

    /// Detaches function `fnName` from tracepoint `tp`.
    public func detachTracepoint(tp: String, fnName: String) throws {
        try detach(Self.key("tracepoint", tp, fnName))
    }

    /// Attaches function `fnName` to raw tracepoint `tp` (e.g. "sched_switch").
    public func attachRawTracepoint(tp: String, fnName: String) throws {
        let program = try function(named: fnName)
        try adopt(Self.key("raw_tracepoint", tp, fnName)) {
            try attaching(fnName, to: "raw tracepoint \(tp)") { try RawTracepointLink(program: program, name: tp) }
        }
    }

    /// Detaches function `fnName` from raw tracepoint `tp`.
    public func detachRawTracepoint(tp: String, fnName: String) throws {
        try detach(Self.key("raw_tracepoint", tp, fnName))
    }

    // MARK: - uprobes

    /// Attaches function `fnName` to symbol `sym` (plus `symOffset`) of binary or library `name`;
    /// `pid` -1 probes every process.
    public func attachUprobe(name: String, sym: String, fnName: String, pid: Int32 = -1, symOffset: UInt64 = 0) throws {
        let program = try function(named: fnName)
        try adopt(Self.key("uprobe", "\(name):\(sym)+\(symOffset):\(pid)", fnName)) {
            try attaching(fnName, to: "uprobe \(name):\(sym)") {
                try UprobeLink(program: program, binary: name, symbol: sym, offset: symOffset, pid: pid < 0 ? nil : pid)
            }
        }
    }

    /// Attaches function `fnName` to the return of symbol `sym` of binary or library `name`.
    public func attachUretprobe(name: String, sym: String, fnName: String, pid: Int32 = -1) throws {
        let program = try function(named: fnName)
        try adopt(Self.key("uretprobe", "\(name):\(sym)+0:\(pid)", fnName)) {
            try attaching(fnName, to: "uretprobe \(name):\(sym)") {
                try UprobeLink(program: program, binary: name, symbol: sym, isReturn: true, pid: pid < 0 ? nil : pid)
            }
        }
    }

    /// Detaches function `fnName` from the uprobe on `name`:`sym`.
    public func detachUprobe(name: String, sym: String, fnName: String, pid: Int32 = -1, symOffset: UInt64 = 0) throws {
        try detach(Self.key("uprobe", "\(name):\(sym)+\(symOffset):\(pid)", fnName))
    }

    /// Detaches function `fnName` from the uretprobe on `name`:`sym`.
    public func detachUretprobe(name: String, sym: String, fnName: String, pid: Int32 = -1) throws {
        try detach(Self.key("uretprobe", "\(name):\(sym)+0:\(pid)", fnName))
    }

    // MARK: - Perf events

    /// Attaches function `fnName` to perf event (`evType`, `evConfig`) on every CPU, sampled every
    /// `samplePeriod` events or `sampleFreq` times a second (one of the two); `pid` -1 for all processes.
    public func attachPerfEvent(evType: UInt32, evConfig: UInt64, fnName: String,
                                samplePeriod: UInt64 = 0, sampleFreq: UInt64 = 0, pid: Int32 = -1) throws {
        guard (samplePeriod == 0) != (sampleFreq == 0) else {
            throw BCCError.invalidUse(object: "attachPerfEvent(\(fnName))", detail: "give exactly one of samplePeriod and sampleFreq")
        }
        let program = try function(named: fnName)
        let sampling: PerfEventLink.Sampling = samplePeriod > 0 ? .period(samplePeriod) : .frequency(sampleFreq)
        try adopt(Self.key("perf_event", "\(evType):\(evConfig)", fnName)) {
            try attaching(fnName, to: "perf event \(evType):\(evConfig)") {
                try PerfEventLink(program: program, event: .init(type: evType, config: evConfig), sampling: sampling, pid: pid < 0 ? nil : pid)
            }
        }
    }

    /// Detaches function `fnName` from perf event (`evType`, `evConfig`).
    public func detachPerfEvent(evType: UInt32, evConfig: UInt64, fnName: String) throws {
        try detach(Self.key("perf_event", "\(evType):\(evConfig)", fnName))
    }

    // MARK: - Helpers

    /// fentry / fexit programs attach to the target named at load time.
    func attachTracing(kind: String, target: String, fnName: String) throws {
        let program = try function(named: fnName)
        try adopt(Self.key(kind, target, fnName)) {
            try attaching(fnName, to: "\(kind) \(target)") { try TracingLink(program: program) }
        }
    }

    /// bcc's fix_syscall_fnname: `kprobe__sys_clone` means the kernel's
    /// syscall entry, which since Linux 4.17 carries an architecture prefix.
    static func syscallFunctionName(_ name: String) -> String {
        guard let rest = name.dropPrefix("sys_") else { return name }
        for prefix in ["__x64_sys_", "__arm64_sys_", "__ia32_sys_"] where KernelSymbols.ksymname(prefix + rest) != nil {
            return prefix + rest
        }
        return name
    }

    static func key(_ kind: String, _ target: String, _ function: String) -> String {
        "\(kind) \(target) -> \(function)"
    }

    static func splitTracepoint(_ tp: String) throws -> (String, String) {
        let parts = tp.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw BCCError.invalidUse(object: "tracepoint '\(tp)'", detail: "must be \"category:name\", e.g. \"syscalls:sys_enter_openat\"")
        }
        return (parts[0], parts[1])
    }

    /// Runs an attach, wrapping its failure with the function and the target.
    private func attaching(_ function: String, to target: String, _ body: () throws -> any Link) throws -> any Link {
        do {
            return try body()
        } catch {
            throw BCCError.kernel(operation: "attach \(function) to", object: target, cause: error)
        }
    }
}
