import BPFObject

// MARK: - Attaching a loaded object's programs by their sections

extension LoadedObject {
    /// Attaches program `name` where its section name says, following
    /// libbpf's conventions (tracepoint/CAT/NAME, raw_tp/NAME, tp_btf/NAME,
    /// fentry/FUNC, fexit/FUNC, kprobe/FUNC, kretprobe/FUNC,
    /// uprobe/BINARY:FUNC, uretprobe/BINARY:FUNC), and hands the link to this
    /// object: closing the object detaches it. Closing the returned link
    /// earlier is fine.
    ///
    /// - Parameter pid: limits uprobes to one process; other kinds ignore it.
    /// - Throws: `BPFError.notFound` for an unknown program,
    ///   `BPFError.invalidArgument` when its section names no target (attach
    ///   those by hand, e.g. with `PerfEventLink`), or the attach error.
    @discardableResult
    public func attach(program name: String, pid: Int32? = nil) throws(BPFError) -> any Link {
        guard let spec = spec.program(named: name), let program = programs[name] else {
            throw BPFError.notFound(what: "program '\(name)' in \(spec.name)")
        }
        guard let link = try spec.section.attachTarget.link(program: program, pid: pid) else {
            throw BPFError.invalidArgument(
                operation: "attach", object: "program '\(name)' of \(self.spec.name)",
                detail: "its section '\(spec.sectionName)' names no target; attach it by hand")
        }
        adopt(link)
        return link
    }

    /// Attaches every program whose section names its target (see
    /// `attach(program:pid:)`) and returns the links by program name.
    /// Programs whose section names none (`kprobe` alone, `perf_event`,
    /// `socket`, `xdp`, `uprobe` without a binary) are left to attach by hand.
    /// When one attachment fails, those this call made are detached again.
    @discardableResult
    public func attachAll(pid: Int32? = nil) throws(BPFError) -> [String: any Link] {
        var links: [String: any Link] = [:]
        do {
            for spec in spec.programs {
                guard let program = programs[spec.name] else { continue }
                if let link = try spec.section.attachTarget.link(program: program, pid: pid) { links[spec.name] = link }
            }
        } catch {
            for link in links.values { link.close() }
            throw error
        }
        for link in links.values { adopt(link) }
        return links
    }

    /// Hands `link` to this object, so that closing the object detaches it.
    public func adopt(_ link: any Link) {
        adoptAttachment { link.close() }
    }
}

// MARK: - Attaching a program where a section says

extension ProgramSection.AttachTarget {
    /// Attaches `program` here and returns the link, or nil when this names
    /// no target (`.none`, `.perfEvent`, a uprobe without a binary): those
    /// attach by hand. `pid` limits uprobes to one process; other kinds
    /// ignore it.
    public func link(program: Program, pid: Int32? = nil) throws(BPFError) -> (any Link)? {
        switch self {
        case .none, .perfEvent:
            return nil
        case let .tracepoint(category, name):
            return try TracepointLink(program: program, category: category, name: name)
        case let .rawTracepoint(name):
            return try RawTracepointLink(program: program, name: name)
        case let .btfTracepoint(name):
            return try TracingLink(program: program, target: "tp_btf \(name)")
        case let .tracing(function, isExit):
            return try TracingLink(program: program, target: "\(isExit ? "fexit" : "fentry") \(function)")
        case let .lsm(hook):
            return try TracingLink(program: program, target: "lsm \(hook)")
        case let .kprobe(function, offset, isReturn):
            return try KprobeLink(program: program, symbol: function, offset: offset, isReturn: isReturn)
        case let .uprobe(binary, function, offset, isReturn):
            guard !binary.isEmpty else { return nil }
            if function.isEmpty {
                return try UprobeLink(program: program, binary: binary, offset: offset, isReturn: isReturn, pid: pid)
            }
            return try UprobeLink(
                program: program, binary: binary, symbol: function, offset: offset, isReturn: isReturn, pid: pid)
        }
    }
}
