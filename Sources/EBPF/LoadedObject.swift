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

    init(spec: ObjectSpec) { self.spec = spec }

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
        lock.unlock()
        guard !wasClosed else { return }
        for detach in closers.reversed() { detach() }
        for program in programs.values { program.close() }
        for map in maps.values { map.close() }
        btf?.close()
    }
}
