import BCCDialect
import EBPF
import ELF

// BPF(text:usdtContexts:): the enabled probes' argument readers are compiled
// with the program, and every site is attached after load.

extension BPF {
    /// Compiles, loads and attaches the bcc C program `text`, with the USDT
    /// probes enabled in `usdtContexts` (bcc's `BPF(text=, usdt_contexts=[u])`):
    /// each enabled function runs at every site of its probe, and
    /// `bpf_usdt_readarg(n, ctx, &value)` reads the probe's argument n.
    ///
    /// - Throws: `BCCError.compileFailed` for an argument index past the
    ///   probe's count (at the user's line), or the attach error of the first
    ///   site that fails (nothing stays attached then).
    public convenience init(text: String, cflags: [String] = [], usdtContexts: [USDT]) throws(BCCError) {
        try self.init(source: text, fileName: "<text>", includeDirectory: nil, cflags: cflags,
                      environment: KernelCompileEnvironment.forLoading("<text>"), usdtContexts: usdtContexts)
    }

    /// `BPF(srcFile:cflags:)` with USDT contexts (see `init(text:cflags:usdtContexts:)`).
    public convenience init(srcFile: String, cflags: [String] = [], usdtContexts: [USDT]) throws(BCCError) {
        let source = try Self.readSource(srcFile)
        try self.init(source: source.text, fileName: srcFile, includeDirectory: source.directory,
                      cflags: cflags, environment: KernelCompileEnvironment.forLoading(srcFile), usdtContexts: usdtContexts)
    }

    /// Attaches every site of every enabled probe, then raises the semaphores of `USDT(pid:)` probes.
    func attach(_ plan: USDTAttachPlan) throws(BCCError) {
        for function in plan.functions {
            let program = try self.function(named: function.name)
            let sites = plan.sites[function.name] ?? []
            for (cookie, site) in sites.enumerated() {
                let location = site.location
                let key = AttachmentKey(point: .usdt(probe: site.probe, binary: location.binary,
                                                     fileOffset: location.site.fileOffset, pid: site.pid),
                                        function: function.name)
                // A path's semaphores are the kernel's to raise (the uprobe's reference counter);
                // a process's are raised below, in its memory.
                let counter = site.pid == nil ? location.site.semaphore?.fileOffset : nil
                try adopt(key) { () throws(BCCError) in
                    try BCCError.wrapping("attach \(function.name) to", key.target) {
                        try UprobeLink(program: program, binary: location.binary, offset: location.site.fileOffset,
                                       referenceCounterOffset: counter, cookie: sites.count > 1 ? UInt64(cookie) : 0,
                                       pid: site.pid)
                    }
                }
            }
        }
        for semaphore in plan.processSemaphores {
            let address = try USDTProcess(pid: semaphore.pid).address(ofFileOffset: semaphore.semaphore.fileOffset, in: semaphore.binary)
            let key = AttachmentKey(point: .usdtSemaphore(probe: semaphore.probe, binary: semaphore.binary, address: address,
                                                          pid: semaphore.pid),
                                    function: "")
            try adopt(key) { () throws(BCCError) in
                try BCCError.wrapping("raise", key.target) {
                    try USDTSemaphoreHold(pid: semaphore.pid, address: address, probe: semaphore.probe)
                }
            }
        }
    }
}

/// What the USDT contexts of one BPF object ask for: per function, the
/// sites it runs at (in cookie order) and their argument specs; the
/// semaphores to raise in processes.
struct USDTAttachPlan {
    /// One site a function is attached to.
    struct Site {
        var probe: String
        var location: USDTLocation
        var pid: Int32?
    }

    /// A semaphore of a `USDT(pid:)` probe.
    struct ProcessSemaphore: Equatable {
        var pid: Int32
        var binary: String
        var semaphore: SDTSemaphore
        var probe: String
    }

    private(set) var functions: [USDTFunction] = []
    private(set) var sites: [String: [Site]] = [:]
    private(set) var processSemaphores: [ProcessSemaphore] = []

    init(contexts: [USDT]) throws(BCCError) {
        var order: [String] = []
        var probeNames: [String: String] = [:]
        var arguments: [String: [[SDTArgument]]] = [:]
        for context in contexts {
            for enabled in context.enabledProbes {
                let name = enabled.fnName
                for location in enabled.probe.locations {
                    let specs: [SDTArgument]
                    do {
                        specs = try location.site.arguments()
                    } catch {
                        throw .invalidUse(object: "USDT probe \(enabled.probe.qualifiedName)", detail: "\(error)")
                    }
                    if let existing = arguments[name]?.first, existing.count != specs.count {
                        throw .invalidUse(
                            object: "function '\(name)'",
                            detail: "is enabled on USDT probes with \(existing.count) and \(specs.count) arguments (\(probeNames[name] ?? "") and \(enabled.probe.qualifiedName))")
                    }
                    if arguments[name] == nil { order.append(name) }
                    arguments[name, default: []].append(specs)
                    sites[name, default: []].append(Site(probe: enabled.probe.qualifiedName, location: location, pid: context.pid))
                    if let pid = context.pid, let semaphore = location.site.semaphore {
                        let hold = ProcessSemaphore(pid: pid, binary: location.binary, semaphore: semaphore, probe: enabled.probe.qualifiedName)
                        if !processSemaphores.contains(hold) { processSemaphores.append(hold) }
                    }
                }
                probeNames[name] = probeNames[name] ?? enabled.probe.qualifiedName
            }
        }
        functions = order.map { USDTFunction(name: $0, probe: probeNames[$0] ?? "", sites: arguments[$0] ?? []) }
    }
}

extension AttachmentKey {
    /// A USDT site or semaphore (`.usdt`, `.usdtSemaphore`) for `function`.
    init(point: Point, function: String) {
        self.point = point
        self.function = function
    }
}
