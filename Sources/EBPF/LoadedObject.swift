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

    private struct Attachments {
        var closers: [@Sendable () -> Void] = []
        var closed = false
    }

    private let attachments = Mutex(Attachments())

    init(spec: ObjectSpec, parts: Parts) {
        self.spec = spec
        programs = parts.programs
        maps = parts.maps
        btf = parts.btf
    }

    deinit { close() }

    // MARK: Attachments

    /// Hands the object something attached from it (a link, a perf event),
    /// as the closure that detaches it. It runs before the programs close,
    /// in reverse order of adoption; at once if the object is already closed.
    public func adoptAttachment(closing detach: @escaping @Sendable () -> Void) {
        let adopted = attachments.withLock { state in
            if !state.closed { state.closers.append(detach) }
            return !state.closed
        }
        if !adopted { detach() }
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
        attachments.withLock { $0.closed }
    }

    /// Detaches every attachment, then closes the programs, maps and BTF.
    /// Calling it again does nothing.
    public func close() {
        let closers: [@Sendable () -> Void]? = attachments.withLock { state in
            guard !state.closed else { return nil }
            state.closed = true
            defer { state.closers = [] }
            return state.closers
        }
        guard let closers else { return }
        for detach in closers.reversed() { detach() }
        Parts(btf: btf, maps: maps, programs: programs).close()
    }
}
