import ELF

/// A uprobe program (BPF_PROG_TYPE_KPROBE) attached to a function in a user
/// binary or shared library (uprobe), or to its return (uretprobe).
///
/// The probe point is a file offset: a symbol is looked up in the file's ELF
/// symbol tables and its address turned into an offset through the segment
/// that holds it, which works for executables, PIE executables and shared
/// libraries alike. The probe is created through the uprobe PMU, or on
/// kernels without it defined in tracefs uprobe_events (and removed on close).
public final class UprobeLink: Link {
    /// "uprobe PATH:SYMBOL" (or ":0xOFFSET"), "uretprobe ...".
    public let target: String
    /// The file the probe is in.
    public let path: String
    /// The probe's offset in `path`.
    public let offset: UInt64
    let resources: LinkResources

    /// Where in a binary a probe goes.
    enum ProbePoint {
        /// A symbol plus a byte offset into it.
        case symbol(String, offset: UInt64)
        /// A virtual address, as the file's symbol table and `nm` give them.
        case address(UInt64)
        /// A file offset.
        case fileOffset(UInt64)
    }

    /// Attaches `program` to `symbol` (plus `offset` bytes) in `binary`: a
    /// path, a library name such as "c", or an executable on PATH (see
    /// `BinaryPath.resolve`). `pid` limits the probe to one process; nil
    /// probes every process that maps the file.
    ///
    /// - Throws: `BPFError.notFound` when the binary or symbol does not exist,
    ///   `BPFError.malformed` when the binary is not a readable ELF file.
    public convenience init(
        program: Program, binary: String, symbol: String, offset: UInt64 = 0, isReturn: Bool = false, pid: Int32? = nil
    ) throws(BPFError) {
        try self.init(
            program: program, binary: binary, at: .symbol(symbol, offset: offset), isReturn: isReturn, pid: pid,
            mechanism: nil)
    }

    /// Attaches `program` at virtual address `address` of `binary` (bcc's
    /// `addr`: an address as the file's symbol table gives it), which the
    /// segment holding it turns into a file offset.
    public convenience init(
        program: Program, binary: String, address: UInt64, isReturn: Bool = false, pid: Int32? = nil
    ) throws(BPFError) {
        try self.init(program: program, binary: binary, at: .address(address), isReturn: isReturn, pid: pid, mechanism: nil)
    }

    /// Attaches `program` at file offset `offset` of `binary`.
    public convenience init(
        program: Program, binary: String, offset: UInt64, isReturn: Bool = false, pid: Int32? = nil
    ) throws(BPFError) {
        try self.init(program: program, binary: binary, at: .fileOffset(offset), isReturn: isReturn, pid: pid, mechanism: nil)
    }

    /// Attaches `program` at file offset `offset` of `binary`, a USDT probe
    /// site: `referenceCounterOffset` is the file offset of the probe's
    /// semaphore, which the kernel raises in every process mapping the file
    /// while the probe is attached (and lowers again on close); `cookie` is
    /// what bpf_get_attach_cookie() returns in the program (it tells the
    /// sites of one probe apart).
    ///
    /// - Throws: `BPFError.notSupported` when the kernel has no uprobe
    ///   reference counters (Linux 4.20+) or, for a nonzero cookie, no perf
    ///   links (Linux 5.15+).
    public convenience init(
        program: Program, binary: String, offset: UInt64, referenceCounterOffset: UInt64?, cookie: UInt64 = 0,
        pid: Int32? = nil
    ) throws(BPFError) {
        try self.init(program: program, binary: binary, at: .fileOffset(offset), isReturn: false, pid: pid, mechanism: nil,
                      referenceCounterOffset: referenceCounterOffset, cookie: cookie)
    }

    /// Attaches through `mechanism`, or the PMU with a tracefs fallback when it is nil.
    init(
        program: Program, binary: String, at point: ProbePoint, isReturn: Bool, pid: Int32?,
        mechanism: ProbeEvent.Mechanism?, referenceCounterOffset: UInt64? = nil, cookie: UInt64 = 0
    ) throws(BPFError) {
        let path = try BinaryPath.resolve(binary, pid: pid)
        let fileOffset: UInt64
        let location: String
        // Names the probe in tracefs, when it is defined there.
        var label = path.split(separator: "/").last.map(String.init) ?? "uprobe"
        switch point {
        case let .symbol(symbol, offset):
            fileOffset = try Self.resolve(path, "symbol '\(symbol)'") { elf throws(ELFError) in
                try elf.symbolFileOffset(named: symbol)
            } + offset
            location = offset == 0 ? symbol : "\(symbol)+\(offset)"
            label = symbol
        case let .address(address):
            fileOffset = try Self.resolve(path, "address 0x\(String(address, radix: 16))") { elf throws(ELFError) in
                try elf.fileOffset(ofVirtualAddress: address)
            }
            location = "address 0x\(String(address, radix: 16))"
        case let .fileOffset(offset):
            fileOffset = offset
            location = "0x\(String(offset, radix: 16))"
        }
        let kind = isReturn ? "uretprobe" : "uprobe"
        let what = "\(kind) \(path):\(location)" + (pid.map { " (pid \($0))" } ?? "")
            + (referenceCounterOffset.map { " with semaphore at file offset 0x\(String($0, radix: 16))" } ?? "")
        self.path = path
        self.offset = fileOffset
        target = what

        try program.requireType([.kprobe], for: target)
        let pmu = mechanism == .tracefs ? nil : try ProbeEvent.PMU.find(.uprobe)
        if let pmu {
            resources = try pmu.attach(
                program, location: path, offset: fileOffset, isReturn: isReturn, pid: pid ?? -1, what: what,
                referenceCounterOffset: referenceCounterOffset, cookie: cookie)
        } else {
            let definitions = try Tracefs.root() + "/" + ProbeEvent.Kind.uprobe.definitionsFile
            guard mechanism != .pmu, SysFile.exists(definitions) else {
                throw BPFError.notSupported(
                    feature: "\(what): uprobes",
                    requirement: "a kernel built with CONFIG_UPROBE_EVENTS (this one has no uprobe PMU at "
                        + "/sys/bus/event_source/devices/uprobe and no \(definitions))")
            }
            guard !path.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) else {
                throw BPFError.invalidArgument(
                    operation: "define \(kind) in \(definitions)", object: path,
                    detail: "tracefs probe definitions cannot name a path containing whitespace")
            }
            // uprobe_events takes a reference counter as "PATH:0xOFFSET(0xREF_CTR_OFFSET)" (Linux 4.20+).
            let counter = referenceCounterOffset.map { "(0x\(String($0, radix: 16)))" } ?? ""
            resources = try ProbeEvent.attachDefined(
                .uprobe, program: program, location: "\(path):0x\(String(fileOffset, radix: 16))\(counter)",
                label: label, isReturn: isReturn, pid: pid ?? -1, what: what, cookie: cookie)
        }
    }

    /// Looks up `what` in the ELF file at `path`.
    private static func resolve(_ path: String, _ what: String, _ lookup: (ELFFile) throws(ELFError) -> UInt64) throws(BPFError)
        -> UInt64
    {
        do {
            return try lookup(try ELFFile(contentsOf: path))
        } catch .notFound {
            throw BPFError.notFound(what: "\(what) in \(path)")
        } catch {
            throw BPFError.malformed(what: path, detail: "cannot resolve \(what) for a uprobe: \(error)")
        }
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Detaches the program (and removes a probe defined in tracefs). Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}
