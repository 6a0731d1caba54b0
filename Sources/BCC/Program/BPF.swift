import BPFObject
import BTF
import EBPF

/// A bcc program: C in bcc's dialect, compiled with the Swift toolchain's
/// clang, loaded, and attached by bcc's naming conventions.
///
///     let b = try BPF(text: """
///         BPF_RINGBUF_OUTPUT(events, 8);
///         TRACEPOINT_PROBE(syscalls, sys_enter_openat) { ... }
///         """)
///     defer { b.close() }
///
/// The object owns its tables (``subscript(_:)``), built once at load, and
/// its event loop: the ring buffers, perf buffers and trace_pipe opened on
/// it, served by ``poll(timeout:)``. Everything it loads and attaches is
/// released by ``close()`` or when the last reference goes away, callbacks
/// that capture its tables included: probes first, then programs and maps.
///
/// Not `Sendable`: the polls run the callbacks on the calling thread, and
/// callbacks may keep state of their own, as in bcc. Hand the object to one
/// task or thread (or keep it in an actor or a `Mutex`) to use it elsewhere.
public final class BPF {
    /// The loaded object: programs and maps by name, its BTF.
    public let object: LoadedObject
    /// The tables the program declared, in order.
    public let declarations: [TableDefinition]
    /// The tables, in declaration order.
    public let tables: [Table]
    /// The functions that are BPF programs.
    public let functions: [ProbeFunction]
    /// The C type of the records each output table carries (e.g. "struct data_t"),
    /// recorded from perf_submit, ringbuf_output, ringbuf_submit and ringbuf_reserve.
    /// The object's BTF has it as the pointee of global `__bcc_event__TABLE`.
    public let eventTypes: [String: String]
    /// The file name diagnostics use ("<text>" for BPF(text:)).
    public let fileName: String
    /// True when the object came from the cache (clang did not run).
    public let compiledFromCache: Bool
    /// Shows the user's lines in verifier logs of programs loaded later (``loadFunc(_:_:expectedAttachType:)``).
    let verifierLogSource: VerifierLogSource
    /// True when a program calls bpf_trace_printk (or bpf_trace_vprintk):
    /// its output appears in the kernel's trace_pipe (``openTracePipe(_:)``).
    public let printsToTracePipe: Bool

    /// The ring buffers, perf buffers and trace_pipe opened on this object.
    let eventLoop: EventLoop
    private let tablesByName: [String: Table]
    /// What is attached, by key (BPF+Attach, Network/).
    var attachments: [AttachmentKey: any Link] = [:]
    private var attachmentOrder: [AttachmentKey] = []
    private var isClosed = false

    /// Compiles, loads and auto-attaches the bcc C program `text`.
    ///
    /// With `autoAttach` false nothing is attached yet: a caller that checks
    /// the loaded tables first attaches with ``autoAttach()`` after.
    ///
    /// - Throws: ``BCCError/compileFailed(file:diagnostics:)`` with
    ///   diagnostics on the user's lines; ``BCCError/verifierRejected(file:program:log:logFile:)``
    ///   (its log shows the user's C lines); ``BCCError/kernel(operation:object:cause:)``
    ///   for the attach error of the first probe that fails (nothing stays loaded then).
    public convenience init(text: String, cflags: [String] = [], autoAttach: Bool = true) throws(BCCError) {
        try self.init(source: text, fileName: "<text>", includeDirectory: nil, cflags: cflags,
                      environment: KernelCompileEnvironment.forLoading("<text>"), autoAttach: autoAttach)
    }

    /// Compiles, loads and auto-attaches (unless `autoAttach` is false) the
    /// bcc C program in file `srcFile`; its directory is on the include path.
    public convenience init(srcFile: String, cflags: [String] = [], autoAttach: Bool = true) throws(BCCError) {
        let source = try Self.readSource(srcFile)
        try self.init(source: source.text, fileName: srcFile, includeDirectory: source.directory,
                      cflags: cflags, environment: KernelCompileEnvironment.forLoading(srcFile), autoAttach: autoAttach)
    }

