import BPFObject
import Synchronization

// MARK: - LoadedObject

/// A BPF object in the kernel: its maps and programs by name, its BTF, and
/// the attachments made from it. It owns all of them; `close()` (or the
/// last reference going away) detaches and closes everything, in order:
/// attachments first, then programs, maps and BTF.
public final class LoadedObject: Sendable {
    /// The object as decoded.
    public let spec: ObjectSpec
    /// The loaded programs, by function name.
    public let programs: [String: Program]
    /// The created maps, by name (global data maps by section: ".rodata", ".bss", ...).
    public let maps: [String: Map]
    /// The object's BTF in the kernel, if it has one.
    public let btf: OwnedFD?
    /// The verifier log level the object was loaded with, for programs loaded later.
    private let logLevel: UInt32

    /// What the loader creates, in the order it creates it; closed in reverse.
    struct Parts {
        var btf: OwnedFD?
        var maps: [String: Map] = [:]
        var programs: [String: Program] = [:]

        /// Closes the programs, then the maps, then the BTF.
        func close() {
            for program in programs.values { program.close() }
            for map in maps.values { map.close() }
            btf?.close()
        }
    }

    private struct ProgramKey: Hashable {
        var name: String
        var type: ProgramType
        var expectedAttachType: AttachType?
    }

    /// What changes after load: attachments, programs loaded later, closing.
    private struct State {
        var attachmentClosers: [@Sendable () -> Void] = []
        /// Programs loaded after the object, by name and type (`loadProgram(named:type:expectedAttachType:)`).
        var programsLoadedLater: [ProgramKey: Program] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    init(spec: ObjectSpec, parts: Parts, logLevel: UInt32 = 0) {
        self.spec = spec
        programs = parts.programs
        maps = parts.maps
        btf = parts.btf
        self.logLevel = logLevel
    }

    deinit { close() }

    // MARK: Attachments

    /// Hands the object something attached from it (a link, a perf event),
    /// as the closure that detaches it. It runs before the programs close,
    /// in reverse order of adoption; at once if the object is already closed.
    public func adoptAttachment(closing detach: @escaping @Sendable () -> Void) {
        let adopted = state.withLock { state in
            if !state.closed { state.attachmentClosers.append(detach) }
            return !state.closed
        }
        if !adopted { detach() }
    }

    // MARK: Programs loaded later

    /// Program `name` of the object loaded as `type` (once per type; the
    /// same program again for the same arguments), with its maps: for a
    /// program the loader deferred, or one a different attach needs with
    /// another type (bcc's `load_func`). It closes with the object.
    ///
    /// - Throws: `BPFError.notFound` when the object has no program `name`,
    ///   `.closed` after ``close()``; the verifier's rejection for this type.
    public func loadProgram(named name: String, type: ProgramType, expectedAttachType: AttachType? = nil)
        throws(BPFError) -> Program
    {
        let key = ProgramKey(name: name, type: type, expectedAttachType: expectedAttachType)
        // Loading under the lock: two callers asking for the same program get one.
        return try state.withLock { (state) throws(BPFError) -> Program in
            guard !state.closed else { throw .closed(object: spec.name) }
            if let program = state.programsLoadedLater[key] { return program }
            if let program = programs[name], program.type == type,
               expectedAttachType == nil || spec.program(named: name)?.section.expectedAttachType == expectedAttachType {
                return program
            }
            guard let programSpec = spec.program(named: name) else {
                throw .notFound(what: "program '\(name)' in \(spec.name)")
            }
            let program = try BPFObjectLoader.loadProgram(programSpec, type: type, expectedAttachType: expectedAttachType,
                                                          maps: maps, btf: btf, logLevel: logLevel)
            state.programsLoadedLater[key] = program
            return program
        }
    }

    /// Every program loaded after the object, as (name, program).
    public var laterPrograms: [(name: String, program: Program)] {
        state.withLock { state in state.programsLoadedLater.map { ($0.key.name, $0.value) } }
    }

    // MARK: Globals

    /// The current bytes of global variable `name` (read from its data map).
    public func globalBytes(_ name: String) throws(BPFError) -> [UInt8] {
        guard let variable = spec.variable(named: name), let map = maps[variable.section] else {
            throw BPFError.notFound(what: "global variable '\(name)' in \(spec.name)")
        }
        guard let value = try map.lookup(key: [0, 0, 0, 0]), variable.offset + variable.size <= value.count else {
            throw BPFError.malformed(what: "map \(variable.section) of \(spec.name)", detail: "entry 0 is missing or short")
        }
        return Array(value[variable.offset..<(variable.offset + variable.size)])
    }

    /// The current value of global variable `name`, whose size must be `T`'s.
    public func global<T: BitwiseCopyable>(_ name: String, as type: T.Type = T.self) throws(BPFError) -> T {
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
        state.withLock { $0.closed }
    }

    /// Detaches every attachment, then closes the programs (those loaded
    /// later first), maps and BTF. Calling it again does nothing.
    public func close() {
        let released: (closers: [@Sendable () -> Void], later: [Program])? = state.withLock { state in
            guard !state.closed else { return nil }
            state.closed = true
            defer { (state.attachmentClosers, state.programsLoadedLater) = ([], [:]) }
            return (state.attachmentClosers, Array(state.programsLoadedLater.values))
        }
        guard let released else { return }
        for detach in released.closers.reversed() { detach() }
        for program in released.later { program.close() }
        Parts(btf: btf, maps: maps, programs: programs).close()
    }
}
