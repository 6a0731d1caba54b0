import BPFObject
import EBPF
import Foundation

/// A bcc program: C in bcc's dialect, compiled with the Swift toolchain's
/// clang, loaded, and attached by bcc's naming conventions.
///
///     let b = try BPF(text: """
///         BPF_RINGBUF_OUTPUT(events, 8);
///         TRACEPOINT_PROBE(syscalls, sys_enter_openat) { ... }
///         """)
///     defer { b.close() }
///
/// Everything it loads and attaches is released by `close()` (or when the
/// last reference goes away): probes first, then programs and maps.
public final class BPF: @unchecked Sendable {
    /// The loaded object: programs and maps by name, its BTF.
    public let object: LoadedObject
    /// The tables the program declared, in order.
    public let tables: [TableDefinition]
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

    /// The ring buffers and perf buffers opened on this object (RingBuf+Table.swift).
    let outputBuffers = OutputBuffers()
    private let lock = NSLock()
    private var attachments: [String: any Link] = [:]
    private var attachmentOrder: [String] = []
    private var closed = false

    /// Compiles, loads and auto-attaches the bcc C program `text`.
    ///
    /// - Throws: `BCCError.compileFailed` with diagnostics on the user's
    ///   lines, a verifier rejection showing the user's C lines, or the attach
    ///   error of the first probe that fails (nothing stays attached then).
    public convenience init(text: String, cflags: [String] = []) throws {
        try self.init(source: text, fileName: "<text>", includeDirectory: nil, cflags: cflags,
                      environment: KernelCompileEnvironment.current())
    }

    /// Compiles, loads and auto-attaches the bcc C program in file `srcFile`;
    /// its directory is on the include path.
    public convenience init(srcFile: String, cflags: [String] = []) throws {
        guard let data = FileManager.default.contents(atPath: srcFile) else {
            throw BCCError.file(path: srcFile, detail: "cannot read the BPF program")
        }
        let directory = URL(fileURLWithPath: srcFile).deletingLastPathComponent().path
        try self.init(source: String(decoding: data, as: UTF8.self), fileName: srcFile, includeDirectory: directory,
                      cflags: cflags, environment: KernelCompileEnvironment.current())
    }

    init(source: String, fileName: String, includeDirectory: String?, cflags: [String], environment: CompileEnvironment) throws {
        var compiler = BPFCompiler(environment: environment)
        compiler.exportedTables = ExportedTables.shared.definitions()
        let compiled = try compiler.compile(source: source, fileName: fileName, cflags: cflags, includeDirectory: includeDirectory)
        self.fileName = fileName
        eventTypes = compiled.eventTypes
        compiledFromCache = compiled.fromCache
        let loader = try BPFObjectLoader(bytes: compiled.object, name: fileName)
        (tables, functions) = compiled.compiledDeclarations(in: loader.spec)
        let sharing = try TableSharing(tables: tables, loader: loader, fileName: fileName)
        do {
            object = try loader.load()
        } catch let BPFError.verifierRejected(program, log) {
            let mapped = VerifierLogSource(fileName: fileName, original: Array(source.utf8)).mapped(log)
            throw BPFError.verifierRejected(program: program, log: mapped)
        }
        do {
            try sharing.finish(object, owner: ObjectIdentifier(self))
            try autoAttach()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    // MARK: - Tables and functions

    /// The map of table `name` (or of a hidden map such as a ring's lost counter).
    public func map(named name: String) throws -> Map {
        guard let map = object.maps[name] else {
            throw BCCError.tableNotFound(name: name, available: tables.map(\.name))
        }
        return map
    }

    /// The declaration of table `name`.
    public func table(named name: String) throws -> TableDefinition {
        guard let table = tables.first(where: { $0.name == name }) else {
            throw BCCError.tableNotFound(name: name, available: tables.map(\.name))
        }
        return table
    }

    /// The hidden per-CPU counter of records ring buffer `ring` dropped
    /// (ringbuf_output failed or ringbuf_reserve returned NULL): one u64 per CPU at key 0.
    public func lostCounter(forRing ring: String) throws -> Map {
        guard try table(named: ring).kind == .ringBuffer else {
            throw BCCError.invalidUse(object: "table '\(ring)'", detail: "is not a BPF_RINGBUF_OUTPUT table")
        }
        return try map(named: TableDefinition.lostCounterName(forRing: ring))
    }

    /// The loaded program of function `name`.
    public func function(named name: String) throws -> Program {
        guard let program = object.programs[name] else {
            throw BCCError.functionNotFound(name: name, available: functions.map(\.name))
        }
        return program
    }

    // MARK: - Attachments

    /// Keeps `link` under `key`; an existing attachment with the same key is an error.
    func adopt(_ key: String, _ link: () throws -> any Link) throws {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw BCCError.invalidUse(object: fileName, detail: "the BPF object is closed") }
        guard attachments[key] == nil else {
            throw BCCError.invalidUse(object: key, detail: "is already attached")
        }
        attachments[key] = try link()
        attachmentOrder.append(key)
    }

    /// Detaches the attachment under `key`.
    func detach(_ key: String) throws {
        lock.lock()
        let link = attachments.removeValue(forKey: key)
        attachmentOrder.removeAll { $0 == key }
        lock.unlock()
        guard let link else { throw BCCError.invalidUse(object: key, detail: "is not attached") }
        link.close()
    }

    /// What is attached now, e.g. "tracepoint syscalls:sys_enter_openat -> tracepoint__syscalls__sys_enter_openat".
    public var attachedProbes: [String] {
        lock.lock()
        defer { lock.unlock() }
        return attachmentOrder
    }

    // MARK: - Closing

    /// Detaches every probe, then closes the programs and maps. Calling it again does nothing.
    public func close() {
        lock.lock()
        let links = attachmentOrder.reversed().compactMap { attachments[$0] }
        attachments = [:]
        attachmentOrder = []
        closed = true
        lock.unlock()
        ExportedTables.shared.withdraw(owner: ObjectIdentifier(self))
        for link in links { link.close() }
        outputBuffers.close()
        object.close()
    }
}