    /// The text of the program file `path` and its directory (on the include
    /// path). A file that is not UTF-8 text is refused here, where its bytes
    /// are still there to point at (decoding would replace them).
    static func readSource(_ path: String) throws(BCCError) -> (text: String, directory: String) {
        guard let bytes = FileSystem.contents(path) else {
            throw .file(path: path, detail: "cannot read the BPF program")
        }
        do {
            try SourceText.check(bytes, fileName: path)
        } catch {
            throw BCCError(error)
        }
        return (String(decoding: bytes, as: UTF8.self), FileSystem.directory(of: FileSystem.absolute(path)))
    }

    init(source: String, fileName: String, includeDirectory: String?, cflags: [String],
         environment: CompileEnvironment, autoAttach: Bool = true, usdtContexts: [USDT] = []) throws(BCCError) {
        let usdt = try USDTAttachPlan(contexts: usdtContexts)
        var compiler = BPFCompiler(environment: environment)
        compiler.exportedTables = ExportedTables.shared.definitions()
        let compiled = try compiler.compile(source: source, fileName: fileName, cflags: cflags, includeDirectory: includeDirectory,
                                            usdtFunctions: usdt.functions)
        self.fileName = fileName
        eventTypes = compiled.eventTypes
        compiledFromCache = compiled.fromCache
        let loader: BPFObjectLoader
        do {
            loader = try BPFObjectLoader(bytes: compiled.object, name: fileName)
        } catch {
            guard case .object(let cause) = error else { throw .kernel(operation: "load", object: fileName, cause: error) }
            throw .object(file: fileName, cause: cause)
        }
        let declarations: [TableDefinition]
        (declarations, functions) = compiled.compiledDeclarations(in: loader.spec)
        self.declarations = declarations
        let sharing = try TableSharing(tables: declarations, loader: loader, fileName: fileName)
        let object: LoadedObject
        verifierLogSource = VerifierLogSource(fileName: fileName, original: Array(source.utf8))
        do {
            // As in bcc, a function is loaded when it is attached or loaded by hand, with the type
            // that attach needs (a `void *ctx` function attached to a tracepoint, a dummy helper the
            // verifier would refuse); the functions auto-attach names are loaded here.
            object = try loader.load(deferring: Set(compiled.functions.filter { !$0.attachesAutomatically }.map(\.name)))
        } catch {
            switch error {
            case let .verifierRejected(program, log):
                throw .verifierRejected(file: fileName, program: program, log: verifierLogSource.mapped(log))
            case let .object(cause):
                throw .object(file: fileName, cause: cause)
            default:
                throw .kernel(operation: "load", object: fileName, cause: error)
            }
        }
        self.object = object
        printsToTracePipe = Self.callsTracePrint(object.spec)
        let eventLoop = EventLoop(program: fileName)
        self.eventLoop = eventLoop
        let tables = Self.tables(declarations, of: object, eventLoop: eventLoop)
        self.tables = tables
        tablesByName = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        do {
            try sharing.finish(object, owner: ObjectIdentifier(self))
            if autoAttach { try self.autoAttach() }
            try attach(usdt)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    // MARK: - Tables and functions

    /// The map of table `name` (or of a hidden map such as a ring's lost counter).
    public func map(named name: String) throws(BCCError) -> Map {
        guard let map = object.maps[name] else {
            throw .tableNotFound(name: name, available: declarations.map(\.name))
        }
        return map
    }

    /// The table `name`, built at load (bcc's `b["name"]` and `get_table`).
    func table(_ name: String) throws(BCCError) -> Table {
        guard let table = tablesByName[name] else {
            throw .tableNotFound(name: name, available: declarations.map(\.name))
        }
        return table
    }

    /// The declaration of table `name`.
    public func declaration(named name: String) throws(BCCError) -> TableDefinition {
        guard let declaration = declarations.first(where: { $0.name == name }) else {
            throw .tableNotFound(name: name, available: declarations.map(\.name))
        }
        return declaration
    }

    /// The hidden per-CPU counter of records ring buffer `ring` dropped
    /// (ringbuf_output failed or ringbuf_reserve returned NULL): one u64 per CPU at key 0.
    public func lostCounter(forRing ring: String) throws(BCCError) -> Map {
        guard let counter = try table(ring).lostCounter else {
            throw .invalidUse(object: "table '\(ring)'", detail: "is not a BPF_RINGBUF_OUTPUT table")
        }
        return counter
    }

    /// The program of function `name`: loaded now, with the type its
    /// section names, if nothing loaded it yet (bcc loads on first use).
    ///
    /// - Throws: ``BCCError/functionNotFound(name:available:)``; the
    ///   verifier's rejection, showing the user's lines.
    public func function(named name: String) throws(BCCError) -> Program {
        if let program = object.programs[name] { return program }
        if let deferred = try loadedOnAttach(name) { return deferred }
        // The one an attach loaded, when it loaded one.
        let loaded = object.laterPrograms.filter { $0.name == name }
        if loaded.count == 1 { return loaded[0].program }
        guard let section = object.spec.program(named: name)?.section else {
            throw .functionNotFound(name: name, available: functions.map(\.name))
        }
        return try loadFunc(name, section.programType, expectedAttachType: section.expectedAttachType)
    }

    /// Every program loaded so far: with the object, and by attaches and ``loadFunc(_:_:expectedAttachType:)``.
    public var loadedPrograms: [Program] {
        Array(object.programs.values) + object.laterPrograms.map(\.program)
    }

    // MARK: - Attachments

    /// Keeps the link `attach` makes under `key`; an existing attachment
    /// with the same key is an error, and so is a closed object.
    func adopt(_ key: AttachmentKey, _ attach: () throws(BCCError) -> any Link) throws(BCCError) {
        guard !isClosed else { throw .closed(program: fileName) }
        guard attachments[key] == nil else {
            throw .invalidUse(object: key.description, detail: "is already attached")
        }
        attachments[key] = try attach()
        attachmentOrder.append(key)
    }

    /// Detaches the attachment under `key`.
    func detach(_ key: AttachmentKey) throws(BCCError) {
        guard let link = attachments.removeValue(forKey: key) else {
            throw .invalidUse(object: key.description, detail: "is not attached")
        }
        attachmentOrder.removeAll { $0 == key }
        link.close()
    }

    /// What is attached now, e.g. "tracepoint syscalls:sys_enter_openat -> tracepoint__syscalls__sys_enter_openat".
    public var attachedProbes: [String] { attachmentOrder.map(\.description) }

    // MARK: - Closing

    /// Detaches every probe, closes the buffers (releasing their callbacks),
    /// then closes the programs and maps. Calling it again does nothing; the
    /// object and its tables then throw ``BCCError/closed(program:)``.
    public func close() {
        let links = attachmentOrder.reversed().compactMap { attachments[$0] }
        attachments = [:]
        attachmentOrder = []
        isClosed = true
        ExportedTables.shared.withdraw(owner: ObjectIdentifier(self))
        for link in links { link.close() }
        eventLoop.close()
        object.close()
    }

    // MARK: - Building at load

    /// The tables of `declarations` over the maps of `object`, with the
    /// types its BTF gives their keys, values and events.
    private static func tables(_ declarations: [TableDefinition], of object: LoadedObject, eventLoop: EventLoop) -> [Table] {
        declarations.compactMap { declaration in
            guard let map = object.maps[declaration.name] else { return nil }
            let spec = object.spec.map(named: declaration.name)
            let lostCounter = declaration.kind == .ringBuffer
                ? object.maps[TableDefinition.lostCounterName(forRing: declaration.name)] : nil
            return Table(name: declaration.name, map: map, btf: object.spec.btf,
                         keyType: spec.flatMap { $0.keyTypeID == .void ? nil : $0.keyTypeID },
                         valueType: spec.flatMap { $0.valueTypeID == .void ? nil : $0.valueTypeID },
                         definition: declaration, lostCounter: lostCounter, eventLoop: eventLoop)
        }
    }

    /// BPF_FUNC_trace_printk and BPF_FUNC_trace_vprintk (UAPI enum bpf_func_id).
    private static let tracePrintHelpers: Set<Int32> = [6, 177]

    /// True when a program of `spec` calls a helper that writes to trace_pipe.
    private static func callsTracePrint(_ spec: ObjectSpec) -> Bool {
        spec.programs.contains { program in
            program.instructions.contains { $0.isCall && $0.source == 0 && tracePrintHelpers.contains($0.immediate) }
        }
    }
}
