import BPFObject
import Foundation

/// An attached BPF program.
///
/// A link owns whatever keeps its program attached (a BPF link, perf events,
/// a probe defined in tracefs) and detaches exactly once: on `close()`, or
/// when the last reference to it goes away.
public protocol Link: AnyObject, Sendable {
    /// What the program is attached to, e.g. "tracepoint sched/sched_process_exec".
    var target: String { get }

    /// True once the program has been detached.
    var isClosed: Bool { get }

    /// Detaches the program and releases what the link owns. Calling it again does nothing.
    func close()
}

extension Program {
    /// Throws unless the program is of one of `types`, before the kernel
    /// answers a mismatch with a bare EINVAL.
    func requireType(_ types: [ProgramType], for target: String) throws {
        guard types.contains(type) else {
            throw BPFError.invalidArgument(
                operation: "attach", object: "program '\(name)' to \(target)",
                detail: "it is a \(type) program; this needs a \(types.map(\.description).joined(separator: " or ")) program")
        }
    }
}

/// The resources behind a link, released once and in order: BPF link
/// descriptors first (the program stops running), then perf event
/// descriptors, then cleanups such as removing a tracefs probe, which the
/// kernel refuses while a perf event still uses it.
final class LinkResources: @unchecked Sendable {
    private let lock = NSLock()
    private var descriptors: [OwnedFD]
    private var cleanups: [() -> Void] = []
    private var closed = false

    /// Takes ownership of `descriptors`, closed in this order.
    init(descriptors: [OwnedFD]) {
        self.descriptors = descriptors
    }

    /// Adds work to run after the descriptors are closed (at once if they already are).
    func addCleanup(_ cleanup: @escaping () -> Void) {
        lock.lock()
        if closed {
            lock.unlock()
            cleanup()
            return
        }
        cleanups.append(cleanup)
        lock.unlock()
    }

    /// The descriptor numbers held, for tests that check they get closed.
    var descriptorNumbers: [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return descriptors.map(\.rawValue)
    }

    var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    func close() {
        lock.lock()
        let (descriptors, cleanups) = (self.descriptors, self.cleanups)
        let wasClosed = closed
        closed = true
        self.descriptors = []
        self.cleanups = []
        lock.unlock()
        guard !wasClosed else { return }
        for descriptor in descriptors { descriptor.close() }
        for cleanup in cleanups { cleanup() }
    }

    deinit { close() }
}
