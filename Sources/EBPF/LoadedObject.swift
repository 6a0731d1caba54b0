import BPFObject
import Foundation

// MARK: - LoadedObject

/// A BPF object in the kernel: its maps and programs by name, its BTF, and
/// the attachments made from it. It owns all of them; `close()` (or the
/// last reference going away) detaches and closes everything, in order:
/// attachments first, then programs, maps and BTF.
public final class LoadedObject: @unchecked Sendable {
    /// The object as decoded.
    public let spec: ObjectSpec
    /// The loaded programs, by function name.
    public internal(set) var programs: [String: Program] = [:]
    /// The created maps, by name (global data maps by section: ".rodata", ".bss", ...).
    public internal(set) var maps: [String: Map] = [:]
    /// The object's BTF in the kernel, if it has one.
    public internal(set) var btf: OwnedFD?

    private let lock = NSLock()
    private var attachmentClosers: [@Sendable () -> Void] = []
    private var closed = false
    /// Programs loaded after the object, by name and type (`loadProgram(named:type:expectedAttachType:)`).
    private var programsLoadedLater: [ProgramKey: Program] = [:]
    /// The verifier log level the object was loaded with, for programs loaded later.
    private let logLevel: UInt32

    private struct ProgramKey: Hashable {
        var name: String
        var type: ProgramType
        var expectedAttachType: AttachType?
    }

    init(spec: ObjectSpec, logLevel: UInt32 = 0) {
        self.spec = spec
        self.logLevel = logLevel
    }

    deinit { close() }

    // MARK: Attachments

    /// Hands the object something attached from it (a link, a perf event),
    /// as the closure that detaches it. It runs before the programs close,
    /// in reverse order of adoption; at once if the object is already closed.
    public func adoptAttachment(closing detach: @escaping @Sendable () -> Void) {
        lock.lock()
        if closed {
            lock.unlock()
            detach()
            return
        }
        attachmentClosers.append(detach)
        lock.unlock()
    }

    // MARK: Programs loaded later

    /// Program `name` of the object loaded as `type` (once per type; the
    /// same program again for the same arguments), with its maps: for a
    /// program the loader deferred, or one a different attach needs with
    /// another type (bcc's `load_func`). It closes with the object.
    ///
    /// - Throws: `BPFError.notFound` when the object has no program `name`;
    ///   the verifier's rejection for this type.
    public func loadProgram(named name: String, type: ProgramType, expectedAttachType: AttachType? = nil) throws -> Program {
        let key = ProgramKey(name: name, type: type, expectedAttachType: expectedAttachType)
        lock.lock()
        defer { lock.unlock() }
        guard !closed else {
            throw BPFError.invalidArgument(operation: "load program '\(name)' of", object: spec.name, detail: "the object is closed")
        }
        if let program = programsLoadedLater[key] { return program }
        if let program = programs[name], program.type == type,
           expectedAttachType == nil || spec.program(named: name)?.section.expectedAttachType == expectedAttachType {
            return program
        }
        guard let programSpec = spec.program(named: name) else {
            throw BPFError.notFound(what: "program '\(name)' in \(spec.name)")
        }
        let program = try BPFObjectLoader.loadProgram(programSpec, type: type, expectedAttachType: expectedAttachType,
                                                      maps: maps, btf: btf, logLevel: logLevel)
        programsLoadedLater[key] = program
        return program
    }

    /// Every program loaded after the object, as (name, program).
    public var laterPrograms: [(name: String, program: Program)] {
        lock.lock()
        defer { lock.unlock() }
        return programsLoadedLater.map { ($0.key.name, $0.value) }
    }

    // MARK: Globals

    /// The current bytes of global variable `name` (read from its data map).
    public func globalBytes(_ name: String) throws -> [UInt8] {
        guard let variable = spec.variable(named: name), let map = maps[variable.section] else {
            throw BPFError.notFound(what: "global variable '\(name)' in \(spec.name)")
        }
        guard let value = try map.lookup(key: [0, 0, 0, 0]), variable.offset + variable.size <= value.count else {
            throw BPFError.malformed(what: "map \(variable.section) of \(spec.name)", detail: "entry 0 is missing or short")
        }
        return Array(value[variable.offset..<(variable.offset + variable.size)])
    }

    /// The current value of global variable `name`, whose size must be `T`'s.
    public func global<T: BitwiseCopyable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let bytes = try globalBytes(name)
        guard bytes.count == MemoryLayout<T>.size else {
            throw BPFError.invalidArgument(operation: "read global", object: "variable '\(name)' in \(spec.name)",
                                           detail: "the variable is \(bytes.count) bytes, \(T.self) is \(MemoryLayout<T>.size)")
        }
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }

    // MARK: Closing

    /// True once `close()` ran.
    public var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Detaches every attachment, then closes the programs, maps and BTF.
    /// Calling it again does nothing.
    public func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        let closers = attachmentClosers
        attachmentClosers = []
        let later = programsLoadedLater.values
        programsLoadedLater = [:]
        lock.unlock()
        guard !wasClosed else { return }
        for detach in closers.reversed() { detach() }
        for program in later { program.close() }
        for program in programs.values { program.close() }
        for map in maps.values { map.close() }
        btf?.close()
    }
}
